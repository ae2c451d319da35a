"""The service connects as a role that reads and writes rows and changes no schema: what a
bug or an injected statement can do is bounded by the database, not only by the code. The
tests' database is set up as production's (docs/deploy.md, "Database roles"): the migrations
ran as the owner, and every test connects as the application role."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection

# What only a table's owner (or a superuser) may do, on a table every bake has.
SCHEMA_CHANGES = [
    "DROP TABLE users",
    "ALTER TABLE users ADD COLUMN planted integer",
    "TRUNCATE users",
    "CREATE TABLE planted (id integer)",
    "CREATE INDEX planted ON users (created_at)",
    "ALTER TABLE users DISABLE ROW LEVEL SECURITY",
    "CREATE SCHEMA planted",
    "CREATE FUNCTION planted() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
    "UPDATE alembic_version SET version_num = 'planted'",
]


@pytest.fixture(autouse=True)
async def two_roles(connection: AsyncConnection) -> None:
    owner = await connection.scalar(
        text("SELECT tableowner FROM pg_tables WHERE tablename = 'users'")
    )
    if owner == await connection.scalar(text("SELECT current_user")):
        pytest.skip("DATABASE_URL's role owns the tables (no MIGRATION_DATABASE_URL): one role")


async def test_the_application_role_is_no_superuser_and_bypasses_nothing(
    connection: AsyncConnection,
) -> None:
    attributes = (
        await connection.execute(
            text(
                "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole "
                "FROM pg_roles WHERE rolname = current_user"
            )
        )
    ).one()
    assert tuple(attributes) == (False, False, False, False)


@pytest.mark.parametrize("statement", SCHEMA_CHANGES)
async def test_the_application_role_cannot_change_the_schema(
    connection: AsyncConnection, statement: str
) -> None:
    with pytest.raises(ProgrammingError, match=r"must be owner|permission denied"):
        async with connection.begin_nested():
            await connection.execute(text(statement))
    # Nothing changed: the table is there, with its columns, and still readable.
    assert await connection.scalar(text("SELECT count(*) >= 0 FROM users"))
    columns = await connection.scalar(
        text(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'users' AND column_name = 'planted'"
        )
    )
    assert columns == 0


async def test_the_application_role_reads_and_writes_rows_and_reads_the_revision(
    connection: AsyncConnection,
) -> None:
    privileges = await connection.execute(
        text(
            "SELECT privilege_type FROM information_schema.table_privileges "
            "WHERE grantee = current_user AND table_name = :table ORDER BY privilege_type"
        ),
        {"table": "users"},
    )
    assert privileges.scalars().all() == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
