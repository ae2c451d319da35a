"""Typed factories for test data. They only flush: the test's transaction is rolled back."""

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core import passwords
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.users.repository import UserRepository

DEFAULT_PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


async def create_user(
    session: AsyncSession,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    full_name: str = "Test User",
    role: UserRole = UserRole.USER,
    is_active: bool = True,
    hashed_password: str | None = None,
) -> User:
    user = User(
        email=email or f"user{next(_sequence)}@example.com",
        hashed_password=hashed_password or await passwords.hash_password(password),
        full_name=full_name,
        role=role,
        is_active=is_active,
    )
    return await UserRepository(session).create(user)
