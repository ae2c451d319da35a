"""Every model of the service, imported in one place so Alembic's autogenerate sees them all."""

from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.models import Base
from {{ cookiecutter.package_name }}.users.models import User

__all__ = ["Base", "RefreshToken", "User"]
