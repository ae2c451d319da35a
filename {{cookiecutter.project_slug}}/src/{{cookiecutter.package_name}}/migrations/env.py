"""Alembic environment: async engine, URL from the CLI/tests or from the settings."""

import asyncio
import logging

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.core import policies
from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import application_role, resolve_migration_url
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.policies import POLICIES

config = context.config
target_metadata = Base.metadata

if not logging.getLogger().handlers:
    configure_logging(get_settings().LOG_LEVEL, get_settings().log_format)


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave the job queue's tables out of autogenerate: procrastinate owns them, and its own
    migration files create them (see the migration that creates the job queue)."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def _database_url() -> str:
    # Set by `core.migrations` (CLI and tests); unset when running the `alembic` command.
    return config.get_main_option("sqlalchemy.url") or resolve_migration_url(get_settings())


# The role the service connects as, which the migrations grant the rows to (core/grants.py):
# given by `core.migrations` (the CLI and the tests); for the `alembic` command, DATABASE_URL's.
if "application_role" not in config.attributes:
    config.attributes["application_role"] = application_role(get_settings())


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`) without connecting."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        transaction_per_migration=True,
        # Autogenerate compares the row-level security policies and the tables they are on
        # too (core/policies.py).
        process_revision_directives=policies.register(POLICIES),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    # Handed over by `core.migrations` with a connection (tests already inside an event loop).
    _run_migrations(connection)
else:
    asyncio.run(run_migrations_online())
