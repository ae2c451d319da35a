"""The one place that turns errors into HTTP responses: every `AppError`, the framework's own
exceptions (validation, unknown routes and methods) and database failures, each rendered as
the RFC 9457 problem+json of one class of `core/errors.py`."""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from {{ cookiecutter.package_name }}.core.errors import (
    DATABASE_UNAVAILABLE_ERRORS,
    MAX_LISTED_ERRORS,
    QUERY_CANCELED,
    AppError,
    BadRequestError,
    DatabaseTimeoutError,
    DatabaseUnavailableError,
    FieldError,
    InternalError,
    MethodNotAllowedError,
    NotAuthenticatedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    problem_body,
)
from {{ cookiecutter.package_name }}.core.logging import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_response(
    request: Request, error: AppError, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """`error` as a problem+json response; `headers` adds to the error's own."""
    return JSONResponse(
        problem_body(error, instance=request.url.path, request_id=current_request_id()),
        status_code=error.status_code,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**error.headers(), **(headers or {})},
    )


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    if exc.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.warning("request failed: %s", exc.code, extra={"error_code": exc.code})
    return problem_response(request, exc)


# The statuses the framework raises itself (routing, body parsing, our middleware), each as
# the error class it stands for.
_FRAMEWORK_ERRORS: dict[int, type[AppError]] = {
    HTTPStatus.BAD_REQUEST: BadRequestError,
    HTTPStatus.UNAUTHORIZED: NotAuthenticatedError,
    HTTPStatus.FORBIDDEN: PermissionDeniedError,
    HTTPStatus.NOT_FOUND: NotFoundError,
    HTTPStatus.METHOD_NOT_ALLOWED: MethodNotAllowedError,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: PayloadTooLargeError,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
}


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    error_class = _FRAMEWORK_ERRORS.get(exc.status_code)
    if error_class is None:
        # Nothing in the stack raises another status; if something starts to, it is a bug to
        # map here, and the client gets the generic 500 meanwhile.
        logger.error("unmapped framework status %s on %s", exc.status_code, request.url.path)
        return unhandled_error_response(request)
    headers = exc.headers
    if exc.status_code == HTTPStatus.NOT_FOUND and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"No route matches {request.url.path}"
    elif exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers = {"Allow": ", ".join(sorted(_allowed_methods(request)))}
    else:
        detail = str(exc.detail)
    return problem_response(request, error_class(detail), headers=headers)


def _allowed_methods(request: Request) -> set[str]:
    """Every method the request's path serves. A 405 must list them all (RFC 9110, section
    15.5.6); Starlette's names only those of the first route that matched the path, and a path
    with GET and POST is two routes. The path is the first template that matches, as in the
    document: `/users/me` is its own path, not `/users/{user_id}` with "me" for the ID. Only a
    wrong method gets here, so walking the routes costs nothing the other requests pay."""
    methods: set[str] = set()
    matched: str | None = None
    for context in iter_route_contexts(request.app.routes):
        if context.path is None or not context.methods:
            continue  # a mount (the docs' assets), which has no methods of its own
        if matched is None:
            pattern, _, _ = compile_path(context.path)
            if pattern.match(request.url.path):
                matched = context.path
        if context.path == matched:
            methods |= context.methods
    return methods


def _field_errors(raw_errors: Sequence[Any]) -> list[FieldError]:
    # Deliberately drops pydantic's `input`: it may hold a password or a token.
    return [
        FieldError(loc=list(error["loc"]), message=error["msg"], type=error["type"])
        for error in raw_errors
    ]


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    raw_errors = exc.errors()
    errors = _field_errors(raw_errors[:MAX_LISTED_ERRORS])
    omitted = len(raw_errors) - len(errors)
    if omitted:
        summary = f"{len(raw_errors)} inputs are invalid; `errors` lists the first {len(errors)}."
    elif len(errors) == 1:
        summary = "1 input is invalid; see `errors`."
    else:
        summary = f"{len(errors)} inputs are invalid; see `errors`."
    return problem_response(request, ValidationFailedError(summary, errors=errors, omitted=omitted))


async def handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Log the class only: driver messages can include host names and user names.
    logger.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        request, DatabaseUnavailableError("The database is unavailable; try again shortly.")
    )


def unhandled_error_response(request: Request) -> JSONResponse:
    """The 500 body: generic on purpose, so no stack trace, SQL or secret can leak."""
    return problem_response(
        request,
        InternalError("An unexpected error occurred; quote the request ID when reporting it."),
    )


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, sa_exc.DBAPIError)  # noqa: S101 - registered for it only
    if exc.connection_invalidated:
        return await handle_database_unavailable(request, exc)
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        # The transaction is rolled back by the unit of work and the connection goes back to
        # the pool, still usable: a cancelled statement does not end the session.
        logger.warning("statement cancelled on %s %s", request.method, request.url.path)
        timeout_ms = request.app.state.settings.DB_STATEMENT_TIMEOUT_MS
        detail = (
            f"The database cancelled a statement that ran over {timeout_ms / 1000:g} s "
            "(or an operator cancelled it); try again shortly."
        )
        return problem_response(request, DatabaseTimeoutError(detail))
    # With hide_parameters (core/db.py) the message holds the SQL but not the values: safe to
    # log with its traceback, and never sent to the client.
    logger.error(
        "database error on %s %s",
        request.method,
        request.url.path,
        exc_info=exc,
        extra={"sqlstate": getattr(exc.orig, "sqlstate", None)},
    )
    return unhandled_error_response(request)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(sa_exc.DBAPIError, handle_database_error)
    for error_type in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, handle_database_unavailable)
