"""A real `worker` process for tests, and what they wait for: see test_process.py."""

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.servers import exited, serve_environment
from tests.support import free_port

DEADLINE_SECONDS = 30


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")
        await asyncio.sleep(0.05)


class WorkerProcess:
    """One `worker` process, its log in a file (a pipe nobody reads could fill and block it)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, port: int) -> None:
        self.process, self.log, self.port = process, log, port

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    async def status(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as client:
            return await client.get(path)


@asynccontextmanager
async def worker(
    database_url: str, log_dir: Path, *arguments: str, **settings: str
) -> AsyncIterator[WorkerProcess]:
    """A worker (with these settings in its environment) until the block ends (then SIGTERM,
    or SIGKILL if it hangs)."""
    port = free_port()
    log = log_dir / f"worker-{port}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "{{ cookiecutter.package_name }}", "worker"),
            *("--status-host", "127.0.0.1", "--status-port", str(port)),
            *("--stalled-after", "2", "--shutdown-timeout", "1"),
            *arguments,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            env=serve_environment(database_url, **settings),
        )
    running = WorkerProcess(process, log, port)
    try:
        await eventually(lambda: ready(running), "the worker is ready")
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await exited(process)


async def ready(worker: WorkerProcess) -> bool:
    try:
        return (await worker.status("/health/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def job_state(engine: AsyncEngine, job_id: int) -> tuple[str, int] | None:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT status::text, attempts FROM procrastinate_jobs WHERE id = :id"),
                {"id": job_id},
            )
        ).one_or_none()
    return None if row is None else (row[0], row[1])


def in_state(engine: AsyncEngine, job_id: int, wanted: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        state = await job_state(engine, job_id)
        return state is not None and state[0] == wanted

    return check
