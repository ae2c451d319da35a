"""Real processes for the tests that need them: the service's own `serve` command and a
redis-server, each on a free port of 127.0.0.1, and always stopped afterwards."""

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support import TEST_SECRET_KEY, free_port

STARTUP_DEADLINE_SECONDS = 30
SHUTDOWN_DEADLINE_SECONDS = 30
REDIS_START_DEADLINE_SECONDS = 10


async def wait_until_ready(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None
) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_DEADLINE_SECONDS
    while True:
        try:
            return await client.get("/health/ready", headers=headers)
        except httpx.TransportError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


def serve_environment(database_url: str, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET_KEY,
        **settings,
    }


async def start_serve(
    port: int, environment: dict[str, str], *arguments: str
) -> asyncio.subprocess.Process:
    """`python -m {{ cookiecutter.package_name }} serve` on `port` (and `arguments`), its log on
    the returned process's stdout."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "{{ cookiecutter.package_name }}", "serve", "--host", "127.0.0.1"),
        *("--port", str(port), *arguments),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=environment,
    )


async def stop(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM, then the process's whole output once it has exited."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    return await exited(process)


async def exited(process: asyncio.subprocess.Process) -> bytes:
    """The process's whole output once it has exited (killed if it does not within the
    deadline). A second SIGTERM would make uvicorn skip its graceful shutdown, so none is sent."""
    try:
        output, _ = await asyncio.wait_for(process.communicate(), SHUTDOWN_DEADLINE_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return output


@contextlib.contextmanager
def running_server(environment: dict[str, str]) -> Iterator[str]:
    """One `serve` process on 127.0.0.1 until the block ends, for synchronous tests (the
    contract tests); yields its URL."""
    port = free_port()
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *serve],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
        while True:
            try:
                httpx.get(f"{url}/health/ready").raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_DEADLINE_SECONDS)


@contextlib.asynccontextmanager
async def serving(
    database_url: str, *, count: int, **settings: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """`count` service processes on one database (and whatever else `settings` name), each
    with a client; all of them ready before the block starts."""
    environment = serve_environment(database_url, **settings)
    ports = [free_port() for _ in range(count)]
    processes = [await start_serve(port, environment) for port in ports]
    try:
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
                )
                for port in ports
            ]
            await asyncio.gather(*(wait_until_ready(client) for client in clients))
            yield clients
    finally:
        await asyncio.gather(*(stop(process) for process in processes))


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A real redis-server on 127.0.0.1 with nothing persisted; yields its URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed executable and arguments
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int) -> None:
    for _ in range(REDIS_START_DEADLINE_SECONDS * 20):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not listen on port {port}")
