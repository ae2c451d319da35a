"""Optimistic concurrency over HTTP: a row's `version` is its ETag, and a write carrying
`If-Match` only succeeds against the version the client last saw (412 otherwise).

Without If-Match a write is accepted (the last write wins), unless REQUIRE_IF_MATCH is set: then
it is refused with 428 so no client can overwrite changes it never saw. Either way, two writes
racing on the same version cannot both win: the loser gets 409 `concurrent_update` (see
`core/repository.py`).
"""

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated

from fastapi import Depends, Header

from {{ cookiecutter.package_name }}.core.config import SettingsDep
from {{ cookiecutter.package_name }}.core.errors import AppError, PreconditionFailedError


class PreconditionRequiredError(AppError):
    status_code = HTTPStatus.PRECONDITION_REQUIRED
    code = "precondition_required"


# ASCII digits only: str.isdigit() would also accept "²", which int() then refuses.
_ETAG = re.compile(r'"([0-9]{1,18})"')


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    """The versions a write may apply to; `None` means any (no header, or `*`)."""

    versions: frozenset[int] | None

    def check(self, version: int, *, noun: str) -> None:
        if self.versions is not None and version not in self.versions:
            raise PreconditionFailedError(
                f"{noun} is at version {version}, which If-Match does not name: it has changed "
                "since you read it (or the ETag is malformed); GET it again and use its ETag"
            )


async def parse_if_match(
    settings: SettingsDep,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=1024)] = None,
) -> IfMatch:
    if if_match is None:
        if settings.REQUIRE_IF_MATCH:
            raise PreconditionRequiredError("Send If-Match with the ETag you last read")
        return IfMatch(versions=None)
    if if_match.strip() == "*":
        return IfMatch(versions=None)
    # Strong comparison (RFC 9110): a weak W/"3" or anything unparsable matches no version.
    tags = (_ETAG.fullmatch(part.strip()) for part in if_match.split(","))
    return IfMatch(versions=frozenset(int(tag[1]) for tag in tags if tag))


IfMatchDep = Annotated[IfMatch, Depends(parse_if_match)]
