"""Idempotency keys are the caller's own; the purge may delete the expired ones."""

from {{ cookiecutter.package_name }}.core.policies import owned, purgeable

POLICIES = [owned("idempotency_keys"), *purgeable("idempotency_keys", spent="expires_at <= now()")]
