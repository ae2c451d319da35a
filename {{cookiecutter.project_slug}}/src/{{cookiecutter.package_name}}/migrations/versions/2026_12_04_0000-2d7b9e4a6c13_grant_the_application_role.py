"""grant the application role

The service's own role (DATABASE_URL's user) gets the rows of every table, and of every table
later migrations create; nothing when the migrations run as that role themselves. See
core/grants.py.

Revision ID: 2d7b9e4a6c13
Revises: 4f8e2a6c1b57
Create Date: 2026-12-04 00:00:00+00:00
"""

from collections.abc import Sequence

from {{ cookiecutter.package_name }}.core.grants import application_role, grant_rows, revoke_rows

revision: str = "2d7b9e4a6c13"
down_revision: str | None = "4f8e2a6c1b57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    role = application_role()
    if role is not None:
        grant_rows(role)


def downgrade() -> None:
    role = application_role()
    if role is not None:
        revoke_rows(role)
