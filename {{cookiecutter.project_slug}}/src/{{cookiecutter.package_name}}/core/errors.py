"""The application's error tree: one class per error code, free of any web framework.

Each concrete error names its `code`, HTTP `status_code` and `title` as class attributes; the
message given at the raise site is the problem's `detail`. Classes without a `code` of their own
(`ConflictError`, `AuthenticationError`, ...) are categories: catch them, raise a subclass.
`web/handlers.py` renders every one of them as RFC 9457 problem+json, and
`python -m <package> errors` lists them all (docs/errors.md is generated from it).
"""

from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc


class AppError(Exception):
    """Base of every error the service reports on purpose."""

    status_code: ClassVar[int]
    code: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, detail: str) -> None:
        if "code" not in vars(type(self)):
            raise TypeError(f"{type(self).__name__} is a category; raise one of its subclasses")
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        """Response headers that belong to this problem (`Retry-After`, `WWW-Authenticate`)."""
        return {}

    def extensions(self) -> dict[str, object]:
        """Members of the problem body beyond the standard ones, as JSON-ready values."""
        return {}


Marked = TypeVar("Marked", bound=Callable[..., Any])
_RAISES = "__raises__"


def raises(*errors: type[AppError]) -> Callable[[Marked], Marked]:
    """Mark a function with the errors it raises, for readers and for the OpenAPI document:
    every operation that depends on a marked dependency, directly or through another one,
    declares its errors."""

    def mark(function: Marked) -> Marked:
        setattr(function, _RAISES, (*declared_errors(function), *errors))
        return function

    return mark


def declared_errors(function: object) -> tuple[type[AppError], ...]:
    """The errors `function` was marked with by `raises`."""
    declared: tuple[type[AppError], ...] = getattr(function, _RAISES, ())
    return declared


def error_catalogue() -> list[type[AppError]]:
    """Every concrete error class of this package that has been imported (import the app
    first), ordered by status, then code."""

    def subclasses(cls: type[AppError]) -> Iterator[type[AppError]]:
        for subclass in cls.__subclasses__():
            yield subclass
            yield from subclasses(subclass)

    package = __name__.partition(".")[0]
    concrete = {
        cls
        for cls in subclasses(AppError)
        if "code" in vars(cls) and cls.__module__.partition(".")[0] == package
    }
    return sorted(concrete, key=lambda cls: (cls.status_code, cls.code))


class BadRequestError(AppError):
    """The request could not be read at all: a body that is not valid UTF-8, or is nested too
    deeply to parse."""

    status_code = HTTPStatus.BAD_REQUEST
    code = "bad_request"
    title = "Unreadable request"


class AuthenticationError(AppError):
    """Category: the caller is not (or no longer) authenticated."""

    status_code = HTTPStatus.UNAUTHORIZED

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class NotAuthenticatedError(AuthenticationError):
    """The route needs a bearer access token and the request sent none."""

    code = "not_authenticated"
    title = "Authentication required"


class InvalidTokenError(AuthenticationError):
    """The token is malformed, badly signed, of the wrong type, or names a user who no longer
    exists or is inactive."""

    code = "invalid_token"
    title = "Invalid token"


class TokenExpiredError(AuthenticationError):
    """The token was valid but its lifetime is over: refresh it, or log in again."""

    code = "token_expired"
    title = "Token expired"


class PermissionDeniedError(AppError):
    """The caller is authenticated but their role does not allow this action."""

    status_code = HTTPStatus.FORBIDDEN
    code = "permission_denied"
    title = "Permission denied"


class NotFoundError(AppError):
    """Nothing the caller may see has this ID or path: another user's resource answers exactly
    like one that does not exist."""

    status_code = HTTPStatus.NOT_FOUND
    code = "not_found"
    title = "Not found"


class MethodNotAllowedError(AppError):
    """The path exists, but not with this HTTP method."""

    status_code = HTTPStatus.METHOD_NOT_ALLOWED
    code = "method_not_allowed"
    title = "Method not allowed"


class ConflictError(AppError):
    """Category: the request is valid but clashes with the current state of the data."""

    status_code = HTTPStatus.CONFLICT


class ConcurrentUpdateError(ConflictError):
    """Another request changed the same row at the same moment; read it again and retry."""

    code = "concurrent_update"
    title = "Concurrent update"


class ReferenceDeletedError(ConflictError):
    """The write names a record that another request deleted meanwhile."""

    code = "reference_deleted"
    title = "Referenced record deleted"


class StillReferencedError(ConflictError):
    """The record cannot be deleted while other records still refer to it."""

    code = "still_referenced"
    title = "Record still referenced"


class PayloadTooLargeError(AppError):
    """The request body is larger than MAX_REQUEST_BODY_BYTES."""

    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "payload_too_large"
    title = "Body too large"


class UnsupportedMediaTypeError(AppError):
    """The body is neither JSON nor (for login) a form."""

    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"
    title = "Unsupported media type"


# A validation problem lists this many of its invalid inputs and counts the rest: a body with
# thousands of mistakes must not get an answer thousands of times its size.
MAX_LISTED_ERRORS = 20


class FieldError(BaseModel):
    """One invalid input: where it is, what is wrong, and a stable type."""

    loc: list[str | int]
    message: str
    type: str


class ValidationFailedError(AppError):
    """Some inputs are invalid; `errors` names each one. Also used for well-formed input that
    is still wrong, such as an ID naming nothing the caller may use."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "validation_error"
    title = "Invalid input"

    def __init__(self, detail: str, *, errors: Sequence[FieldError], omitted: int = 0) -> None:
        super().__init__(detail)
        self.errors = list(errors)
        self.omitted = omitted

    def extensions(self) -> dict[str, object]:
        listed: dict[str, object] = {
            "errors": [error.model_dump(mode="json") for error in self.errors]
        }
        if self.omitted:
            listed["errors_omitted"] = self.omitted
        return listed


class RateLimitedError(AppError):
    """Too many attempts from this client or on this account; wait `Retry-After` seconds."""

    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class RequestHeadersTooLargeError(AppError):
    """The request line and headers are larger than MAX_REQUEST_HEADER_BYTES (sent by the
    server itself, before the application sees the request)."""

    status_code = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    code = "request_header_fields_too_large"
    title = "Request headers too large"


class InternalError(AppError):
    """An unexpected failure; the body is generic on purpose. Quote the `request_id`."""

    status_code = HTTPStatus.INTERNAL_SERVER_ERROR
    code = "internal_error"
    title = "Internal error"


class ServiceUnavailableError(AppError):
    """Category: a dependency of the service cannot serve the request right now."""

    status_code = HTTPStatus.SERVICE_UNAVAILABLE

    retry_after_seconds: ClassVar[int] = 5

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class DatabaseUnavailableError(ServiceUnavailableError):
    """PostgreSQL cannot be reached, or the connection died; try again shortly."""

    code = "database_unavailable"
    title = "Database unavailable"


class DatabaseTimeoutError(ServiceUnavailableError):
    """A statement ran over DB_STATEMENT_TIMEOUT_MS (or an operator cancelled it)."""

    code = "database_timeout"
    title = "Database timeout"
    retry_after_seconds = 1


class DatabaseBusyError(ServiceUnavailableError):
    """Every database connection stayed in use for as long as a request may wait for one
    (DB_POOL_TIMEOUT_SECONDS)."""

    code = "database_busy"
    title = "Database busy"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.wait_seconds = max(1, retry_after_seconds)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.wait_seconds)}


class Problem(BaseModel):
    """Every error response body (RFC 9457) plus a stable `code` and the `request_id`."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "urn:problem:not_found",
                "title": "Not found",
                "status": 404,
                "detail": "No route matches /api/v1/nothing",
                "instance": "/api/v1/nothing",
                "code": "not_found",
                "request_id": "7f9c2ba4e88f827d616045507605853e",
            }
        }
    )

    type: str = Field(description="A URI naming the kind of problem; derived from `code`.")
    title: str = Field(description="A short summary of the kind of problem; fixed per `code`.")
    status: int
    detail: str = Field(description="What went wrong this time, for a human.")
    instance: str = Field(description="The path of the request that failed.")
    code: str = Field(description="A stable, machine-readable error code.")
    request_id: str | None = Field(description="Quote it when reporting a problem.")
    errors: list[FieldError] | None = Field(
        default=None,
        description=f"The invalid inputs (the first {MAX_LISTED_ERRORS}), for validation errors.",
    )
    errors_omitted: int | None = Field(
        default=None, description="How many more inputs are invalid than `errors` lists."
    )


def problem_body(error: AppError, *, instance: str, request_id: str | None) -> dict[str, object]:
    """The JSON body of `error` as a problem; the one place a problem body is put together."""
    problem = Problem(
        type=f"urn:problem:{error.code}",
        title=error.title,
        status=error.status_code,
        detail=error.detail,
        instance=instance,
        code=error.code,
        request_id=request_id,
    )
    return problem.model_dump(mode="json", exclude_none=True) | error.extensions()


# Failures to reach or talk to PostgreSQL, as opposed to bugs in a query. asyncpg raises
# OSError subclasses (connection refused, socket missing) at connect time, unwrapped.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    OSError,
    TimeoutError,
)

# PostgreSQL's SQLSTATE for a statement it cancelled: over `statement_timeout` (set from
# DB_STATEMENT_TIMEOUT_MS in core/db.py), or cancelled by an operator.
QUERY_CANCELED = "57014"
