"""Whose projects a transaction sees (see core/row_security.py): the caller's own, or every
one if the caller is an admin; the same rule as `ProjectRepository.for_owner` and `unscoped`."""

from {{ cookiecutter.package_name }}.core.policies import owned

POLICIES = [owned("projects", owner="owner_id", admins=True)]
