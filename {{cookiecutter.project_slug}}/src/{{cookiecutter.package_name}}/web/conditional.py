"""Conditional requests (RFC 9110): a row's `version` is its ETag, and `If-Match` becomes the
set of versions a write may apply to, a plain value the service checks.

Without If-Match a write is accepted (the last write wins), unless REQUIRE_IF_MATCH is set: then
it is refused with 428 so no client can overwrite changes it never saw.
"""

import re
from typing import Annotated

from fastapi import Depends, Header

from {{ cookiecutter.package_name }}.core.errors import raises
from {{ cookiecutter.package_name }}.core.versioning import (
    ExpectedVersions,
    PreconditionRequiredError,
)
from {{ cookiecutter.package_name }}.web.dependencies import SettingsDep

# ASCII digits only: str.isdigit() would also accept "²", which int() then refuses.
_ETAG = re.compile(r'"([0-9]{1,18})"')


def etag(version: int) -> str:
    return f'"{version}"'


@raises(PreconditionRequiredError)
async def parse_if_match(
    settings: SettingsDep,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=1024)] = None,
) -> ExpectedVersions:
    if if_match is None:
        if settings.REQUIRE_IF_MATCH:
            raise PreconditionRequiredError("Send If-Match with the ETag you last read")
        return None
    if if_match.strip() == "*":
        return None
    # Strong comparison: a weak W/"3" or anything unparsable matches no version.
    tags = (_ETAG.fullmatch(part.strip()) for part in if_match.split(","))
    return frozenset(int(tag[1]) for tag in tags if tag)


# The versions `If-Match` names, or None for any.
IfMatch = Annotated[ExpectedVersions, Depends(parse_if_match)]
