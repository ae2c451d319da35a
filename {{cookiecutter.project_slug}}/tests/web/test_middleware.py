"""Request IDs, security headers, CORS and the body size limit, through real HTTP calls."""

import json
import logging
from collections.abc import AsyncIterator
from io import StringIO

import pytest
from fastapi import APIRouter, FastAPI, Request
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.main import create_app

from tests.support import make_settings

logger = logging.getLogger("tests.probe")
echo = APIRouter(prefix="/_probe")
# The echo route reads the raw bytes; the label only gets them past BodyFormatMiddleware.
AS_JSON = {"Content-Type": "application/json"}


@echo.post("/echo")
async def echo_body(request: Request) -> dict[str, int]:
    body = await request.body()
    logger.info("echoing %d bytes", len(body))
    return {"received": len(body)}


@pytest.fixture
async def echo_client(app: FastAPI, client: AsyncClient) -> AsyncIterator[AsyncClient]:
    app.include_router(echo)
    yield client


async def test_a_request_id_is_generated_and_returned(client: AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_valid_incoming_request_id_is_kept(client: AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-42.abc"})
    assert response.headers["x-request-id"] == "edge-42.abc"


async def test_an_unsafe_incoming_request_id_is_replaced(client: AsyncClient) -> None:
    forged = 'x"\n{"level": "ERROR"}'
    response = await client.get("/health/live", headers={"X-Request-ID": forged[:20]})
    assert response.headers["x-request-id"] != forged[:20]
    assert len(response.headers["x-request-id"]) == 32


async def test_every_log_line_of_a_request_carries_its_id(
    echo_client: AsyncClient, log_lines: StringIO
) -> None:
    response = await echo_client.post(
        "/_probe/echo", content=b"hello", headers={"X-Request-ID": "trace-me", **AS_JSON}
    )
    assert response.status_code == 200
    records = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    # httpx logs on the client's side of the call, outside the request.
    server_side = [record for record in records if record["logger"] != "httpx"]
    messages = {record["message"] for record in server_side}
    assert messages >= {"echoing 5 bytes", "POST /_probe/echo 200"}
    assert all(record["request_id"] == "trace-me" for record in server_side)


async def test_the_access_log_line_names_route_status_and_duration(
    client: AsyncClient, log_lines: StringIO
) -> None:
    await client.get("/health/live")
    access = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = [record for record in access if record["logger"].endswith(".access")]
    assert len(access) == 1
    assert access[0]["route"] == "/health/live"
    assert access[0]["status"] == 200
    assert access[0]["duration_ms"] >= 0


async def test_security_headers_are_set_on_api_responses(client: AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    assert csp == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in response.headers


async def test_hsts_is_sent_in_production(database_url: str) -> None:
    settings = make_settings(
        database_url, ENVIRONMENT="production", SECRET_KEY="p" * 40, CORS_ORIGINS=[]
    )
    transport = ASGITransport(app=create_app(settings))
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/health/live")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_cors_allows_only_configured_origins(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"CORS_ORIGINS": ["https://app.example.com"]}))
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        allowed = await client.options(
            "/health/live",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        )
        refused = await client.options(
            "/health/live",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in refused.headers


async def test_a_body_over_the_limit_is_refused_from_its_content_length(
    echo_client: AsyncClient, settings: Settings
) -> None:
    too_big = b"x" * (settings.MAX_REQUEST_BODY_BYTES + 1)
    response = await echo_client.post("/_probe/echo", content=too_big, headers=AS_JSON)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


async def test_a_streamed_body_over_the_limit_is_refused(
    echo_client: AsyncClient, settings: Settings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(settings.MAX_REQUEST_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    response = await echo_client.post("/_probe/echo", content=chunks(), headers=AS_JSON)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_body_within_the_limit_is_read_whole(echo_client: AsyncClient) -> None:
    response = await echo_client.post("/_probe/echo", content=b"x" * 4096, headers=AS_JSON)
    assert response.json() == {"received": 4096}
