"""The OpenAPI document is the contract: every error response is declared as problem+json,
with the `code` values the operation can answer with, and every header a response carries.

An operation's problems are collected, not hand-listed in the document: the error classes its
route names (`responses=problem_responses(ProjectNameTakenError)`), those its dependencies are
marked with (`@raises(NotFoundError)` on `get_visible_project`, so every route that depends on
it declares the 404), and those of reading any request (a 422 for invalid input, a 400, 413
and 415 for a body, a 500 for anything unexpected). A test sends the whole suite's responses
through the document and fails on any code an operation does not declare.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    BadRequestError,
    InternalError,
    PayloadTooLargeError,
    Problem,
    RateLimitedError,
    RequestHeadersTooLargeError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    declared_errors,
    error_catalogue,
)
from {{ cookiecutter.package_name }}.web.handlers import PROBLEM_MEDIA_TYPE
from {{ cookiecutter.package_name }}.web.throttling import client_budget_of

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Where a route's own error codes wait in its `responses` until the document is built.
_CODES = "x-problem-codes"


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the errors its own code (its service) can raise. Those of its
    dependencies and of reading the request are added when the document is built."""
    codes: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        codes[error.status_code].append(error.code)
    return {
        status: {"description": HTTPStatus(status).phrase, _CODES: listed}
        for status, listed in codes.items()
    }


def _dependency_errors(dependant: Dependant) -> Iterator[type[AppError]]:
    for dependency in dependant.dependencies:
        yield from declared_errors(dependency.call)
        yield from _dependency_errors(dependency)


def _reading_errors(route: APIRoute) -> Iterator[type[AppError]]:
    # Any request: headers over the limit are refused by the server itself (web/server.py).
    yield from (InternalError, RequestHeadersTooLargeError)
    dependant = route.dependant
    if route.body_field is not None:
        yield from (BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError)
    flat = [dependant, *_all_dependants(dependant)]
    if route.body_field is not None or any(
        d.path_params or d.query_params or d.header_params or d.cookie_params for d in flat
    ):
        yield ValidationFailedError
    if client_budget_of(route.endpoint) is not None:
        yield RateLimitedError


def _all_dependants(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _all_dependants(dependency)


def _operation_errors(app: FastAPI) -> dict[tuple[str, str], set[type[AppError]]]:
    """(path, method) -> the errors of its dependencies and of reading its request."""
    errors: dict[tuple[str, str], set[type[AppError]]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        found = {*_dependency_errors(route.dependant), *_reading_errors(route)}
        for method in route.methods or ():
            errors[(str(context.path_format), method.lower())] = found
    return errors


# The headers a successful response can carry, declared on the operations that send them so
# generated clients expose them.
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The resource's version, to send back in `If-Match` on an update or a "
        "delete.",
        "required": True,
        "schema": {"type": "string", "pattern": '^"[0-9]+"$', "example": '"3"'},
    },
    "Location": {
        "description": "The path of the created resource.",
        "required": True,
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Idempotent-Replayed": {
        "description": "Sent (as `true`) when this is the stored answer to an earlier request "
        "with the same `Idempotency-Key`: nothing new was created.",
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def with_headers(status: int, *names: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry for a success that carries headers (e.g. the `ETag` of a GET)."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "headers": {name: RESPONSE_HEADERS[name] for name in names},
        }
    }


def created_links(
    parameters: dict[str, str],
    *operation_ids: str,
    headers: tuple[str, ...] = ("Location", "ETag", "Idempotent-Replayed"),
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry for a 201: its headers, and OpenAPI links saying which operations can
    use the created resource and where their parameters come from (e.g. `$response.body#/id`).
    Clients and schemathesis' stateful tests follow them: create, then read, update, delete."""
    links = {
        operation: {"operationId": operation, "parameters": parameters}
        for operation in operation_ids
    }
    (created,) = with_headers(201, *headers).values()
    return {201: {**created, "links": links}}


def operation_id(route: APIRoute) -> str:
    """Operation IDs are the route function names (`get_readiness`), stable and readable."""
    return route.name


def route_templates(app: FastAPI) -> dict[str, str]:
    """Route name -> its full path template (`get_task` -> `/api/v1/projects/{project_id}/
    tasks/{task_id}`), for logs and metrics. A route only knows its path inside its own router
    (`/tasks/{task_id}`); FastAPI's route contexts know where each router was included.

    Walking the contexts costs what the first request would pay anyway; building the OpenAPI
    document for this, as before, doubled the cost of every `create_app`."""
    return {
        context.name: context.path_format
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.name is not None
        and context.path_format is not None
    }


# The headers every problem of a status carries (`AppError.headers()` of its classes: each
# 401 is an AuthenticationError, each 429 a RateLimitedError, each 503 a
# ServiceUnavailableError), declared so a client knows to read them.
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "example": 5},
}
_PROBLEM_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": "How to authenticate: a bearer access token.",
            "required": True,
            "schema": {"type": "string", "example": "Bearer"},
        }
    },
    "429": {"Retry-After": _RETRY_AFTER},
    "503": {"Retry-After": _RETRY_AFTER},
}


def _example(error: type[AppError]) -> dict[str, Any]:
    summary = (error.__doc__ or error.title).split(". ")[0].strip().rstrip(".")
    problem = {
        "type": f"urn:problem:{error.code}",
        "title": error.title,
        "status": int(error.status_code),
        "detail": summary,
        "instance": "/api/v1/...",
        "code": error.code,
        "request_id": "7f9c2ba4e88f827d616045507605853e",
    }
    return {"summary": error.title, "value": problem}


def _describe(status: int, errors: Iterable[type[AppError]]) -> dict[str, Any]:
    ordered = sorted(errors, key=lambda error: error.code)
    codes = ", ".join(f"`{error.code}`" for error in ordered)
    response: dict[str, Any] = {
        "description": f"{HTTPStatus(status).phrase}; `code` is one of {codes}.",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": _PROBLEM_REF,
                "examples": {error.code: _example(error) for error in ordered},
            }
        },
    }
    if str(status) in _PROBLEM_HEADERS:
        response["headers"] = _PROBLEM_HEADERS[str(status)]
    return response


def _declare_problems(schema: dict[str, Any], app: FastAPI) -> None:
    by_code = {error.code: error for error in error_catalogue()}
    operation_errors = _operation_errors(app)
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            errors = set(operation_errors.get((path, method), ()))
            for response in responses.values():
                errors.update(by_code[code] for code in response.pop(_CODES, ()))
            by_status: dict[int, set[type[AppError]]] = defaultdict(set)
            for error in errors:
                by_status[int(error.status_code)].add(error)
            for status in sorted(by_status):
                responses[str(status)] = _describe(status, by_status[status])
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # FastAPI's default validation schemas are replaced by `Problem`.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("Problem", problem)


def _public_operations_say_so(schema: dict[str, Any]) -> None:
    """An operation without a security requirement is public: `security: []` says so, where
    leaving it out would leave a reader (and a linter) guessing."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            operation.setdefault("security", [])


def _parameters_are_never_null(schema: dict[str, Any]) -> None:
    """An optional header or query parameter is one a client may leave out, never one it
    sends as null (neither has a null: `?status=null` is the string "null"). FastAPI types
    `str | None` as "string or null", which client generators turn into nullable parameters:
    keep only the string (or the enum, the date...)."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                types = parameter["schema"].get("anyOf")
                if types is None or parameter["in"] not in {"header", "query"}:
                    continue
                present = [option for option in types if option.get("type") != "null"]
                if len(present) == 1:
                    rest = {
                        key: value
                        for key, value in parameter["schema"].items()
                        if key != "anyOf" and not (key == "default" and value is None)
                    }
                    parameter["schema"] = {**present[0], **rest}


def install_openapi(app: FastAPI) -> None:
    def build_schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                contact=app.contact,
                license_info=app.license_info,
            )
            _declare_problems(schema, app)
            _public_operations_say_so(schema)
            _parameters_are_never_null(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build_schema  # type: ignore[method-assign]
