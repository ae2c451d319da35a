"""The session rules without HTTP: login, rotation, reuse detection, and who a token is."""

import uuid

import bcrypt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.errors import (
    InvalidCredentialsError,
    RefreshTokenReusedError,
    SessionRevokedError,
)
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.errors import InvalidTokenError
from {{ cookiecutter.package_name }}.core.security import TokenCodec, TokenLifetimes
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import DEFAULT_PASSWORD, FAST_PASSWORDS, age_rotations, create_user


@pytest.fixture
def tokens(settings: Settings) -> TokenCodec:
    return TokenCodec(settings)


@pytest.fixture
def lifetimes(settings: Settings) -> TokenLifetimes:
    return TokenLifetimes.from_settings(settings)


@pytest.fixture
def units(sessionmaker: async_sessionmaker[AsyncSession]) -> UnitsOfWork:
    return UnitsOfWork(sessionmaker)


async def log_in(
    units: UnitsOfWork, user: User, tokens: TokenCodec, lifetimes: TokenLifetimes
) -> str:
    pair = await auth_service.login(
        units,
        email=user.email,
        password=DEFAULT_PASSWORD,
        tokens=tokens,
        lifetimes=lifetimes,
        passwords=FAST_PASSWORDS,
        require_verified_email=True,
    )
    return pair.refresh_token


@pytest.mark.parametrize(
    ("email", "password"),
    [("member@example.com", "a wrong password"), ("nobody@example.com", DEFAULT_PASSWORD)],
)
async def test_a_wrong_password_and_an_unknown_email_fail_alike(
    units: UnitsOfWork,
    user: User,
    tokens: TokenCodec,
    lifetimes: TokenLifetimes,
    email: str,
    password: str,
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await auth_service.login(
            units,
            email=email,
            password=password,
            tokens=tokens,
            lifetimes=lifetimes,
            passwords=FAST_PASSWORDS,
            require_verified_email=True,
        )


async def test_login_replaces_an_old_hash_through_the_repository(
    db: AsyncSession, tokens: TokenCodec, lifetimes: TokenLifetimes, units: UnitsOfWork
) -> None:
    legacy = bcrypt.hashpw(DEFAULT_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    user = await create_user(db, hashed_password=legacy)
    await log_in(units, user, tokens, lifetimes)
    await db.refresh(user)
    assert user.hashed_password.startswith("$argon2id$")


async def test_a_refresh_rotates_the_token_within_its_session(
    db: AsyncSession, user: User, tokens: TokenCodec, lifetimes: TokenLifetimes, units: UnitsOfWork
) -> None:
    first = await log_in(units, user, tokens, lifetimes)
    pair = await auth_service.refresh(
        units, refresh_token=first, tokens=tokens, lifetimes=lifetimes
    )
    old = tokens.verify(first, expected_type="refresh")
    new = tokens.verify(pair.refresh_token, expected_type="refresh")
    assert new.session_id == old.session_id
    assert new.token_id != old.token_id


async def test_a_reused_token_revokes_its_session_in_a_unit_of_work_of_its_own(
    db: AsyncSession, user: User, tokens: TokenCodec, lifetimes: TokenLifetimes, units: UnitsOfWork
) -> None:
    first = await log_in(units, user, tokens, lifetimes)
    second = await auth_service.refresh(
        units, refresh_token=first, tokens=tokens, lifetimes=lifetimes
    )
    await age_rotations(db)
    with pytest.raises(RefreshTokenReusedError):
        await auth_service.refresh(units, refresh_token=first, tokens=tokens, lifetimes=lifetimes)
    # The revocation was committed before the error, so the successor is dead too.
    session_id = tokens.verify(first, expected_type="refresh").session_id
    revoked = select(RefreshToken.revoked_at).where(RefreshToken.family_id == session_id)
    assert None not in set((await db.execute(revoked)).scalars())
    with pytest.raises(SessionRevokedError):
        await auth_service.refresh(
            units, refresh_token=second.refresh_token, tokens=tokens, lifetimes=lifetimes
        )


async def test_an_unknown_refresh_token_is_an_ended_session(
    user: User, tokens: TokenCodec, lifetimes: TokenLifetimes, units: UnitsOfWork
) -> None:
    forged = tokens.issue(
        subject=user.id, session_id=uuid.uuid4(), token_type="refresh", lifetime=lifetimes.refresh
    )
    with pytest.raises(SessionRevokedError):
        await auth_service.refresh(
            units, refresh_token=forged.token, tokens=tokens, lifetimes=lifetimes
        )


async def test_an_access_token_of_a_deactivated_user_is_worth_nothing(
    db: AsyncSession, tokens: TokenCodec, lifetimes: TokenLifetimes
) -> None:
    user = await create_user(db, is_active=False)
    access = tokens.issue(
        subject=user.id, session_id=uuid.uuid4(), token_type="access", lifetime=lifetimes.access
    )
    with pytest.raises(InvalidTokenError):
        await auth_service.authenticate(db, claims=access.claims)
