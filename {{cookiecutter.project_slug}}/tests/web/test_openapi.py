"""The OpenAPI document declares every error as problem+json and names operations readably."""

import re
from typing import Any

from httpx import AsyncClient


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


async def test_operations_with_a_body_declare_400_and_413(client: AsyncClient) -> None:
    operation = (await openapi(client))["paths"]["/api/v1/auth/register"]["post"]
    assert {"400", "413", "422", "500"} <= set(operation["responses"])


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
