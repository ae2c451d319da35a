"""User accounts: registration, self-service changes, and administration."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.core import passwords
from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.users.errors import (
    InvalidCurrentPasswordError,
    SelfModificationError,
)
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.users.repository import UserRepository
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserUpdate, UserUpdateMe


async def register(
    session: AsyncSession, *, data: UserCreate, role: UserRole = UserRole.USER
) -> User:
    """Create an account; a taken email (in any letter case) is an `EmailTakenError`."""
    user = User(
        email=str(data.email),
        hashed_password=await passwords.hash_password(data.password),
        full_name=data.full_name,
        role=role,
    )
    return await UserRepository(session).create(user)


async def update_me(
    session: AsyncSession, *, user: User, data: UserUpdateMe, current_session_id: uuid.UUID
) -> User:
    """Change one's own name and/or password. A new password ends every other session."""
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.password is not None:
        verified, _ = await passwords.verify_password(
            data.current_password or "", user.hashed_password
        )
        if not verified:
            raise InvalidCurrentPasswordError
        user.hashed_password = await passwords.hash_password(data.password)
        await auth_service.revoke_sessions(
            session, user_id=user.id, except_session_id=current_session_id
        )
    await session.flush()
    return user


async def get_user(session: AsyncSession, *, user_id: uuid.UUID) -> User:
    return await UserRepository(session).get(user_id)


async def find_active_user(session: AsyncSession, *, user_id: uuid.UUID) -> User | None:
    user = await UserRepository(session).get_or_none(user_id)
    return user if user is not None and user.is_active else None


async def list_users(session: AsyncSession, *, page: PageQuery) -> tuple[Sequence[User], int]:
    return await UserRepository(session).list_page(limit=page.limit, offset=page.offset)


async def update_user(session: AsyncSession, *, actor: User, user: User, data: UserUpdate) -> User:
    """An admin's change to any account; deactivating it also ends its sessions."""
    changes = data.model_dump(exclude_unset=True)
    demoted = changes.get("role", user.role) != UserRole.ADMIN
    deactivated = changes.get("is_active", True) is False
    if user.id == actor.id and (demoted or deactivated):
        raise SelfModificationError
    await UserRepository(session).update(user, changes)
    if deactivated:
        await auth_service.revoke_sessions(session, user_id=user.id)
    return user


async def delete_user(session: AsyncSession, *, actor: User, user: User) -> None:
    if user.id == actor.id:
        raise SelfModificationError
    await UserRepository(session).delete(user)
