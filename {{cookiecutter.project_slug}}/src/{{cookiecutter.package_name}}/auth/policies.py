"""Refresh tokens are their user's; an admin sees everyone's (deactivating an account ends its
sessions); the purge may delete the expired ones."""

from {{ cookiecutter.package_name }}.core.policies import owned, purgeable

POLICIES = [
    owned("refresh_tokens", admins=True),
    *purgeable("refresh_tokens", spent="expires_at <= now()"),
]
