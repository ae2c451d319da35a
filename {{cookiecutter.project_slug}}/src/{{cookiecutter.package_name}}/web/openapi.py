"""The OpenAPI document is the contract: every error response is declared as problem+json."""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from {{ cookiecutter.package_name }}.core.errors import Problem
from {{ cookiecutter.package_name }}.web.handlers import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status it can answer with, all rendered as `Problem`."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }


def created_links(
    parameters: dict[str, str], *operation_ids: str
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry for a 201: OpenAPI links saying which operations can use the created
    resource, and where their parameters come from (e.g. `$response.body#/id`). Clients and
    schemathesis' stateful tests follow them: create, then read, update, delete."""
    links = {
        operation: {"operationId": operation, "parameters": parameters}
        for operation in operation_ids
    }
    return {201: {"description": "Created", "links": links}}


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


def _as_problem(response: dict[str, Any], status: str) -> None:
    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
    if status in _PROBLEM_HEADERS:
        response["headers"] = _PROBLEM_HEADERS[status]


# Raised before the route runs: an undecodable or an oversized body, or one whose
# Content-Type no route reads (web/middleware.py).
_BODY_REFUSALS = {
    "400": "Bad Request",
    "413": "Content Too Large",
    "415": "Unsupported Media Type",
}


def _declare_problems(schema: dict[str, Any]) -> None:
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= HTTPStatus.BAD_REQUEST:
                    _as_problem(response, status)
            if "requestBody" in operation:
                for status, description in _BODY_REFUSALS.items():
                    refusal = responses.setdefault(status, {"description": description})
                    _as_problem(refusal, status)
            # Any operation can fail unexpectedly; the body is still a Problem.
            _as_problem(
                responses.setdefault("500", {"description": "Internal Server Error"}), "500"
            )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # FastAPI's default validation schemas are replaced by `Problem`.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("Problem", problem)


def _headers_are_never_null(schema: dict[str, Any]) -> None:
    """An optional header parameter is one a client may leave out, never one it sends as
    null (a header has no null). FastAPI types `str | None` as "string or null", which
    client generators turn into nullable parameters: keep only the string."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                types = parameter["schema"].get("anyOf") if parameter["in"] == "header" else None
                if types is None:
                    continue
                present = [option for option in types if option.get("type") != "null"]
                if len(present) == 1:
                    rest = {k: v for k, v in parameter["schema"].items() if k != "anyOf"}
                    parameter["schema"] = {**present[0], **rest}


def install_openapi(app: FastAPI) -> None:
    def build_schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _declare_problems(schema)
            _headers_are_never_null(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build_schema  # type: ignore[method-assign]
