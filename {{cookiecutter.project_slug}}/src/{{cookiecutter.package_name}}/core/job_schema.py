"""The job queue's schema in Alembic migrations: procrastinate's own migration files, applied
in order (see the migration that creates the queue)."""

from pathlib import Path

from alembic import context, op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_only


def execute_script(sql: str) -> None:
    """Run several statements in one go. asyncpg runs a script only without parameters and
    outside a prepared statement: on its own connection object, which this reaches."""
    if context.is_offline_mode():
        op.execute(sql)
        return
    driver_connection = op.get_bind().connection.driver_connection
    if driver_connection is None:
        raise RuntimeError("the migration's connection is closed")
    await_only(driver_connection.execute(sql))


def apply_procrastinate_migrations(*, after: str | None, through: str) -> None:
    """Apply procrastinate's migration files named after `after` (from the first if None)
    up to and including `through`, in the order of their names."""
    files = sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql"))
    if through not in {file.name for file in files}:
        raise RuntimeError(
            f"procrastinate's migration {through} is not in the installed release: install "
            "the one uv.lock names (uv sync)"
        )
    for file in files:
        if (after is None or file.name > after) and file.name <= through:
            execute_script(file.read_text(encoding="utf-8"))
