"""create job queue

The tables, types and functions of procrastinate, the background job queue (see
docs/jobs.md). They are procrastinate's, not models of ours: `migrations/env.py` leaves every
`procrastinate_*` object out of autogenerate.

procrastinate ships its schema as numbered migration files, never edited once released; this
applies them in order up to SCHEMA_VERSION, so it creates the same schema whichever release
is installed. When an upgrade of procrastinate adds files (its release notes say so), add a
migration that applies the new ones, the same way, with `apply_procrastinate_migrations`.

Revision ID: 9a4c2f7d1e36
Revises: b3f1c9d2e8a4
Create Date: 2026-12-02 00:00:00+00:00
"""

from collections.abc import Sequence

from {{ cookiecutter.package_name }}.core.job_schema import (
    apply_procrastinate_migrations,
    execute_script,
)

revision: str = "9a4c2f7d1e36"
down_revision: str | None = "b3f1c9d2e8a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The last of procrastinate's own migrations that the schema below includes.
SCHEMA_VERSION = "03.04.00_50_post_add_retry_failed_job_procedure.sql"

_DROP = """
DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE function regprocedure;
BEGIN
    FOR function IN
        SELECT oid::regprocedure FROM pg_proc
        WHERE proname LIKE 'procrastinate\\_%' AND pronamespace = current_schema()::regnamespace
    LOOP
        EXECUTE 'DROP FUNCTION ' || function;
    END LOOP;
END $$;
DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status;
"""


def upgrade() -> None:
    apply_procrastinate_migrations(after=None, through=SCHEMA_VERSION)


def downgrade() -> None:
    execute_script(_DROP)
