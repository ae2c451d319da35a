import uuid
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import exists, func, select

from {{ cookiecutter.package_name }}.core.repository import ConflictMap, Repository
from {{ cookiecutter.package_name }}.users.emails import (
    UnusableEmailError,
    email_key,
    lookalike_key,
)
from {{ cookiecutter.package_name }}.users.errors import EmailTakenError
from {{ cookiecutter.package_name }}.users.models import User, UserRole


class UserRepository(Repository[User]):
    model = User
    noun = "User"
    unique_conflicts: ClassVar[ConflictMap] = {"uq_users_email_key": EmailTakenError}

    async def find_by_email(self, email: str) -> User | None:
        """The account an address names, however it is written (see users/emails.py)."""
        try:
            key = email_key(email)
        except UnusableEmailError:
            return None
        statement = select(User).where(User.email_key == key)
        return (await self.db.execute(statement)).scalar_one_or_none()

    async def find_id_by_email(self, email: str) -> uuid.UUID | None:
        """The ID of the account an address names: no row to load, so a request that only
        needs to know takes the same time whether there is one or not."""
        try:
            key = email_key(email)
        except UnusableEmailError:
            return None
        return await self.db.scalar(select(User.id).where(User.email_key == key))

    async def lookalike_exists(self, address: str) -> bool:
        """Whether another account's address only looks like `address`. Registrations (and
        email changes) to look-alike addresses are serialised by a lock on their shared key
        until the transaction ends, so two cannot both pass this check at once."""
        key = email_key(address)
        lookalike = lookalike_key(key)
        lock = func.pg_advisory_xact_lock(func.hashtextextended(lookalike, 0))
        await self.db.execute(select(lock))
        statement = select(exists().where(User.email_lookalike == lookalike, User.email_key != key))
        return bool(await self.db.scalar(statement))

    async def lock_active_admins(self) -> set[uuid.UUID]:
        """The active admins' IDs, their rows locked until the transaction ends. In ID order,
        so two transactions taking these locks cannot deadlock."""
        statement = (
            select(User.id)
            .where(User.role == UserRole.ADMIN, User.is_active)
            .order_by(User.id)
            .with_for_update()
        )
        return set((await self.db.execute(statement)).scalars())

    async def list_page(self, *, limit: int, offset: int) -> tuple[Sequence[User], int]:
        """Oldest first; the ID breaks ties so pages never overlap."""
        statement = self.base_statement().order_by(User.created_at, User.id)
        return await self.paginate(statement, limit=limit, offset=offset)
