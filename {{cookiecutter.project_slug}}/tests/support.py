"""Helpers shared by test modules (fixtures live in conftest.py)."""

import contextlib
import re
from collections.abc import AsyncIterator

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.core.config import Settings

# Transaction control the fixtures themselves issue; not counted as the code's statements.
_TRANSACTION_CONTROL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256-signing"


def make_settings(database_url: str | None, **overrides: object) -> Settings:
    """Settings for an app under test, ignoring any .env file; keywords override settings."""
    values: dict[str, object] = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


class StatementCounter:
    """The SQL statements a block of code sent, for N+1 checks."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    def record(self, statement: str) -> None:
        if not _TRANSACTION_CONTROL.match(statement):
            self.statements.append(statement)


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, name: str) -> AsyncIterator[str]:
    """An empty database of its own on the test server, dropped afterwards; yields its URL."""
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        async with admin.connect() as connection:
            await connection.execute(drop)
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(drop)
    finally:
        await admin.dispose()
