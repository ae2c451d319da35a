"""check a task's project with IN

The tasks' policy asked `EXISTS (SELECT FROM projects WHERE projects.id = tasks.project_id)`.
PostgreSQL ran that as a hashed subplan but priced it far above its cost, and so joined a task
list to its assignees with a nested loop (about 10,000 comparisons for 600 tasks) instead of a
hash join: the list's statement took twice as long with the policy as without it. The same rule
written `project_id IN (SELECT projects.id FROM projects)` keeps the hash join. It sees the same
rows (a task's project_id is never null).

Revision ID: e4a7c2b9d583
Revises: 8c3d5f1a7b92
Create Date: 2026-12-06 00:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op
from alembic_utils.pg_policy import PGPolicy

revision: str = "e4a7c2b9d583"
down_revision: str | None = "8c3d5f1a7b92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _in_visible_project(rule: str) -> PGPolicy:
    return PGPolicy(
        schema="public",
        signature="tasks_in_visible_project",
        on_entity="public.tasks",
        definition=f"AS PERMISSIVE FOR ALL TO PUBLIC USING ({rule}) WITH CHECK ({rule})",
    )


# Copied as they are now, like columns; tasks/policies.py holds the current one.
WITH_IN = _in_visible_project("project_id IN (SELECT projects.id FROM projects)")
WITH_EXISTS = _in_visible_project(
    "EXISTS (SELECT FROM projects WHERE projects.id = tasks.project_id)"
)

# `replace_entity` is registered by alembic_utils when env.py loads.


def upgrade() -> None:
    op.replace_entity(WITH_IN)


def downgrade() -> None:
    op.replace_entity(WITH_EXISTS)
