"""enable row-level security

Every table that holds a user's rows gets row-level security, enabled and forced (the owner is
bound too), and the policies of core/row_security.py: a transaction sees the rows of the caller
it names, or, doing system work, what that work may touch. Definitions are copied here as they
were when this revision was written, like columns; the package's `policies.py` holds the
current ones, and `alembic check` compares the two.

Revision ID: 8c3d5f1a7b92
Revises: 2d7b9e4a6c13
Create Date: 2026-12-05 00:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op
from alembic_utils.pg_policy import PGPolicy

revision: str = "8c3d5f1a7b92"
down_revision: str | None = "2d7b9e4a6c13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

{% if cookiecutter.include_example_domain == "yes" -%}
TABLES = ("refresh_tokens", "account_tokens", "idempotency_keys", "projects", "tasks")
{%- else -%}
TABLES = ("refresh_tokens", "account_tokens")
{%- endif %}

POLICIES = [
    PGPolicy(
        schema="public",
        signature="refresh_tokens_owned",
        on_entity="public.refresh_tokens",
        definition=(
            "AS PERMISSIVE FOR ALL TO PUBLIC USING (user_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid OR EXISTS (SELECT FROM "
            "users WHERE users.id = NULLIF(current_setting('app.user_id', true), '')::uuid "
            "AND users.role = 'admin' AND users.is_active)) WITH CHECK (user_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid OR EXISTS (SELECT FROM "
            "users WHERE users.id = NULLIF(current_setting('app.user_id', true), '')::uuid "
            "AND users.role = 'admin' AND users.is_active))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="refresh_tokens_purge_read",
        on_entity="public.refresh_tokens",
        definition=(
            "AS PERMISSIVE FOR SELECT TO PUBLIC USING (NULLIF(current_setting('app.system', "
            "true), '') = 'purge' AND (expires_at <= now()))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="refresh_tokens_purge",
        on_entity="public.refresh_tokens",
        definition=(
            "AS PERMISSIVE FOR DELETE TO PUBLIC USING (NULLIF(current_setting('app.system', "
            "true), '') = 'purge' AND (expires_at <= now()))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="account_tokens_owned_or_presented",
        on_entity="public.account_tokens",
        definition=(
            "AS PERMISSIVE FOR ALL TO PUBLIC USING (user_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid OR token_hash = "
            "NULLIF(current_setting('app.presented_token', true), '')) WITH CHECK (user_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid OR token_hash = "
            "NULLIF(current_setting('app.presented_token', true), ''))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="account_tokens_purge_read",
        on_entity="public.account_tokens",
        definition=(
            "AS PERMISSIVE FOR SELECT TO PUBLIC USING (NULLIF(current_setting('app.system', "
            "true), '') = 'purge' AND (expires_at <= now() OR used_at IS NOT NULL))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="account_tokens_purge",
        on_entity="public.account_tokens",
        definition=(
            "AS PERMISSIVE FOR DELETE TO PUBLIC USING (NULLIF(current_setting('app.system', "
            "true), '') = 'purge' AND (expires_at <= now() OR used_at IS NOT NULL))"
        ),
    ),
{%- if cookiecutter.include_example_domain == "yes" %}
    PGPolicy(
        schema="public",
        signature="idempotency_keys_owned",
        on_entity="public.idempotency_keys",
        definition=(
            "AS PERMISSIVE FOR ALL TO PUBLIC USING (user_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid) WITH CHECK (user_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid)"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="idempotency_keys_purge_read",
        on_entity="public.idempotency_keys",
        definition=(
            "AS PERMISSIVE FOR SELECT TO PUBLIC USING (NULLIF(current_setting('app.system', "
            "true), '') = 'purge' AND (expires_at <= now()))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="idempotency_keys_purge",
        on_entity="public.idempotency_keys",
        definition=(
            "AS PERMISSIVE FOR DELETE TO PUBLIC USING (NULLIF(current_setting('app.system', "
            "true), '') = 'purge' AND (expires_at <= now()))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="projects_owned",
        on_entity="public.projects",
        definition=(
            "AS PERMISSIVE FOR ALL TO PUBLIC USING (owner_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid OR EXISTS (SELECT FROM "
            "users WHERE users.id = NULLIF(current_setting('app.user_id', true), '')::uuid "
            "AND users.role = 'admin' AND users.is_active)) WITH CHECK (owner_id = "
            "NULLIF(current_setting('app.user_id', true), '')::uuid OR EXISTS (SELECT FROM "
            "users WHERE users.id = NULLIF(current_setting('app.user_id', true), '')::uuid "
            "AND users.role = 'admin' AND users.is_active))"
        ),
    ),
    PGPolicy(
        schema="public",
        signature="tasks_in_visible_project",
        on_entity="public.tasks",
        definition=(
            "AS PERMISSIVE FOR ALL TO PUBLIC USING (EXISTS (SELECT FROM projects WHERE "
            "projects.id = tasks.project_id)) WITH CHECK (EXISTS (SELECT FROM projects WHERE "
            "projects.id = tasks.project_id))"
        ),
    ),
{%- endif %}
]


# The operations below are registered when env.py loads: `enable_row_security` by
# core/policies.py, `create_entity` and `drop_entity` by alembic_utils.


def upgrade() -> None:
    for table in TABLES:
        op.enable_row_security(table)
    for policy in POLICIES:
        op.create_entity(policy)


def downgrade() -> None:
    for policy in reversed(POLICIES):
        op.drop_entity(policy)
    for table in TABLES:
        op.disable_row_security(table)
