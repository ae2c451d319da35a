"""The OpenAPI document declares every error as problem+json and names operations readably."""

import re
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import error_catalogue
from {{ cookiecutter.package_name }}.web.openapi import install_openapi

from tests.support import DocumentedResponses


async def openapi(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_every_error_response_is_declared_as_problem_json(client: AsyncClient) -> None:
    document = await openapi(client)
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            errors = {
                status: response
                for status, response in operation["responses"].items()
                if int(status) >= 400
            }
            assert "500" in errors, f"{method.upper()} {path} does not declare 500"
            for status, response in errors.items():
                assert list(response["content"]) == ["application/problem+json"], (method, path)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)


async def test_operations_with_a_body_declare_400_413_and_415(client: AsyncClient) -> None:
    document = await openapi(client)
    with_body = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert with_body
    for method, path, operation in with_body:
        assert {"400", "413", "415", "422", "500"} <= set(operation["responses"]), (method, path)


async def test_a_body_of_a_type_no_route_reads_is_the_declared_415(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b"email=x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


async def test_readiness_declares_its_503(client: AsyncClient) -> None:
    document = await openapi(client)
    assert "503" in document["paths"]["/health/ready"]["get"]["responses"]


async def test_fastapi_default_validation_schemas_are_replaced(client: AsyncClient) -> None:
    schemas = (await openapi(client))["components"]["schemas"]
    assert "Problem" in schemas
    assert "FieldError" in schemas
    assert "HTTPValidationError" not in schemas


async def test_operation_ids_are_unique_readable_function_names(client: AsyncClient) -> None:
    document = await openapi(client)
    operation_ids = [
        operation["operationId"]
        for path_item in document["paths"].values()
        for operation in path_item.values()
    ]
    assert len(set(operation_ids)) == len(operation_ids)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", operation_id) for operation_id in operation_ids)
    assert {"get_liveness", "get_readiness"} <= set(operation_ids)


async def test_every_operation_has_a_summary(client: AsyncClient) -> None:
    document = await openapi(client)
    for path_item in document["paths"].values():
        for operation in path_item.values():
            assert operation.get("description") or operation.get("summary")


def _referenced(node: object, schemas: dict[str, Any], found: set[str]) -> set[str]:
    """The names of the component schemas `node` refers to, directly or through others."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.split("/")[-1] not in found:
            found.add(ref.split("/")[-1])
            _referenced(schemas[ref.split("/")[-1]], schemas, found)
        for value in node.values():
            _referenced(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, schemas, found)
    return found


async def test_every_field_a_response_always_carries_is_required(client: AsyncClient) -> None:
    """A client generator makes an optional field `X | None` (or `X | Unset`): a field every
    answer has must be required, defaults or not. The problem's extension members are the
    exception: only a validation problem has them."""
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    responses = [
        operation["responses"] for path in document["paths"].values() for operation in path.values()
    ]
    optional = {
        name: sorted(
            set(schemas[name].get("properties", {})) - set(schemas[name].get("required", []))
        )
        for name in _referenced(responses, schemas, set())
    }
    assert {name: fields for name, fields in optional.items() if fields} == {
        "Problem": ["errors", "errors_omitted"]
    }


def test_an_optional_header_is_declared_a_string_not_string_or_null() -> None:
    probe = FastAPI()

    @probe.get("/probe")
    async def read_probe(x_probe: Annotated[str | None, Header(max_length=8)] = None) -> None:
        """A route with an optional header."""

    install_openapi(probe)
    [parameter] = probe.openapi()["paths"]["/probe"]["get"]["parameters"]
    assert parameter["schema"] == {"type": "string", "maxLength": 8, "title": "X-Probe"}
    assert parameter["required"] is False


async def test_optional_parameters_are_never_null(client: AsyncClient) -> None:
    """`If-Match`, `Idempotency-Key` and the list filters may be left out; a client cannot send
    them as null."""
    document = (await client.get("/openapi.json")).json()
    parameters = [
        parameter
        for path in document["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] in {"header", "query"}
    ]
    assert {parameter["in"] for parameter in parameters} >= {"query"}
    for parameter in parameters:
        assert "anyOf" not in parameter["schema"], parameter
        assert parameter["schema"].get("default", "") is not None, parameter
    headers = [parameter for parameter in parameters if parameter["in"] == "header"]
    assert all(parameter["schema"]["type"] == "string" for parameter in headers)


async def test_every_body_schema_has_a_name_of_its_own(client: AsyncClient) -> None:
    """FastAPI names a body it has no model for `Body_<operation>`, which generated clients
    then carry as a type name; the login form is a model (`LoginForm`)."""
    names = set((await openapi(client))["components"]["schemas"])
    assert "LoginForm" in names
    assert not {name for name in names if name.startswith("Body_")}


async def test_problems_declare_the_headers_they_carry(client: AsyncClient) -> None:
    """Every 401 says how to authenticate, every 429 and 503 when to try again."""
    document = await openapi(client)
    expected = {"401": "WWW-Authenticate", "429": "Retry-After", "503": "Retry-After"}
    seen = set()
    for item in document["paths"].values():
        for operation in item.values():
            for status, header in expected.items():
                if status in operation["responses"]:
                    seen.add(status)
                    assert header in operation["responses"][status]["headers"]
    assert seen == set(expected)


async def test_a_throttled_answer_carries_the_declared_retry_after(
    app: FastAPI, client: AsyncClient
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT": "1/minute"}
    )
    for _ in range(2):
        response = await client.post(
            "/api/v1/auth/password-reset", json={"email": "someone@example.com"}
        )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    unauthenticated = await client.get("/api/v1/users/me")
    assert unauthenticated.headers["www-authenticate"] == "Bearer"


async def test_each_problem_response_names_the_codes_its_operation_can_answer_with(
    client: AsyncClient,
) -> None:
    document = await openapi(client)
    catalogue = {error.code: error for error in error_catalogue()}
    operation = document["paths"]["/api/v1/users/{user_id}"]["patch"]["responses"]
    examples = {
        status: set(response["content"]["application/problem+json"]["examples"])
        for status, response in operation.items()
        if int(status) >= 400
    }
    # Named by the route, brought by its dependencies, and those of reading any body.
    assert examples["409"] == {"self_modification", "concurrent_update"}
    assert examples["401"] == {"not_authenticated", "invalid_token", "token_expired"}
    assert examples["403"] == {"permission_denied"}
    assert examples["404"] == {"not_found"}
    assert examples["413"] == {"payload_too_large"}
    assert examples["503"] == {"database_busy", "database_timeout", "database_unavailable"}
    for path, item in document["paths"].items():
        for method, declared in item.items():
            for status, response in declared["responses"].items():
                if int(status) < 400:
                    continue
                listed = response["content"]["application/problem+json"]["examples"]
                assert listed, (method, path, status)
                for code, example in listed.items():
                    assert catalogue[code].status_code == int(status), (method, path, code)
                    assert example["value"]["code"] == code
                    assert f"`{code}`" in response["description"]


def test_a_response_the_document_does_not_declare_is_caught() -> None:
    document = {
        "paths": {
            "/things/{thing_id}": {
                "get": {
                    "responses": {
                        "200": {"description": "OK", "headers": {"ETag": {}}},
                        "404": {
                            "content": {"application/problem+json": {"examples": {"not_found": {}}}}
                        },
                    }
                }
            }
        }
    }
    documented = DocumentedResponses(document)
    problem = {"content-type": "application/problem+json"}
    documented.check("GET", "/things/1", 200, {"ETag": '"1"'}, b"{}")
    documented.check("GET", "/things/1", 404, problem, b'{"code": "not_found"}')
    documented.check("DELETE", "/things/1", 405, problem, b'{"code": "method_not_allowed"}')
    with pytest.raises(AssertionError, match="does not declare"):
        documented.check("GET", "/things/1", 409, problem, b'{"code": "conflict"}')
    with pytest.raises(AssertionError, match="with code 'gone'"):
        documented.check("GET", "/things/1", 404, problem, b'{"code": "gone"}')
    with pytest.raises(AssertionError, match="with Location"):
        documented.check("GET", "/things/1", 200, {"Location": "/x"}, b"{}")


async def test_a_field_null_cannot_clear_is_not_nullable_in_the_schema(
    client: AsyncClient,
) -> None:
    """A partial update's `null` clears a field, so the schema offers null only where it can."""
    schemas = (await openapi(client))["components"]["schemas"]
    unclearable = {
        "UserUpdate": {"full_name", "role", "is_active"},
        "UserUpdateMe": {"full_name", "password", "current_password"},
    }
    for name, fields in unclearable.items():
        properties = schemas[name]["properties"]
        for field in fields:
            assert "anyOf" not in properties[field], (name, field)
            assert "default" not in properties[field], (name, field)
        clearable = {field for field, schema in properties.items() if "anyOf" in schema}
        assert clearable.isdisjoint(fields)
    # What the schema cannot say with types, it says with `dependentRequired`.
    assert schemas["UserUpdateMe"]["dependentRequired"] == {"password": ["current_password"]}


async def test_the_document_describes_its_tags_servers_license_and_contact(
    client: AsyncClient,
) -> None:
    document = await openapi(client)
    described = {tag["name"]: tag.get("description") for tag in document["tags"]}
    used = {
        tag for item in document["paths"].values() for op in item.values() for tag in op["tags"]
    }
    assert used == set(described)
    assert all(described.values())
    assert document["servers"] == [
        {"url": "/", "description": "The server this document is served from"}
    ]
    assert document["info"]["license"]["name"]
    assert set(document["info"]["contact"]) == {"name", "email"}


async def test_every_operation_states_its_security_public_ones_as_none(
    client: AsyncClient,
) -> None:
    document = await openapi(client)
    public = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            security = operation["security"]
            if security == []:
                public.add(f"{method.upper()} {path}")
            else:
                assert security == [{"OAuth2PasswordBearer": []}], (method, path)
                assert "401" in operation["responses"], (method, path)
    assert {"POST /api/v1/auth/login", "POST /api/v1/auth/register", "GET /health/live"} <= public
    assert "GET /api/v1/users/me" not in public
