"""key users by normalized email

Adds `users.email_key` (unique) and `users.email_lookalike` (indexed), computed for every
existing row by `users/emails.py`, and drops the `lower(email)` index they replace.

This migration calls the application's own normalization rather than a frozen copy of it:
register, login and this backfill must agree on every key, and there is one implementation.
If that implementation ever changes its output, add a migration that recomputes the keys.

Revision ID: b3f1c9d2e8a4
{%- if cookiecutter.include_example_domain == "yes" %}
Revises: 5d0c1e7a9b21
{%- else %}
Revises: c7722aedf4d1
{%- endif %}
Create Date: 2026-12-01 00:00:00+00:00
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from {{ cookiecutter.package_name }}.users.emails import (
    UnusableEmailError,
    email_key,
    lookalike_key,
)

revision: str = "b3f1c9d2e8a4"
{%- if cookiecutter.include_example_domain == "yes" %}
down_revision: str | None = "5d0c1e7a9b21"
{%- else %}
down_revision: str | None = "c7722aedf4d1"
{%- endif %}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("email_key", sa.String()),
    sa.column("email_lookalike", sa.String()),
)


def upgrade() -> None:
    op.add_column("users", sa.Column("email_key", sa.String(length=320), nullable=True))
    op.add_column("users", sa.Column("email_lookalike", sa.String(length=320), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_users.c.id, _users.c.email)).all()
    keyed: list[dict[str, object]] = []
    accounts: defaultdict[str, list[str]] = defaultdict(list)
    for user_id, email in rows:
        try:
            key = email_key(email)
        except UnusableEmailError as exc:
            raise RuntimeError(
                f"user {user_id}: {email!r} cannot be an account name: {exc}"
            ) from exc
        accounts[key].append(email)
        keyed.append({"row_id": user_id, "key": key, "lookalike": lookalike_key(key)})
    shared = {key: emails for key, emails in accounts.items() if len(emails) > 1}
    if shared:
        # Two accounts that the new rules make one: a person must decide which one stays.
        listing = "; ".join(" = ".join(emails) for emails in shared.values())
        raise RuntimeError(
            f"these accounts' emails become one and the same, merge them first: {listing}"
        )
    if keyed:
        connection.execute(
            _users.update()
            .where(_users.c.id == sa.bindparam("row_id"))
            .values(email_key=sa.bindparam("key"), email_lookalike=sa.bindparam("lookalike")),
            keyed,
        )
    op.alter_column("users", "email_key", nullable=False)
    op.alter_column("users", "email_lookalike", nullable=False)
    op.drop_index("uq_users_email_lower", table_name="users")
    op.create_unique_constraint(op.f("uq_users_email_key"), "users", ["email_key"])
    op.create_index(op.f("ix_users_email_lookalike"), "users", ["email_lookalike"])


def downgrade() -> None:
    op.drop_index(op.f("ix_users_email_lookalike"), table_name="users")
    op.drop_constraint(op.f("uq_users_email_key"), "users", type_="unique")
    op.drop_column("users", "email_lookalike")
    op.drop_column("users", "email_key")
    op.create_index(
        "uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True
    )
