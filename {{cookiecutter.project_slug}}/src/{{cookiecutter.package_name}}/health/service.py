import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import (
    DATABASE_UNAVAILABLE_ERRORS,
    DatabaseUnavailableError,
)
from {{ cookiecutter.package_name }}.health.repository import HealthRepository


async def check_database(db: AsyncSession, *, timeout_seconds: float) -> None:
    """Raise `DatabaseUnavailableError` unless the database answers within the timeout."""
    try:
        async with asyncio.timeout(timeout_seconds):
            await HealthRepository(db).ping()
    except TimeoutError as exc:
        raise DatabaseUnavailableError(
            f"The database did not answer within {timeout_seconds:g} s."
        ) from exc
    except DATABASE_UNAVAILABLE_ERRORS as exc:
        raise DatabaseUnavailableError("The database is unreachable.") from exc
