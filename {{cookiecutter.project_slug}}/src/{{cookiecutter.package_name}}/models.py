"""Every model of the service, imported in one place so Alembic's autogenerate sees them all."""

from {{ cookiecutter.package_name }}.accounts.models import AccountToken
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.models import Base
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.idempotency.models import IdempotencyKey
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.tasks.models import Task
{%- endif %}
from {{ cookiecutter.package_name }}.users.models import User

{% if cookiecutter.include_example_domain == "yes" -%}
__all__ = ["AccountToken", "Base", "IdempotencyKey", "Project", "RefreshToken", "Task", "User"]
{%- else -%}
__all__ = ["AccountToken", "Base", "RefreshToken", "User"]
{%- endif %}
