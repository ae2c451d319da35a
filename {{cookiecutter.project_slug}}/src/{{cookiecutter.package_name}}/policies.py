"""Every row-level security policy of the service, gathered in one place so Alembic's
autogenerate (and `alembic check`) compares them with the database, as `models.py` does the
tables. A domain whose table holds a user's rows adds its `POLICIES` here."""

from alembic_utils.pg_policy import PGPolicy

from {{ cookiecutter.package_name }}.accounts.policies import POLICIES as ACCOUNT_POLICIES
from {{ cookiecutter.package_name }}.auth.policies import POLICIES as AUTH_POLICIES
from {{ cookiecutter.package_name }}.core.policies import secured_tables
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.idempotency.policies import POLICIES as IDEMPOTENCY_POLICIES
from {{ cookiecutter.package_name }}.projects.policies import POLICIES as PROJECT_POLICIES
from {{ cookiecutter.package_name }}.tasks.policies import POLICIES as TASK_POLICIES
{%- endif %}

POLICIES: list[PGPolicy] = [
    *AUTH_POLICIES,
    *ACCOUNT_POLICIES,
{%- if cookiecutter.include_example_domain == "yes" %}
    *IDEMPOTENCY_POLICIES,
    *PROJECT_POLICIES,
    *TASK_POLICIES,
{%- endif %}
]

# The tables whose rows belong to a user: row-level security is enabled and forced on each
# (tests/core/test_row_security.py checks that every other table is on purpose without it).
OWNED_TABLES = secured_tables(POLICIES)
