"""The production server for real: a subprocess on 127.0.0.1 that serves, logs JSON, and on
SIGTERM refuses new connections, finishes the requests in flight, closes its pool and exits."""

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from tests.servers import (
    SHUTDOWN_DEADLINE_SECONDS,
    exited,
    serve_environment,
    serving,
    start_serve,
    stop,
    wait_until_ready,
)
from tests.support import free_port


async def test_serve_answers_logs_json_and_stops_on_sigterm(database_url: str) -> None:
    port = free_port()
    process = await start_serve(port, serve_environment(database_url))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await wait_until_ready(client, headers={"X-Request-ID": "from-test"})
    finally:
        output = await stop(process)

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "from-test"
    assert "server" not in response.headers
    # Uvicorn finishes in-flight requests and the lifespan, then re-raises the signal it caught
    # so a process manager sees the usual "terminated by SIGTERM" status.
    assert process.returncode in {0, -signal.SIGTERM}
    records = [json.loads(line) for line in output.decode().splitlines()]
    messages = [record["message"] for record in records]
    assert "started" in messages
    assert messages[-3:] == ["stopped", "Application shutdown complete.", messages[-1]]
    assert messages[-1].startswith("Finished server process")
    access = [record for record in records if record.get("route") == "/health/ready"]
    assert access[0]["request_id"] == "from-test"


async def connections_refused(base_url: str) -> bool:
    """Whether the server stops accepting connections within the deadline (it stops soon
    after SIGTERM; how soon depends on the machine's load)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_DEADLINE_SECONDS
    while loop.time() < deadline:
        try:
            async with httpx.AsyncClient(base_url=base_url) as newcomer:
                await newcomer.get("/health/live")
        except httpx.ConnectError:
            return True
        except httpx.TransportError:
            pass  # accepted just before the listening socket closed, then dropped
        await asyncio.sleep(0.05)
    return False


async def test_sigterm_finishes_the_requests_in_flight_and_refuses_new_ones(
    committing_database_url: str,
) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = await start_serve(port, serve_environment(committing_database_url))
    body_started = asyncio.Event()
    finish_body = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        # A client on a slow network: the request is in the server's hands, half read.
        yield b'{"email": "in-flight@example.com", '
        body_started.set()
        await finish_body.wait()
        yield b'"password": "a long enough password", "full_name": "In Flight"}'

    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await wait_until_ready(client)
            in_flight = asyncio.create_task(
                client.post(
                    "/api/v1/auth/register",
                    content=slow_body(),
                    headers={"Content-Type": "application/json"},
                )
            )
            await body_started.wait()
            await asyncio.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            signalled_at = time.monotonic()
            refused = await connections_refused(base_url)
            finish_body.set()
            response = await in_flight
        output = await exited(process)
        exit_seconds = time.monotonic() - signalled_at
    finally:
        finish_body.set()
        await stop(process)

    assert refused
    assert response.status_code == 202, response.text
    assert exit_seconds < SHUTDOWN_DEADLINE_SECONDS
    assert process.returncode in {0, -signal.SIGTERM}
    messages = [json.loads(line)["message"] for line in output.decode().splitlines()]
    # The request was answered before the pool was closed ("stopped" comes after dispose).
    answered = messages.index("POST /api/v1/auth/register 202")
    assert answered < messages.index("stopped")


class RawAnswer(NamedTuple):
    status_line: bytes
    headers: dict[str, str]
    body: bytes


async def raw_request(port: int, request: bytes) -> RawAnswer:
    """`request` sent as raw bytes, and the answer as the server wrote it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    # The server may answer and close before it has read everything we send.
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    answer = await asyncio.wait_for(reader.read(), SHUTDOWN_DEADLINE_SECONDS)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    fields = (line.decode("latin-1").split(": ", 1) for line in header_lines)
    headers = {name.lower(): value for name, value in fields}
    return RawAnswer(status_line, headers, body)


def padded_get(header_bytes: int) -> bytes:
    """A GET with one header of `header_bytes` bytes."""
    return (
        b"GET /health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        + b"X-Padding: "
        + b"a" * header_bytes
        + b"\r\n\r\n"
    )


async def test_headers_over_the_limit_are_a_431_problem_and_the_server_carries_on(
    database_url: str,
) -> None:
    port = free_port()
    environment = serve_environment(database_url, MAX_REQUEST_HEADER_BYTES="8192")
    process = await start_serve(port, environment)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_until_ready(client)
            within = await raw_request(port, padded_get(4_000))
            over = await raw_request(port, padded_get(1_000_000))
            garbage = await raw_request(port, b"NOT HTTP AT ALL\r\n\r\n")
            after = await client.get("/health/live")
    finally:
        await stop(process)

    assert within.status_line == b"HTTP/1.1 200 OK"
    assert over.status_line == b"HTTP/1.1 431 Request Header Fields Too Large"
    problem = json.loads(over.body)
    assert problem["code"] == "request_header_fields_too_large"
    assert problem["status"] == 431
    assert problem["instance"] == "/health/live"
    assert "8192-byte limit" in problem["detail"]
    # What the parser refuses is a problem too, not uvicorn's plain text.
    assert garbage.status_line == b"HTTP/1.1 400 Bad Request"
    assert json.loads(garbage.body)["code"] == "bad_request"
    # Answers the server writes itself carry the application's security headers.
    for answer in (within, over, garbage):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    for answer in (over, garbage):
        assert answer.headers["content-type"] == "application/problem+json"
        assert len(answer.headers["x-request-id"]) == 32
    assert after.status_code == 200


@pytest.mark.parametrize(
    ("trusted", "budgets"),
    [
        # By default nobody is a proxy, not even 127.0.0.1: the header changes nothing.
        ({}, [401, 401, 429]),
        # A deployment behind a proxy names it, and each forwarded client has its own budget.
        ({"FORWARDED_ALLOW_IPS": "127.0.0.1"}, [401, 401, 401]),
    ],
)
async def test_x_forwarded_for_counts_only_from_a_named_proxy(
    database_url: str, trusted: dict[str, str], budgets: list[int]
) -> None:
    async with serving(
        database_url, count=1, LOGIN_RATE_LIMIT_PER_CLIENT="2/minute", **trusted
    ) as (client,):
        statuses = [
            (
                await client.post(
                    "/api/v1/auth/login",
                    data={"username": f"nobody{n}@example.com", "password": "guess"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
            ).status_code
            for n in range(3)
        ]
    assert statuses == budgets


async def files_appearing(directory: Path, pattern: str, *, count: int) -> list[Path]:
    """The files matching `pattern` once there are `count` of them (or the deadline passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_DEADLINE_SECONDS
    while True:
        found = await asyncio.to_thread(lambda: sorted(directory.glob(pattern)))
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_with_two_workers_any_scrape_adds_up_both_workers_metrics(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    environment = serve_environment(database_url, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    (tmp_path / "counter_1.db").write_bytes(b"left over from an earlier run")
    process = await start_serve(port, environment, "--workers", "2")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_until_ready(client)
        # One worker answering is not both ready. Each writes its gauges to a file of its own
        # in the directory as it starts (and removes it as it stops): wait for both.
        gauges = await files_appearing(tmp_path, "gauge_livesum_*.db", count=2)
        leftover = await asyncio.to_thread((tmp_path / "counter_1.db").exists)
        # New connections each time, so the kernel spreads them over both workers.
        for _ in range(40):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/health/live")).status_code == 200
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            scrapes = [(await client.get("/metrics")).text for _ in range(4)]
    finally:
        output = await stop(process)

    live = 'http_requests_total{method="GET",route="/health/live",status="200"} 40.0'
    assert all(live in scrape for scrape in scrapes), scrapes[0][-2000:]
    assert len(gauges) == 2
    assert not leftover
    workers = {json.loads(line).get("message") for line in output.decode().splitlines()}
    assert sum(1 for message in workers if str(message).startswith("Started server process")) == 2
