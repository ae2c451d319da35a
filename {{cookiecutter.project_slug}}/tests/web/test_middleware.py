"""Request IDs, security headers, CORS and the body size limit, through real HTTP calls."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from io import StringIO

import pytest
from fastapi import APIRouter, Depends, Request
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


async def read_and_swallow_errors(request: Request) -> None:
    """What an error reporter's request extractor does (Sentry's): read the body early, and
    ignore anything that goes wrong."""
    with contextlib.suppress(Exception):
        await request.body()


@echo.post("/after-a-reader", dependencies=[Depends(read_and_swallow_errors)])
async def echo_after_a_reader(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    """This module's tests call the probe routes, so they get an app of their own."""
    return [echo]


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
    client: AsyncClient, log_lines: StringIO
) -> None:
    response = await client.post(
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
    client: AsyncClient, settings: Settings
) -> None:
    too_big = b"x" * (settings.MAX_REQUEST_BODY_BYTES + 1)
    response = await client.post("/_probe/echo", content=too_big, headers=AS_JSON)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


async def test_a_streamed_body_over_the_limit_is_refused(
    client: AsyncClient, settings: Settings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(settings.MAX_REQUEST_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    response = await client.post("/_probe/echo", content=chunks(), headers=AS_JSON)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_body_within_the_limit_is_read_whole(client: AsyncClient) -> None:
    response = await client.post("/_probe/echo", content=b"x" * 4096, headers=AS_JSON)
    assert response.json() == {"received": 4096}


async def streamed(body: bytes) -> AsyncIterator[bytes]:
    """`body` in 64 KB chunks, with no Content-Length."""
    for start in range(0, len(body), 65536):
        yield body[start : start + 65536]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"full_name": ' + b"[" * 40 + b"]" * 40 + b"}", "bad_request"),
        (b'{"full_name": "\xff"}', "bad_request"),
        (b"x" * (2 * 1024 * 1024), "payload_too_large"),
    ],
    ids=["too deep", "not UTF-8", "too large"],
)
async def test_a_refused_body_is_answered_before_any_layer_of_the_app_reads_it(
    client: AsyncClient, body: bytes, code: str
) -> None:
    # When the checks ran inside `receive`, a layer that swallowed their error left the route
    # waiting for the body for ever; the timeout turns such a hang into a failure.
    async with asyncio.timeout(10):
        response = await client.post(
            "/_probe/after-a-reader", content=streamed(body), headers=AS_JSON
        )
    assert response.json()["code"] == code


async def test_a_body_read_early_by_a_layer_reaches_the_route_too(client: AsyncClient) -> None:
    async with asyncio.timeout(10):
        response = await client.post(
            "/_probe/after-a-reader",
            content=streamed(b'"' + b"x" * 200_000 + b'"'),
            headers=AS_JSON,
        )
    assert response.json() == {"received": 200_002}
