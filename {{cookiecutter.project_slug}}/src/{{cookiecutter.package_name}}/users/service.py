"""User accounts: registration, self-service changes, and administration."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.core.errors import PermissionDeniedError
from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.users.errors import (
    EmailLookalikeError,
    InvalidCurrentPasswordError,
    SelfModificationError,
)
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.users.repository import UserRepository
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserUpdate, UserUpdateMe


async def register(
    db: AsyncSession,
    *,
    data: UserCreate,
    passwords: PasswordHasher,
    refuse_lookalikes: bool,
    role: UserRole = UserRole.USER,
    verified_at: datetime | None = None,
) -> User:
    """Create an account, its address confirmed at `verified_at` (None: not yet). An email
    taken in any form (letter case, width, Unicode normalization) is an `EmailTakenError`;
    with `refuse_lookalikes`, one that only looks like a taken one is an
    `EmailLookalikeError`. The API's registration is `accounts.service.register`, which mails
    the address; this is for commands, which vouch for it."""
    user = User(
        email=str(data.email),
        hashed_password=await passwords.hash(data.password),
        full_name=data.full_name,
        role=role,
        email_verified_at=verified_at,
    )
    users = UserRepository(db)
    if refuse_lookalikes and await users.lookalike_exists(user.email):
        raise EmailLookalikeError
    return await users.create(user)


async def update_me(
    db: AsyncSession,
    *,
    user: User,
    data: UserUpdateMe,
    current_session_id: uuid.UUID,
    passwords: PasswordHasher,
) -> User:
    """Change one's own name and/or password. A new password ends every other session."""
    changes: dict[str, object] = {}
    if data.full_name is not None:
        changes["full_name"] = data.full_name
    if data.password is not None:
        verified, _ = await passwords.verify(data.current_password or "", user.hashed_password)
        if not verified:
            raise InvalidCurrentPasswordError
        changes["hashed_password"] = await passwords.hash(data.password)
        await auth_service.revoke_sessions(
            db, user_id=user.id, except_session_id=current_session_id
        )
    return await UserRepository(db).update(user, changes)


async def change_email(
    db: AsyncSession, *, user: User, email: str, refuse_lookalikes: bool, at: datetime
) -> User:
    """Give the account a new address, confirmed `at` (accounts/ checks it was mailed there
    first). Taken, or with `refuse_lookalikes` looking like a taken one, it is refused as
    registration would refuse it."""
    users = UserRepository(db)
    if refuse_lookalikes and await users.lookalike_exists(email):
        raise EmailLookalikeError
    return await users.update(user, {"email": email, "email_verified_at": at})


async def get_user(db: AsyncSession, *, user_id: uuid.UUID) -> User:
    return await UserRepository(db).get(user_id)


async def find_active_user(db: AsyncSession, *, user_id: uuid.UUID) -> User | None:
    user = await UserRepository(db).find(user_id)
    return user if user is not None and user.is_active else None


async def list_users(db: AsyncSession, *, page: PageQuery) -> tuple[Sequence[User], int]:
    return await UserRepository(db).list_page(limit=page.limit, offset=page.offset)


async def update_user(db: AsyncSession, *, actor: User, user: User, data: UserUpdate) -> User:
    """An admin's change to any account; deactivating it also ends its sessions."""
    changes = data.model_dump(exclude_unset=True)
    demoted = changes.get("role", user.role) != UserRole.ADMIN
    deactivated = changes.get("is_active", True) is False
    if user.id == actor.id and (demoted or deactivated):
        raise SelfModificationError
    if demoted or deactivated:
        await _keep_an_admin(db, actor=actor)
    await UserRepository(db).update(user, changes)
    if deactivated:
        await auth_service.revoke_sessions(db, user_id=user.id)
    return user


async def delete_user(db: AsyncSession, *, actor: User, user: User) -> None:
    if user.id == actor.id:
        raise SelfModificationError
    await _keep_an_admin(db, actor=actor)
    await UserRepository(db).delete(user)


async def _keep_an_admin(db: AsyncSession, *, actor: User) -> None:
    """Before an admin demotes, deactivates or deletes another account: lock the active admins'
    rows and check the actor is still one of them. Without the lock, two admins doing this to
    each other at once would each see the other still admin, and leave none. With it, the
    second waits for the first, then finds it has lost the role; and since the actor is never
    the target, an admin always remains."""
    if actor.id not in await UserRepository(db).lock_active_admins():
        raise PermissionDeniedError("This action needs the admin role")
