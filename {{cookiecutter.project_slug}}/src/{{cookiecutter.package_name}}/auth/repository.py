import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, delete, exists, func, select, true, update
from sqlalchemy.orm import aliased

from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.repository import Repository
from {{ cookiecutter.package_name }}.core.row_security import caller_context, context_user_id
from {{ cookiecutter.package_name }}.users.models import User


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A login session: the family of refresh tokens that share one `family_id`."""

    id: uuid.UUID
    started_at: datetime
    last_used_at: datetime
    expires_at: datetime


def _session_user() -> tuple[Select[User], type[User]]:
    """The active user, if the session is theirs and still live: one statement, so checking the
    session costs an authenticated request no extra round trip, and one that a repository can
    extend to load what the request needs with it (see ProjectRepository.find_with_caller).
    The same statement makes the token's user the caller that row-level security compares
    owners with (core/row_security.py), so that costs no round trip either.

    A session is live while one of its refresh tokens is neither revoked nor expired: ending it
    (logout, a password change, deactivation, reuse) revokes them all at once.

    Its values are named parameters (`session_user_params` fills them), so the statement is
    built once, when the module loads, instead of on every authenticated request: building a
    statement and its cache key costs more Python than running it (docs/performance.md).

    Returns the statement and the user entity it selects, for statements built on it."""
    context = caller_context()
    live_session = exists().where(
        RefreshToken.family_id == bindparam("session_id"),
        RefreshToken.user_id == User.id,
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
    )
    # LATERAL and OFFSET 0: refresh_tokens is read only once the caller is set (see
    # `caller_context`).
    caller = (
        select(User)
        .where(User.id == context_user_id(context), User.is_active, live_session)
        .offset(0)
        .lateral("session_user")
    )
    session_user = aliased(User, caller)
    return select(session_user).select_from(context).join(caller, true()), session_user


SESSION_USER, SessionUser = _session_user()


def session_user_params(
    user_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime
) -> dict[str, object]:
    """The values `SESSION_USER` (or a statement built on it) runs with."""
    return {"user_id": user_id, "session_id": session_id, "now": now}


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken
    noun = "Refresh token"

    async def claim_for_rotation(self, token_id: uuid.UUID, *, at: datetime) -> RefreshToken | None:
        """Mark the token used, if it is neither used nor revoked, and return it; None
        otherwise. One statement: when two requests present the same token, PostgreSQL makes
        the second wait for the first, and then it matches nothing."""
        statement = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=at)
            .returning(RefreshToken)
        )
        return (await self.db.execute(statement)).scalar_one_or_none()

    async def find_session_user(
        self, user_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime
    ) -> User | None:
        """The active user, if the session is theirs and still live (see `SESSION_USER`)."""
        params = session_user_params(user_id, session_id, now=now)
        return (await self.db.execute(SESSION_USER, params)).scalar_one_or_none()

    async def revoke_family(self, family_id: uuid.UUID, *, at: datetime) -> None:
        statement = (
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        await self.db.execute(statement)

    async def revoke_user_families(
        self, user_id: uuid.UUID, *, at: datetime, except_family_id: uuid.UUID | None = None
    ) -> None:
        statement = (
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        if except_family_id is not None:
            statement = statement.where(RefreshToken.family_id != except_family_id)
        await self.db.execute(statement)

    async def delete_expired(self, *, now: datetime) -> int:
        statement = (
            delete(RefreshToken).where(RefreshToken.expires_at <= now).returning(RefreshToken.id)
        )
        return len((await self.db.execute(statement)).all())

    async def list_sessions(self, user_id: uuid.UUID, *, now: datetime) -> list[LoginSession]:
        """The user's sessions that are neither revoked nor expired, most recently used first."""
        rows = await self.db.execute(
            self._sessions_statement(user_id, now=now).order_by(
                func.max(RefreshToken.created_at).desc(), RefreshToken.family_id
            )
        )
        return [LoginSession(*row) for row in rows]

    async def find_session(
        self, user_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime
    ) -> LoginSession | None:
        """One live session, looked up *within the user's own*: another user's ID finds nothing."""
        statement = self._sessions_statement(user_id, now=now).where(
            RefreshToken.family_id == session_id
        )
        row = (await self.db.execute(statement)).one_or_none()
        return LoginSession(*row) if row is not None else None

    def _sessions_statement(
        self, user_id: uuid.UUID, *, now: datetime
    ) -> Select[uuid.UUID, datetime, datetime, datetime]:
        return (
            select(
                RefreshToken.family_id,
                func.min(RefreshToken.created_at),
                func.max(RefreshToken.created_at),
                func.max(RefreshToken.expires_at),
            )
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .group_by(RefreshToken.family_id)
            .having(func.max(RefreshToken.expires_at) > now)
        )
