"""The HTTP protocol the server speaks: uvicorn's httptools protocol with a cap on the size of
a request's line and headers.

httptools accepts headers of any size: one connection could make the process buffer megabytes
before any middleware runs. This protocol counts the bytes as the parser hands them over and
answers `431` (in the problem+json envelope) as soon as the total passes
`MAX_REQUEST_HEADER_BYTES`, then closes the connection. `serve` and `dev` pass it to uvicorn
(`http=`); it subclasses a uvicorn class, so a uvicorn upgrade is checked by tests/test_serve.py.
"""

import json
import uuid
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.errors import PROBLEM_MEDIA_TYPE, Problem


class HeaderLimitExceededError(Exception):
    """Raised from a parser callback; httptools turns it into an HttpParserError."""


class BoundedHeadersProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per connection (the settings are cached): uvicorn's workers import this class
        # by reference, so nothing may be fixed when the class is defined.
        self.max_header_bytes = get_settings().MAX_REQUEST_HEADER_BYTES

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._too_large = False

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._too_large = True
            raise HeaderLimitExceededError

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers every parser error with a plain-text 400; ours deserves its own.
        if not getattr(self, "_too_large", False):
            super().send_400_response(msg)
            return
        status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
        problem = Problem(
            type="urn:problem:request_header_fields_too_large",
            title=status.phrase,
            status=status,
            detail=f"The request line and headers are larger than the "
            f"{self.max_header_bytes}-byte limit.",
            instance=self.url.split(b"?", 1)[0].decode("latin-1")[:200],
            code="request_header_fields_too_large",
            request_id=uuid.uuid4().hex,
        )
        body = json.dumps(problem.model_dump(exclude_none=True)).encode()
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
            f"content-length: {len(body)}\r\n"
            f"x-request-id: {problem.request_id}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()
