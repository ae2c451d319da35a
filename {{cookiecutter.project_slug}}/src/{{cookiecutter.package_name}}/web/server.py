"""The HTTP protocol the server speaks: uvicorn's httptools protocol with a cap on the size of
a request's line and headers.

httptools accepts headers of any size: one connection could make the process buffer megabytes
before any middleware runs. This protocol counts the bytes as the parser hands them over and
answers `431` (in the problem+json envelope) as soon as the total passes
`MAX_REQUEST_HEADER_BYTES`, then closes the connection. Any other request the parser refuses
gets a `400` problem rather than uvicorn's plain text, and both carry the security headers the
application's own responses have. `serve` and `dev` pass it to uvicorn (`http=`); it subclasses
a uvicorn class, so a uvicorn upgrade is checked by tests/test_serve.py.

The limit and the headers come from the application itself: its lifespan yields them as ASGI
lifespan state,
which uvicorn hands to every connection's protocol (`app_state`), so nothing here reads the
environment or a cached global.
"""

import json
import uuid
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    BadRequestError,
    RequestHeadersTooLargeError,
    problem_body,
)
from {{ cookiecutter.package_name }}.web.handlers import PROBLEM_MEDIA_TYPE
from {{ cookiecutter.package_name }}.web.middleware import security_headers

# The keys under which the application's lifespan state carries the limit and the headers
# every response must have (see main.py).
HEADER_LIMIT_STATE_KEY = "max_request_header_bytes"
SECURITY_HEADERS_STATE_KEY = "security_headers"


class HeaderLimitExceededError(Exception):
    """Raised from a parser callback; httptools turns it into an HttpParserError."""


class BoundedHeadersProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per connection, from the running app: uvicorn's workers import this class by
        # reference, so nothing may be fixed when the class is defined.
        default = Settings.model_fields["MAX_REQUEST_HEADER_BYTES"].default
        self.max_header_bytes: int = self.app_state.get(HEADER_LIMIT_STATE_KEY, default)
        self.security_headers: dict[str, str] = self.app_state.get(
            SECURITY_HEADERS_STATE_KEY, security_headers(hsts=False)
        )

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
        # uvicorn answers every parser error with a plain-text 400 and none of the headers the
        # application adds; ours are problems, with the same security headers.
        if getattr(self, "_too_large", False):
            error: AppError = RequestHeadersTooLargeError(
                f"The request line and headers are larger than the {self.max_header_bytes}-byte"
                " limit."
            )
        else:
            error = BadRequestError("The request is not valid HTTP/1.1.")
        request_id = uuid.uuid4().hex
        url = getattr(self, "url", b"") or b""
        instance = url.split(b"?", 1)[0].decode("latin-1")[:200]
        body = json.dumps(problem_body(error, instance=instance, request_id=request_id)).encode()
        status = HTTPStatus(error.status_code)
        headers = {
            "content-type": PROBLEM_MEDIA_TYPE,
            "content-length": str(len(body)),
            "x-request-id": request_id,
            **self.security_headers,
            "connection": "close",
        }
        head = f"HTTP/1.1 {status.value} {status.phrase}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        self.transport.write(head.encode("latin-1") + b"\r\n" + body)
        self.transport.close()
