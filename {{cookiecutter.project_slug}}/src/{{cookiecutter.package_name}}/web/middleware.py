"""Pure ASGI middleware: request context (ID, access log, last-resort 500), security headers,
the request body size limit, and the body's format (media type, UTF-8).

Pure ASGI rather than `BaseHTTPMiddleware`: no extra task per request, and context variables set
here are visible to the endpoint and its log lines.
"""

import codecs
import logging
import re
import time
import uuid
from collections.abc import Mapping
from http import HTTPStatus

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from {{ cookiecutter.package_name }}.core.logging import bind_request_id, reset_request_id
from {{ cookiecutter.package_name }}.web.handlers import problem_response, unhandled_error_response
from {{ cookiecutter.package_name }}.web.metrics import observe_request

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("{{ cookiecutter.package_name }}.access")

REQUEST_ID_HEADER = "X-Request-ID"
# A client-supplied ID is echoed into logs, so only a short, plain token is accepted.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The bodies routes read: JSON, and the OAuth2 login form (POST /auth/login).
JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def _request_id_from(headers: Headers) -> str:
    supplied = headers.get(REQUEST_ID_HEADER)
    if supplied and _VALID_REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Outermost middleware: binds the request ID, adds headers, logs one access line, and turns
    any exception nothing else handled into the generic 500 problem."""

    def __init__(self, app: ASGIApp, *, hsts: bool, route_templates: Mapping[str, str]) -> None:
        self.app = app
        self.hsts = hsts
        self.route_templates = route_templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id_from(Headers(scope=scope))
        token = bind_request_id(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = HTTPStatus.INTERNAL_SERVER_ERROR.value
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                self._add_headers(MutableHeaders(scope=message), request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            await unhandled_error_response(Request(scope))(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            route = self._template(scope.get("route"))
            observe_request(scope["method"], route, status, seconds)
            access_logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    # Set by the authentication dependency once it knows the caller.
                    "user_id": scope["state"].get("user_id"),
                },
            )
            reset_request_id(token)

    def _template(self, route: object) -> str | None:
        """The matched route's full path template, never the raw path: /api/v1/users/{user_id}
        whatever the ID, so logs group and metrics stay a bounded set of series."""
        name = getattr(route, "name", None)
        if isinstance(name, str) and name in self.route_templates:
            return self.route_templates[name]
        # Routes outside the OpenAPI document (/metrics, /docs) are mounted without a prefix.
        template = getattr(route, "path_format", None)
        return template if isinstance(template, str) else None

    def _add_headers(self, headers: MutableHeaders, request_id: str) -> None:
        headers[REQUEST_ID_HEADER] = request_id
        # setdefault: the docs pages (web/docs.py) bring a policy of their own.
        for name, value in security_headers(hsts=self.hsts).items():
            headers.setdefault(name, value)


def security_headers(*, hsts: bool) -> dict[str, str]:
    """The headers every response carries, including those the server writes itself
    (web/server.py)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Content-Security-Policy": _API_CSP,
    }
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413: at once when Content-Length says so, otherwise
    as soon as the streamed (e.g. chunked) body passes the limit.

    The body is read here, whole, before the app runs, and handed on in one message. A check
    that raised from inside `receive` instead would depend on every layer in between letting
    the error through: one that reads the body and swallows errors (Sentry's request
    extractor does) left the route waiting for a body that was already gone, for ever."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        if not _has_body(Headers(scope=scope)):
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body is larger than the {self.max_bytes}-byte limit."
        response = problem_response(Request(scope), PayloadTooLargeError(detail))
        await response(scope, receive, send)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over `body`, already read, as one message, then passes on
    whatever comes next (a disconnect)."""
    handed_over = False

    async def replay() -> Message:
        nonlocal handed_over
        if handed_over:
            return await receive()
        handed_over = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class BodyFormatMiddleware:
    """Refuses a body no route can read, before any route runs: 415 when its Content-Type is
    missing or is neither JSON nor the login form, 400 when a JSON body is not UTF-8 (which
    JSON requires; left alone, some bytes would be read as Latin-1), and 400 for a JSON body
    nested deeper or holding more items than `max_json_depth` and `max_json_items` (see
    `json_shape_problem`). Runs inside `BodySizeLimitMiddleware`, so the body it reads is
    already whole and bounded."""

    def __init__(self, app: ASGIApp, *, max_json_depth: int, max_json_items: int) -> None:
        self.app = app
        self.max_json_depth = max_json_depth
        self.max_json_items = max_json_items

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if headers is None or not _has_body(headers):
            await self.app(scope, receive, send)
            return

        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        is_json = media_type == JSON_MEDIA_TYPE or (
            media_type.startswith("application/") and media_type.endswith("+json")
        )
        if not is_json and media_type != FORM_MEDIA_TYPE:
            described = f"`{media_type}`" if media_type else "no Content-Type"
            await self._refuse(
                scope,
                receive,
                send,
                UnsupportedMediaTypeError(
                    f"The body has {described}; send it as {JSON_MEDIA_TYPE}"
                    f" (the login form as {FORM_MEDIA_TYPE})."
                ),
            )
            return
        if not is_json:
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        problem = _utf8_problem(body) or json_shape_problem(
            body, max_depth=self.max_json_depth, max_items=self.max_json_items
        )
        if problem:
            await self._refuse(scope, receive, send, BadRequestError(problem))
            return
        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
        await problem_response(Request(scope), error)(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body (one message when `BodySizeLimitMiddleware` read it first), or None if
    the client disconnected before sending it all."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _utf8_problem(body: bytes) -> str | None:
    try:
        codecs.decode(body, "utf-8")
    except UnicodeDecodeError:
        return "The JSON body is not valid UTF-8."
    return None


def json_shape_problem(body: bytes, *, max_depth: int, max_items: int) -> str | None:
    """Why a JSON body is refused before it is parsed, or None.

    A body under the size limit can still cost seconds: a megabyte of unknown keys makes the
    validator write an error for each, all on the event loop, while health probes wait. This
    counts items (commas, containers) and measures nesting outside strings with a few C-speed
    passes, so such a body is refused in milliseconds. Malformed JSON passes: the parser says
    what is wrong with it."""
    containers = body.count(b"[") + body.count(b"{")
    if body.count(b",") + 1 <= max_items and containers <= min(max_items, max_depth):
        # Strings only add to these counts, so the real body is within both limits.
        return None
    structure = _outside_strings(body)
    containers = structure.count(b"[") + structure.count(b"{")
    # Every container is an item of another (or is the body); commas separate the rest.
    items = max(structure.count(b",") + 1, containers)
    if items > max_items:
        return f"The JSON body holds about {items} items; the limit is {max_items}."
    depth = deepest = 0
    for bracket in structure.translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in _OPENING else -1
        deepest = max(deepest, depth)
    if deepest > max_depth:
        return f"The JSON body nests {deepest} levels deep; the limit is {max_depth}."
    return None


_OPENING = frozenset(b"[{")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def _outside_strings(body: bytes) -> bytes:
    """The body with every JSON string removed: brackets and commas in strings are not
    structure. Escaped backslashes go before escaped quotes, so an escaped backslash cannot
    hide the quote after it."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(unescaped.split(b'"')[0::2])


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in headers
