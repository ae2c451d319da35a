"""The HTTP side of idempotency: the request header and the (replayed) response."""

from typing import Annotated

from fastapi import Header
from fastapi.responses import JSONResponse

from {{ cookiecutter.package_name }}.idempotency.service import StoredResponse

# Visible ASCII only: the key is compared byte for byte and stored as given.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$"),
]


def to_response(stored: StoredResponse) -> JSONResponse:
    headers = {"Location": stored.location} if stored.location else {}
    if stored.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
