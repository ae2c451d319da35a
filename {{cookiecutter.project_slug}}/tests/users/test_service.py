"""The account rules without HTTP: registration, self-service changes, administration."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.errors import PermissionDeniedError
from {{ cookiecutter.package_name }}.core.row_security import act_for
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.errors import (
    EmailLookalikeError,
    EmailTakenError,
    InvalidCurrentPasswordError,
    SelfModificationError,
)
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserUpdate, UserUpdateMe

from tests.factories import DEFAULT_PASSWORD, FAST_PASSWORDS, create_user


async def live_sessions(db: AsyncSession, user: User) -> set[uuid.UUID]:
    statement = select(RefreshToken.family_id).where(
        RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None)
    )
    return set((await db.execute(statement)).scalars())


async def start_session(db: AsyncSession, user: User) -> uuid.UUID:
    """A session of `user`, who is then the caller row-level security sees, as in a request."""
    await act_for(db, user.id)
    family_id = uuid.uuid4()
    expires_at = datetime.now(UTC) + timedelta(days=1)
    db.add(RefreshToken(family_id=family_id, user_id=user.id, expires_at=expires_at))
    await db.flush()
    return family_id


async def test_register_stores_a_hash_never_the_password(db: AsyncSession) -> None:
    data = UserCreate(email="new@example.com", password="a long passphrase", full_name="New")
    user = await user_service.register(
        db, data=data, passwords=FAST_PASSWORDS, refuse_lookalikes=True
    )
    assert user.hashed_password.startswith("$argon2id$")
    assert "a long passphrase" not in user.hashed_password
    assert (user.role, user.is_active) == (UserRole.USER, True)


async def test_an_address_taken_in_another_letter_case_is_refused(db: AsyncSession) -> None:
    await create_user(db, email="taken@example.com")
    data = UserCreate(email="TAKEN@example.com", password="a long passphrase", full_name="Twin")
    with pytest.raises(EmailTakenError):
        await user_service.register(db, data=data, passwords=FAST_PASSWORDS, refuse_lookalikes=True)


@pytest.mark.parametrize(("refuse", "refused"), [(True, True), (False, False)])
async def test_a_lookalike_is_refused_when_the_service_is_told_to(
    db: AsyncSession, *, refuse: bool, refused: bool
) -> None:
    await create_user(db, email="taken@example.com")
    # "taken", with a Cyrillic a (U+0430) in place of the Latin one.
    data = UserCreate(email="t\u0430ken@example.com", password="a long passphrase", full_name="T")
    if refused:
        with pytest.raises(EmailLookalikeError):
            await user_service.register(
                db, data=data, passwords=FAST_PASSWORDS, refuse_lookalikes=refuse
            )
    else:
        user = await user_service.register(
            db, data=data, passwords=FAST_PASSWORDS, refuse_lookalikes=refuse
        )
        assert user.email_lookalike == "taken@example.com"


async def test_a_wrong_current_password_changes_nothing(db: AsyncSession, user: User) -> None:
    before = user.hashed_password
    data = UserUpdateMe(full_name="Renamed", password="a new passphrase", current_password="no")
    with pytest.raises(InvalidCurrentPasswordError):
        await user_service.update_me(
            db, user=user, data=data, current_session_id=uuid.uuid4(), passwords=FAST_PASSWORDS
        )
    await db.refresh(user)
    assert (user.full_name, user.hashed_password) == ("Member", before)


async def test_a_new_password_ends_every_other_session(db: AsyncSession, user: User) -> None:
    current, other = await start_session(db, user), await start_session(db, user)
    data = UserUpdateMe(password="a new passphrase", current_password=DEFAULT_PASSWORD)
    await user_service.update_me(
        db, user=user, data=data, current_session_id=current, passwords=FAST_PASSWORDS
    )
    await db.refresh(user)
    assert (await FAST_PASSWORDS.verify("a new passphrase", user.hashed_password))[0]
    assert await live_sessions(db, user) == {current}
    assert other not in await live_sessions(db, user)


@pytest.mark.parametrize("change", [{"role": UserRole.USER}, {"is_active": False}])
async def test_an_admin_cannot_demote_or_deactivate_themselves(
    db: AsyncSession, admin: User, change: dict[str, object]
) -> None:
    with pytest.raises(SelfModificationError):
        await user_service.update_user(
            db, actor=admin, user=admin, data=UserUpdate.model_validate(change)
        )
    await db.refresh(admin)
    assert (admin.role, admin.is_active) == (UserRole.ADMIN, True)


async def test_deactivating_an_account_ends_its_sessions(
    db: AsyncSession, admin: User, user: User
) -> None:
    await start_session(db, user)
    # The admin's request: the caller is the admin, whose policy reaches every user's sessions.
    await act_for(db, admin.id)
    await user_service.update_user(db, actor=admin, user=user, data=UserUpdate(is_active=False))
    assert user.is_active is False
    assert await live_sessions(db, user) == set()


async def test_an_admin_cannot_delete_themselves(db: AsyncSession, admin: User) -> None:
    with pytest.raises(SelfModificationError):
        await user_service.delete_user(db, actor=admin, user=admin)
    assert await user_service.find_active_user(db, user_id=admin.id) is admin


@pytest.mark.parametrize(
    "change", [UserUpdate(role=UserRole.USER), UserUpdate(is_active=False), None]
)
async def test_an_admin_who_lost_the_role_meanwhile_cannot_remove_another(
    db: AsyncSession, admin: User, change: UserUpdate | None
) -> None:
    other = await create_user(db, email="other-admin@example.com", role=UserRole.ADMIN)
    # What a concurrent request did first: `admin` was demoted, though the object in hand
    # (loaded when this request authenticated) still says admin.
    await db.execute(update(User).where(User.id == admin.id).values(role=UserRole.USER))
    with pytest.raises(PermissionDeniedError):
        if change is None:
            await user_service.delete_user(db, actor=admin, user=other)
        else:
            await user_service.update_user(db, actor=admin, user=other, data=change)
