import uuid
from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.core.db import DbSession
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository


async def get_user_by_id(user_id: uuid.UUID, session: DbSession) -> User:
    """The user named in the path, or a 404 (routes using it are admin-only)."""
    return await UserRepository(session).get(user_id)


UserById = Annotated[User, Depends(get_user_by_id)]
