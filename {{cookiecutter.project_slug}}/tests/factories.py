"""Typed factories for test data. They only flush: the test's transaction is rolled back.

Passwords are hashed at the "fast" cost, as the test apps verify them (see `make_settings`):
a user then costs microseconds instead of tens of milliseconds of argon2.
"""

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.users.repository import UserRepository

DEFAULT_PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)
FAST_PASSWORDS = PasswordHasher("fast")


async def create_user(
    db: AsyncSession,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    full_name: str = "Test User",
    role: UserRole = UserRole.USER,
    is_active: bool = True,
    hashed_password: str | None = None,
    verified: bool = True,
) -> User:
    """A user; `verified=False` for one who has not confirmed their address yet."""
    user = User(
        email=email or f"user{next(_sequence)}@example.com",
        hashed_password=hashed_password or await FAST_PASSWORDS.hash(password),
        full_name=full_name,
        role=role,
        is_active=is_active,
        email_verified_at=datetime.now(UTC) if verified else None,
    )
    return await UserRepository(db).create(user)


async def age_rotations(db: AsyncSession, *, by: timedelta = timedelta(minutes=1)) -> None:
    """Move every refresh-token rotation so far `by` into the past: beyond the reuse grace
    window, presenting a rotated token again counts as reuse. No test has to sleep for it."""
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.used_at.is_not(None))
        .values(used_at=RefreshToken.used_at - by)
    )
    await db.flush()
