"""Account tokens are their user's. A request with no caller that presents a mailed token sees
the one row that token names (`present_token` in core/row_security.py): its holder proves they
read the mail, which is all the token ever stood for. The purge may delete the spent ones."""

from {{ cookiecutter.package_name }}.core.policies import policy, purgeable
from {{ cookiecutter.package_name }}.core.row_security import CALLER, PRESENTED_TOKEN

_OWN_OR_PRESENTED = f"user_id = {CALLER} OR token_hash = {PRESENTED_TOKEN}"

POLICIES = [
    policy(
        "account_tokens",
        "owned_or_presented",
        command="ALL",
        using=_OWN_OR_PRESENTED,
        check=_OWN_OR_PRESENTED,
    ),
    *purgeable("account_tokens", spent="expires_at <= now() OR used_at IS NOT NULL"),
]
