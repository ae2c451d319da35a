import uuid
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.core.repository import ConflictMap, Repository
from {{ cookiecutter.package_name }}.users.errors import EmailTakenError
from {{ cookiecutter.package_name }}.users.models import User, UserRole


class UserRepository(Repository[User]):
    model = User
    noun = "User"
    unique_conflicts: ClassVar[ConflictMap] = {"uq_users_email_lower": EmailTakenError}

    async def find_by_email(self, email: str) -> User | None:
        statement = select(User).where(func.lower(User.email) == email.lower())
        return (await self.db.execute(statement)).scalar_one_or_none()

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
