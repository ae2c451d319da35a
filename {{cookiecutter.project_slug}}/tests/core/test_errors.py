"""Every error, from every layer, is one RFC 9457 problem+json envelope, and every code the
service can answer with is one class, listed in docs/errors.md."""

import uuid
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Query
from httpx import AsyncClient
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError

from {{ cookiecutter.package_name }}.cli import error_table
from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
    error_catalogue,
)

probe = APIRouter(prefix="/_probe")


class WidgetNameTakenError(ConflictError):
    """The probe's conflict."""

    code = "widget_name_taken"
    title = "Widget name taken"


class Widget(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    size: int


@probe.post("/widgets", status_code=201)
async def create_widget(widget: Widget) -> Widget:
    return widget


@probe.get("/widgets")
async def list_widgets(limit: Annotated[int, Query(le=100)] = 20) -> list[Widget]:
    return [Widget(name="w", size=limit)]


@probe.get("/missing")
async def get_missing() -> None:
    raise NotFoundError("Widget 42 not found")


@probe.get("/conflict")
async def get_conflict() -> None:
    raise WidgetNameTakenError("A widget with this name exists")


@probe.get("/throttled")
async def get_throttled() -> None:
    raise RateLimitedError("Too many attempts", retry_after_seconds=7)


@probe.get("/crash")
async def get_crash() -> None:
    raise RuntimeError("password=hunter2 in SELECT * FROM users")


@probe.get("/database-down")
async def get_database_down() -> None:
    raise OperationalError("SELECT secret FROM vault", {}, ConnectionRefusedError("10.0.0.5"))


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    """This module's tests call the probe routes, so they get an app of their own."""
    return [probe]


def assert_problem(response_json: dict[str, object], *, status: int, code: str) -> None:
    assert response_json["status"] == status
    assert response_json["code"] == code
    assert response_json["type"] == f"urn:problem:{code}"
    assert isinstance(response_json["title"], str)
    assert isinstance(response_json["detail"], str)
    assert isinstance(response_json["request_id"], str)


async def test_unknown_route_is_a_404_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert_problem(body, status=404, code="not_found")
    assert body["instance"] == "/api/v1/nothing-here"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_a_405_problem_that_keeps_allow(client: AsyncClient) -> None:
    response = await client.delete("/health/live")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert_problem(response.json(), status=405, code="method_not_allowed")


async def test_a_405_allows_every_method_of_the_path_not_only_the_first_routes(
    client: AsyncClient,
) -> None:
    """RFC 9110 asks `Allow` to list what the resource supports: here three routes (GET, PATCH
    and DELETE of one path), of which Starlette's own answer named only the first."""
    response = await client.put(f"/api/v1/users/{uuid.uuid4()}")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"


async def test_a_405_allows_the_methods_of_the_documented_path_it_names(
    client: AsyncClient,
) -> None:
    """`/users/me` also fits the template `/users/{user_id}`; its `Allow` is its own path's."""
    response = await client.options("/api/v1/users/me")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"


async def test_invalid_body_lists_each_field_error(client: AsyncClient) -> None:
    response = await client.post("/_probe/widgets", json={"name": "", "size": "big"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert_problem(body, status=422, code="validation_error")
    assert body["detail"] == "2 inputs are invalid; see `errors`."
    errors = {tuple(error["loc"]): error for error in body["errors"]}
    assert set(errors) == {("body", "name"), ("body", "size")}
    assert errors["body", "size"]["type"] == "int_parsing"
    assert all(set(error) == {"loc", "message", "type"} for error in body["errors"])


async def test_validation_errors_never_echo_the_input(client: AsyncClient) -> None:
    response = await client.post(
        "/_probe/widgets", json={"name": "s3cret-value-too-long", "size": 1}
    )
    assert response.status_code == 422
    assert "s3cret" not in response.text


async def test_invalid_query_parameter_is_a_422_problem(client: AsyncClient) -> None:
    response = await client.get("/_probe/widgets", params={"limit": 101})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_malformed_json_is_a_422_problem(client: AsyncClient) -> None:
    response = await client.post(
        "/_probe/widgets", content=b'{"name": "a",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    assert_problem(body, status=422, code="validation_error")
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/_probe/missing", 404, "not_found"),
        ("/_probe/conflict", 409, "widget_name_taken"),
        ("/_probe/throttled", 429, "rate_limited"),
    ],
)
async def test_app_errors_render_with_their_status_and_code(
    client: AsyncClient, path: str, status: int, code: str
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(response.json(), status=status, code=code)


async def test_rate_limited_error_carries_retry_after(client: AsyncClient) -> None:
    response = await client.get("/_probe/throttled")
    assert response.headers["retry-after"] == "7"


async def test_unhandled_error_is_a_generic_500_without_details(
    client: AsyncClient,
) -> None:
    response = await client.get("/_probe/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert_problem(body, status=500, code="internal_error")
    for leak in ("hunter2", "SELECT", "Traceback", "RuntimeError"):
        assert leak not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_database_failure_is_a_503_problem_without_sql(client: AsyncClient) -> None:
    response = await client.get("/_probe/database-down")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert_problem(response.json(), status=503, code="database_unavailable")
    assert "vault" not in response.text
    assert "10.0.0.5" not in response.text


ERRORS_PAGE = Path(__file__).parents[2] / "docs" / "errors.md"


def test_every_error_class_has_a_code_of_its_own_a_title_and_a_description() -> None:
    catalogue = error_catalogue()
    codes = [error.code for error in catalogue]
    assert len(codes) == len(set(codes)), sorted(codes)
    for error in catalogue:
        assert error.__module__.startswith("{{ cookiecutter.package_name }}.")
        assert error.title, error
        assert (error.__doc__ or "").strip(), f"{error.__name__} has no docstring"
        assert 400 <= error.status_code < 600, error
    # The catalogue is complete: the codes the framework and the database layer produce too.
    assert {"validation_error", "not_found", "method_not_allowed", "internal_error"} <= set(codes)
    assert {"database_unavailable", "database_timeout", "database_busy"} <= set(codes)


def test_docs_errors_md_is_the_catalogue_as_generated() -> None:
    # `make errors-doc` rewrites it; commit the result with the error class.
    assert ERRORS_PAGE.read_text(encoding="utf-8") == error_table()
    for error in error_catalogue():
        assert f"| `{error.code}` | {error.status_code} |" in error_table()


@pytest.mark.parametrize(
    "category", [AppError, ConflictError, AuthenticationError, ServiceUnavailableError]
)
def test_a_category_cannot_be_raised_only_its_subclasses(category: type[AppError]) -> None:
    with pytest.raises(TypeError, match="is a category"):
        category("no code of its own")
