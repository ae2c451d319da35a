"""Optimistic concurrency, without HTTP: a row's `version` goes up with every change, and a
write may name the versions it expects (over HTTP, `If-Match`; see `web/conditional.py`).

Two writes racing on the same version cannot both win either way: the loser gets 409
`concurrent_update` (see `core/repository.py`).
"""

from {{ cookiecutter.package_name }}.core.errors import PreconditionFailedError

# The versions a write may apply to: None accepts any (the last write wins).
ExpectedVersions = frozenset[int] | None


def check_version(current: int, expected: ExpectedVersions, *, noun: str) -> None:
    if expected is not None and current not in expected:
        raise PreconditionFailedError(
            f"{noun} is at version {current}, which If-Match does not name: it has changed "
            "since you read it (or the ETag is malformed); GET it again and use its ETag"
        )
