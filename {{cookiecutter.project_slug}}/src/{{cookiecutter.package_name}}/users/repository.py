from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.core.repository import ConflictMap, Repository
from {{ cookiecutter.package_name }}.users.errors import EmailTakenError
from {{ cookiecutter.package_name }}.users.models import User


class UserRepository(Repository[User]):
    model = User
    noun = "User"
    unique_conflicts: ClassVar[ConflictMap] = {"uq_users_email_lower": EmailTakenError}

    async def find_by_email(self, email: str) -> User | None:
        statement = select(User).where(func.lower(User.email) == email.lower())
        return (await self.db.execute(statement)).scalar_one_or_none()

    async def list_page(self, *, limit: int, offset: int) -> tuple[Sequence[User], int]:
        """Oldest first; the ID breaks ties so pages never overlap."""
        statement = self.base_statement().order_by(User.created_at, User.id)
        return await self.paginate(statement, limit=limit, offset=offset)
