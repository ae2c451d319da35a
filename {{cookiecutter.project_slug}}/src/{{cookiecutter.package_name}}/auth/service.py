"""Sessions: log in, rotate refresh tokens (detecting reuse), log out, end sessions.

Reads users through `UserRepository`; `users.service` calls `revoke_sessions` when a password
changes or an account is deactivated, so the dependency runs one way: users -> auth -> users'
repository.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.errors import (
    InvalidCredentialsError,
    RefreshTokenReusedError,
)
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.auth.repository import RefreshTokenRepository, SessionSummary
from {{ cookiecutter.package_name }}.auth.schemas import SessionRead, TokenPair
from {{ cookiecutter.package_name }}.core import passwords
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import AuthenticationError, NotFoundError
from {{ cookiecutter.package_name }}.core.security import TokenClaims, TokenCodec
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository

logger = logging.getLogger(__name__)


async def login(
    session: AsyncSession, *, email: str, password: str, tokens: TokenCodec, settings: Settings
) -> TokenPair:
    """Check the credentials and start a new session. Every failure looks and takes the same."""
    user = await UserRepository(session).get_by_email(email)
    if user is None:
        await passwords.verify_against_dummy(password)
        raise InvalidCredentialsError
    verified, replacement = await passwords.verify_password(password, user.hashed_password)
    if not verified or not user.is_active:
        raise InvalidCredentialsError
    if replacement is not None:
        # An older scheme (bcrypt) or weaker parameters: upgrade now that we know the password.
        user.hashed_password = replacement
    return await _issue_pair(
        session, user_id=user.id, session_id=uuid.uuid4(), tokens=tokens, settings=settings
    )


async def refresh(
    session: AsyncSession, *, refresh_token: str, tokens: TokenCodec, settings: Settings
) -> TokenPair:
    """Exchange a refresh token for a new pair; the presented token can never be used again."""
    claims = tokens.verify(refresh_token, expected_type="refresh")
    repository = RefreshTokenRepository(session)
    stored = await repository.get_for_update(claims.token_id)
    if stored is None or stored.revoked_at is not None:
        raise AuthenticationError("The session has ended", code="session_revoked")
    now = datetime.now(UTC)
    if stored.used_at is not None:
        await repository.revoke_family(stored.family_id, at=now)
        logger.warning(
            "refresh token reused; session revoked",
            extra={"user_id": str(stored.user_id), "session_id": str(stored.family_id)},
        )
        raise RefreshTokenReusedError
    user = await UserRepository(session).get_or_none(stored.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("The session has ended", code="session_revoked")
    stored.used_at = now
    return await _issue_pair(
        session, user_id=user.id, session_id=stored.family_id, tokens=tokens, settings=settings
    )


async def logout(session: AsyncSession, *, refresh_token: str, tokens: TokenCodec) -> None:
    """End the session the refresh token belongs to (repeating it is harmless)."""
    claims = tokens.verify(refresh_token, expected_type="refresh")
    await RefreshTokenRepository(session).revoke_family(claims.session_id, at=datetime.now(UTC))


async def list_sessions(
    session: AsyncSession, *, user_id: uuid.UUID, current_session_id: uuid.UUID
) -> list[SessionRead]:
    summaries = await RefreshTokenRepository(session).list_sessions(user_id, now=datetime.now(UTC))
    return [
        SessionRead(
            id=summary.id,
            started_at=summary.started_at,
            last_used_at=summary.last_used_at,
            expires_at=summary.expires_at,
            current=summary.id == current_session_id,
        )
        for summary in summaries
    ]


async def get_own_session(
    session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID
) -> SessionSummary:
    """A live session of this user. Another user's session is "not found", exactly like one
    that never existed, so IDs cannot be probed."""
    summary = await RefreshTokenRepository(session).get_session(
        user_id, session_id, now=datetime.now(UTC)
    )
    if summary is None:
        raise NotFoundError(f"Session {session_id} not found")
    return summary


async def end_session(session: AsyncSession, *, session_id: uuid.UUID) -> None:
    await RefreshTokenRepository(session).revoke_family(session_id, at=datetime.now(UTC))


async def revoke_sessions(
    session: AsyncSession, *, user_id: uuid.UUID, except_session_id: uuid.UUID | None = None
) -> None:
    """End every session of a user, or every one but the caller's own."""
    await RefreshTokenRepository(session).revoke_user_families(
        user_id, at=datetime.now(UTC), except_family_id=except_session_id
    )


async def purge_expired_tokens(session: AsyncSession) -> int:
    """Delete refresh tokens past their expiry (useless by then); returns how many."""
    return await RefreshTokenRepository(session).delete_expired(now=datetime.now(UTC))


async def authenticate(session: AsyncSession, *, claims: TokenClaims) -> User:
    """The active user an access token was issued to."""
    user = await UserRepository(session).get_or_none(claims.subject)
    if user is None or not user.is_active:
        # Deleted or deactivated since the token was issued: the token is worth nothing now.
        raise AuthenticationError("The token is invalid", code="invalid_token")
    return user


async def _issue_pair(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    tokens: TokenCodec,
    settings: Settings,
) -> TokenPair:
    access_lifetime = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    refresh = tokens.issue(
        subject=user_id,
        session_id=session_id,
        token_type="refresh",
        lifetime=timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
    )
    await RefreshTokenRepository(session).create(
        RefreshToken(
            id=refresh.claims.token_id,
            family_id=session_id,
            user_id=user_id,
            expires_at=refresh.claims.expires_at,
        )
    )
    access = tokens.issue(
        subject=user_id, session_id=session_id, token_type="access", lifetime=access_lifetime
    )
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=int(access_lifetime.total_seconds()),
    )
