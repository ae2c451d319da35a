"""The application's error tree and the one place that renders errors as RFC 9457 problem+json.

Domain code raises an `AppError` subclass; nothing outside this module builds an error response.
"""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from {{ cookiecutter.package_name }}.core.logging import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class AppError(Exception):
    """Base of every error the service reports on purpose."""

    status_code: ClassVar[int] = HTTPStatus.INTERNAL_SERVER_ERROR
    code: ClassVar[str] = "internal_error"
    # Most errors undo the request's writes. An error that must leave a record (a revoked
    # token family, say) sets this, and the transaction is committed before it is reported.
    keeps_changes: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = code or self.code
        self.status = status_code or self.status_code
        self.headers = dict(headers or {})


class BadRequestError(AppError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "bad_request"


class AuthenticationError(AppError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "not_authenticated"

    def __init__(
        self, message: str = "Authentication required", *, code: str | None = None
    ) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class PermissionDeniedError(AppError):
    status_code = HTTPStatus.FORBIDDEN
    code = "permission_denied"


class NotFoundError(AppError):
    status_code = HTTPStatus.NOT_FOUND
    code = "not_found"


class ConflictError(AppError):
    status_code = HTTPStatus.CONFLICT
    code = "conflict"


class PreconditionFailedError(AppError):
    status_code = HTTPStatus.PRECONDITION_FAILED
    code = "precondition_failed"


class RateLimitedError(AppError):
    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailableError(AppError):
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    code = "service_unavailable"


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"


class DatabaseBusyError(ServiceUnavailableError):
    """Every database connection stayed in use for as long as a request may wait for one."""

    code = "database_busy"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class FieldError(BaseModel):
    """One invalid input: where it is, what is wrong, and a stable type."""

    loc: list[str | int]
    message: str
    type: str


class ValidationFailedError(AppError):
    """Well-formed input that is still wrong, such as an ID naming nothing the caller may use:
    reported exactly like a validation error, with the fields at fault."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "validation_error"

    def __init__(self, message: str, *, errors: Sequence[FieldError]) -> None:
        super().__init__(message)
        self.errors = list(errors)


class Problem(BaseModel):
    """Every error response body (RFC 9457) plus a stable `code` and the `request_id`."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "urn:problem:not_found",
                "title": "Not Found",
                "status": 404,
                "detail": "No route matches /api/v1/nothing",
                "instance": "/api/v1/nothing",
                "code": "not_found",
                "request_id": "7f9c2ba4e88f827d616045507605853e",
            }
        }
    )

    type: str = Field(description="A URI naming the kind of problem; derived from `code`.")
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What went wrong, for a human.")
    instance: str = Field(description="The path of the request that failed.")
    code: str = Field(description="A stable, machine-readable error code.")
    request_id: str | None = Field(description="Quote it when reporting a problem.")
    errors: list[FieldError] | None = Field(
        default=None, description="Each invalid input, for validation errors only."
    )


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=f"urn:problem:{code}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        code=code,
        request_id=current_request_id(),
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    if exc.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.warning("request failed: %s", exc.error_code, extra={"error_code": exc.error_code})
    return problem_response(
        request,
        status=exc.status,
        code=exc.error_code,
        detail=exc.message,
        errors=exc.errors if isinstance(exc, ValidationFailedError) else None,
        headers=exc.headers,
    )


# Stable codes for the statuses the framework raises itself; HTTP phrases vary across Pythons.
_FRAMEWORK_CODES = {
    HTTPStatus.UNAUTHORIZED: AuthenticationError.code,
    HTTPStatus.FORBIDDEN: PermissionDeniedError.code,
    HTTPStatus.NOT_FOUND: NotFoundError.code,
    HTTPStatus.METHOD_NOT_ALLOWED: "method_not_allowed",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "payload_too_large",
}


def _code_for_status(status: int) -> str:
    if status in _FRAMEWORK_CODES:
        return _FRAMEWORK_CODES[HTTPStatus(status)]
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    if exc.status_code == HTTPStatus.NOT_FOUND and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"No route matches {request.url.path}"
    elif exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        detail = f"{request.method} is not allowed on {request.url.path}"
    else:
        detail = str(exc.detail)
    return problem_response(
        request,
        status=exc.status_code,
        code=_code_for_status(exc.status_code),
        detail=detail,
        headers=exc.headers,
    )


def _field_errors(raw_errors: Sequence[Any]) -> list[FieldError]:
    # Deliberately drops pydantic's `input`: it may hold a password or a token.
    return [
        FieldError(loc=list(error["loc"]), message=error["msg"], type=error["type"])
        for error in raw_errors
    ]


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    errors = _field_errors(exc.errors())
    summary = "1 input is invalid" if len(errors) == 1 else f"{len(errors)} inputs are invalid"
    return problem_response(
        request,
        status=HTTPStatus.UNPROCESSABLE_ENTITY,
        code="validation_error",
        detail=f"{summary}; see `errors`.",
        errors=errors,
    )


async def handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Log the class only: driver messages can include host names and user names.
    logger.error("database unavailable: %s", type(exc).__name__)
    return problem_response(
        request,
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        code=DatabaseUnavailableError.code,
        detail="The database is unavailable; try again shortly.",
        headers={"Retry-After": "5"},
    )


def unhandled_error_response(request: Request) -> JSONResponse:
    """The 500 body: generic on purpose, so no stack trace, SQL or secret can leak."""
    return problem_response(
        request,
        status=HTTPStatus.INTERNAL_SERVER_ERROR,
        code="internal_error",
        detail="An unexpected error occurred; quote the request ID when reporting it.",
    )


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, sa_exc.DBAPIError)  # noqa: S101 - registered for it only
    if exc.connection_invalidated:
        return await handle_database_unavailable(request, exc)
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return _statement_timeout_response(request)
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


# PostgreSQL's SQLSTATE for a statement it cancelled: over `statement_timeout` (set from
# DB_STATEMENT_TIMEOUT_MS in core/db.py), or cancelled by an operator.
QUERY_CANCELED = "57014"


def _statement_timeout_response(request: Request) -> JSONResponse:
    # The transaction is rolled back by the unit of work and the connection goes back to the
    # pool, still usable: a cancelled statement does not end the session.
    timeout_ms = request.app.state.settings.DB_STATEMENT_TIMEOUT_MS
    logger.warning("statement cancelled on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        code="database_timeout",
        detail=(
            f"The database cancelled a statement that ran over {timeout_ms / 1000:g} s "
            "(or an operator cancelled it); try again shortly."
        ),
        headers={"Retry-After": "1"},
    )


# Failures to reach or talk to PostgreSQL, as opposed to bugs in a query. asyncpg raises
# OSError subclasses (connection refused, socket missing) at connect time, unwrapped.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    OSError,
    TimeoutError,
)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(sa_exc.DBAPIError, handle_database_error)
    for error_type in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, handle_database_unavailable)
