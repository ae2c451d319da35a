"""The production server for real: a subprocess on 127.0.0.1 that serves, logs JSON, and exits
cleanly on SIGTERM."""

import asyncio
import json
import os
import signal
import socket
import sys

import httpx

from tests.support import TEST_SECRET_KEY

STARTUP_DEADLINE_SECONDS = 30
SHUTDOWN_DEADLINE_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_ready(client: httpx.AsyncClient) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_DEADLINE_SECONDS
    while True:
        try:
            return await client.get("/health/ready", headers={"X-Request-ID": "from-test"})
        except httpx.TransportError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_serve_answers_logs_json_and_stops_on_sigterm(database_url: str) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    command = ["-m", "{{ cookiecutter.package_name }}", "serve", "--host", "127.0.0.1"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        *("--port", str(port)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=environment,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await wait_until_ready(client)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), SHUTDOWN_DEADLINE_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

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
