"""Sessions: log in, rotate refresh tokens (detecting reuse), log out, end sessions.

Reads users through `UserRepository`; `users.service` calls `revoke_sessions` when a password
changes or an account is deactivated, so the dependency runs one way: users -> auth -> users'
repository.
"""

import logging
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.errors import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    RefreshTokenReusedError,
    SessionRevokedError,
)
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.auth.repository import LoginSession, RefreshTokenRepository
from {{ cookiecutter.package_name }}.auth.schemas import SessionRead, TokenPair
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.errors import InvalidTokenError, NotFoundError
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.core.row_security import act_for
from {{ cookiecutter.package_name }}.core.security import TokenClaims, TokenCodec, TokenLifetimes
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository

logger = logging.getLogger(__name__)


async def login(
    units: UnitsOfWork,
    *,
    email: str,
    password: str,
    tokens: TokenCodec,
    lifetimes: TokenLifetimes,
    passwords: PasswordHasher,
    require_verified_email: bool,
) -> TokenPair:
    """Check the credentials and start a new session. Every failure of the credentials looks
    and takes the same; with `require_verified_email`, right credentials of an account whose
    address was never confirmed are an `EmailNotVerifiedError`, which says nothing a guesser
    could use: only the password's owner gets that far.

    The password is checked between two short units of work, holding no database connection:
    a hash takes tens of milliseconds of CPU, and a login storm holding connections meanwhile
    would starve every other request of them."""
    async with units() as db:
        user = await UserRepository(db).find_by_email(email)
    if user is None:
        await passwords.verify_against_dummy(password)
        raise InvalidCredentialsError
    verified, replacement = await passwords.verify(password, user.hashed_password)
    if not verified or not user.is_active:
        raise InvalidCredentialsError
    if require_verified_email and user.email_verified_at is None:
        raise EmailNotVerifiedError
    async with units(acting_for=user.id) as db:
        if replacement is not None:
            # An older scheme (bcrypt) or weaker parameters: upgrade now that we know the
            # password. The row is read again: the first unit of work is over.
            users = UserRepository(db)
            await users.update(await users.get(user.id), {"hashed_password": replacement})
        return await _issue_pair(
            db, user_id=user.id, session_id=uuid.uuid4(), tokens=tokens, lifetimes=lifetimes
        )


async def refresh(
    units: UnitsOfWork, *, refresh_token: str, tokens: TokenCodec, lifetimes: TokenLifetimes
) -> TokenPair:
    """Exchange a refresh token for a new pair; the presented token is never rotated twice.

    Presented again within `lifetimes.reuse_grace` of its rotation, it gets another pair of the
    same session: two tabs refreshing at once, or a retry after a lost answer, must not log the
    user out. Later, it was copied: its whole session is revoked. That refusal must still
    write, so this opens its own units of work and commits the revocation before the error."""
    claims = tokens.verify(refresh_token, expected_type="refresh")
    now = datetime.now(UTC)
    async with units(acting_for=claims.subject) as db:
        repository = RefreshTokenRepository(db)
        # When two requests present one token, PostgreSQL makes the second wait here until the
        # first commits; then it claims nothing, and is judged by when the first rotated it.
        stored = await repository.claim_for_rotation(claims.token_id, at=now)
        copied = False
        if stored is None:
            stored = await repository.find(claims.token_id)
            if stored is None or stored.revoked_at is not None:
                raise SessionRevokedError
            copied = not _rotated_within(stored, lifetimes.reuse_grace)
        if not copied:
            user = await UserRepository(db).find(stored.user_id)
            if user is None or not user.is_active:
                raise SessionRevokedError
            return await _issue_pair(
                db, user_id=user.id, session_id=stored.family_id, tokens=tokens, lifetimes=lifetimes
            )
        # Rotated a while ago: whoever holds a copy must not keep the session.
        await repository.revoke_family(stored.family_id, at=now)
    logger.warning(
        "refresh token reused; session revoked",
        extra={"user_id": str(stored.user_id), "session_id": str(stored.family_id)},
    )
    raise RefreshTokenReusedError


async def logout(db: AsyncSession, *, refresh_token: str, tokens: TokenCodec) -> None:
    """End the session the refresh token belongs to (repeating it is harmless)."""
    claims = tokens.verify(refresh_token, expected_type="refresh")
    await act_for(db, claims.subject)
    await RefreshTokenRepository(db).revoke_family(claims.session_id, at=datetime.now(UTC))


async def list_sessions(
    db: AsyncSession, *, user_id: uuid.UUID, current_session_id: uuid.UUID
) -> list[SessionRead]:
    sessions = await RefreshTokenRepository(db).list_sessions(user_id, now=datetime.now(UTC))
    return [
        SessionRead.model_validate(asdict(login) | {"current": login.id == current_session_id})
        for login in sessions
    ]


async def get_own_session(
    db: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID
) -> LoginSession:
    """A live session of this user. Another user's session is "not found", exactly like one
    that never existed, so IDs cannot be probed."""
    login = await RefreshTokenRepository(db).find_session(
        user_id, session_id, now=datetime.now(UTC)
    )
    if login is None:
        raise NotFoundError(f"Session {session_id} not found")
    return login


async def end_session(db: AsyncSession, *, session_id: uuid.UUID) -> None:
    await RefreshTokenRepository(db).revoke_family(session_id, at=datetime.now(UTC))


async def revoke_sessions(
    db: AsyncSession, *, user_id: uuid.UUID, except_session_id: uuid.UUID | None = None
) -> None:
    """End every session of a user, or every one but the caller's own."""
    await RefreshTokenRepository(db).revoke_user_families(
        user_id, at=datetime.now(UTC), except_family_id=except_session_id
    )


async def authenticate(db: AsyncSession, *, claims: TokenClaims) -> User:
    """The active user an access token was issued to, while the token's session is live.

    An access token dies with its session: after logout, the end of the session, a password
    change, deactivation or reuse of a refresh token of its family; not 15 minutes later."""
    user = await RefreshTokenRepository(db).find_session_user(
        claims.subject, claims.session_id, now=datetime.now(UTC)
    )
    return require_caller(user)


def require_caller(user: User | None) -> User:
    """The caller, or the 401 of a token whose user or session is gone."""
    if user is None:
        raise InvalidTokenError("The token is invalid")
    return user


def _rotated_within(token: RefreshToken, grace: timedelta) -> bool:
    # The clock is read now, after any wait for the row: a zero grace makes every second
    # presentation a reuse, however close the two requests were.
    return token.used_at is not None and datetime.now(UTC) - token.used_at <= grace


async def _issue_pair(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    tokens: TokenCodec,
    lifetimes: TokenLifetimes,
) -> TokenPair:
    refresh = tokens.issue(
        subject=user_id, session_id=session_id, token_type="refresh", lifetime=lifetimes.refresh
    )
    await RefreshTokenRepository(db).create(
        RefreshToken(
            id=refresh.claims.token_id,
            family_id=session_id,
            user_id=user_id,
            expires_at=refresh.claims.expires_at,
        )
    )
    access = tokens.issue(
        subject=user_id, session_id=session_id, token_type="access", lifetime=lifetimes.access
    )
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=int(lifetimes.access.total_seconds()),
    )
