from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.core.repository import Repository
from {{ cookiecutter.package_name }}.users.models import User


class UserRepository(Repository[User]):
    model = User
    noun = "User"

    async def get_by_email(self, email: str) -> User | None:
        statement = select(User).where(func.lower(User.email) == email.lower())
        return (await self.session.execute(statement)).scalar_one_or_none()
