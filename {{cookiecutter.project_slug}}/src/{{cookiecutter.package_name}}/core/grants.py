"""What the application role may do, granted by the migrations (see the revision that grants
the application role, and docs/deploy.md, "Database roles").

The service and the worker connect as a role that reads and writes the rows of the
application's tables and nothing else: it owns nothing, so it cannot drop, alter or truncate a
table, and it cannot create one. The migrations run as the role that owns the schema, and grant
it what it needs: the rows of every table there is (the job queue's too), and through default
privileges those of every table a later migration creates, so a new domain needs no grants of
its own.

The role is DATABASE_URL's user (env.py hands it over as the `application_role` attribute);
when the migrations run as that very role (one role for both), there is nothing to grant.
"""

from alembic import context, op
from sqlalchemy import text

ROWS = "SELECT, INSERT, UPDATE, DELETE"
# Sequences: nextval() and reading their value (the job queue's IDs come from one).
SEQUENCE_USE = "USAGE, SELECT"
# Alembic's bookkeeping: the service may read which revision it runs on, never change it.
VERSION_TABLE = "alembic_version"


def application_role() -> str | None:
    """The role to grant to, quoted for SQL, or None when there is none apart from the one
    running the migrations."""
    role = context.config.attributes.get("application_role")
    if not role:
        return None
    if not context.is_offline_mode() and op.get_bind().scalar(text("SELECT current_user")) == role:
        return None
    quoted: str = op.get_context().dialect.identifier_preparer.quote(role)
    return quoted


def grant_rows(role: str) -> None:
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT {ROWS} ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON {VERSION_TABLE} FROM {role}",
        f"GRANT {SEQUENCE_USE} ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Tables and sequences the migrations create from now on (run as this same role).
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {ROWS} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {SEQUENCE_USE} ON SEQUENCES TO {role}",
    ):
        op.execute(statement)


def revoke_rows(role: str) -> None:
    for statement in (
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {ROWS} ON TABLES FROM {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {SEQUENCE_USE} ON SEQUENCES FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE USAGE ON SCHEMA public FROM {role}",
    ):
        op.execute(statement)
