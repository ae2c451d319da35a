"""The example domain's part of the OpenAPI document: headers of its responses, decimals,
sort choices and fields a partial update cannot clear, each as the server treats them."""

import re
from typing import Any

from httpx import AsyncClient

from {{ cookiecutter.package_name }}.tasks.schemas import ESTIMATE_PATTERN, ESTIMATE_READ_PATTERN


async def openapi(client: AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


async def test_responses_declare_the_headers_they_carry(client: AsyncClient) -> None:
    document = await openapi(client)
    collections = {
        "/api/v1/projects": "/api/v1/projects/{project_id}",
        "/api/v1/projects/{project_id}/tasks": "/api/v1/projects/{project_id}/tasks/{task_id}",
    }
    for path, item_path in collections.items():
        created = document["paths"][path]["post"]["responses"]["201"]["headers"]
        assert set(created) == {"Location", "ETag", "Idempotent-Replayed"}
        item = document["paths"][item_path]
        for method in ("get", "patch"):
            assert set(item[method]["responses"]["200"]["headers"]) == {"ETag"}


async def test_sort_choices_are_named_schemas_with_readable_member_names(
    client: AsyncClient,
) -> None:
    schemas = (await openapi(client))["components"]["schemas"]
    assert schemas["TaskSort"]["enum"] == ["created_at", "-created_at", "due_date", "title"]
    assert schemas["TaskSort"]["x-enum-varnames"] == [
        "CREATED_AT",
        "CREATED_AT_DESC",
        "DUE_DATE",
        "TITLE",
    ]
    assert schemas["ProjectSort"]["x-enum-varnames"] == ["CREATED_AT", "CREATED_AT_DESC", "NAME"]


async def test_a_decimal_is_a_patterned_string_on_both_sides(client: AsyncClient) -> None:
    schemas = (await openapi(client))["components"]["schemas"]
    for name, pattern in (
        ("TaskCreate", ESTIMATE_PATTERN),
        ("TaskUpdate", ESTIMATE_PATTERN),
        ("TaskRead", ESTIMATE_READ_PATTERN),
    ):
        options = schemas[name]["properties"]["estimate"]["anyOf"]
        assert options[0]["type"] == "string", name
        assert options[0]["pattern"] == pattern, name
        assert re.fullmatch(pattern[1:-1], options[0]["examples"][0]), name
        assert options[1] == {"type": "null"}


async def test_a_field_null_cannot_clear_is_not_nullable_in_the_schema(
    client: AsyncClient,
) -> None:
    schemas = (await openapi(client))["components"]["schemas"]
    assert "anyOf" not in schemas["ProjectUpdate"]["properties"]["name"]
    for field in ("title", "status"):
        assert "anyOf" not in schemas["TaskUpdate"]["properties"][field]
    # Those that null clears say so.
    assert {"type": "null"} in schemas["TaskUpdate"]["properties"]["due_date"]["anyOf"]
