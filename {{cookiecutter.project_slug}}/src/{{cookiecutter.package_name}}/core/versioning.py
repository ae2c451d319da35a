"""Optimistic concurrency, without HTTP: a row's `version` goes up with every change, and a
write may name the versions it expects (over HTTP, `If-Match`; see `web/conditional.py`).

Two writes racing on the same version cannot both win either way: the loser gets 409
`concurrent_update` (see `core/repository.py`).
"""

from http import HTTPStatus

from {{ cookiecutter.package_name }}.core.errors import AppError


class PreconditionFailedError(AppError):
    """`If-Match` names a version the resource is no longer at: GET it again, then retry."""

    status_code = HTTPStatus.PRECONDITION_FAILED
    code = "precondition_failed"
    title = "Precondition failed"


class PreconditionRequiredError(AppError):
    """REQUIRE_IF_MATCH is on and the write sent no `If-Match`."""

    status_code = HTTPStatus.PRECONDITION_REQUIRED
    code = "precondition_required"
    title = "Precondition required"


# The versions a write may apply to: None accepts any (the last write wins).
ExpectedVersions = frozenset[int] | None


def check_version(current: int, expected: ExpectedVersions, *, noun: str) -> None:
    if expected is not None and current not in expected:
        raise PreconditionFailedError(
            f"{noun} is at version {current}, which If-Match does not name: it has changed "
            "since you read it (or the ETag is malformed); GET it again and use its ETag"
        )
