"""The worker's status port and job middleware, in this process: the answers to each probe,
to what is not a probe, and the counting of each outcome."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.worker import service as worker_service
from {{ cookiecutter.package_name }}.worker.status import WorkerStatus, observe_job

from tests.support import job_context


@pytest.fixture
async def status(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[tuple[WorkerStatus, str]]:
    units = UnitsOfWork(sessionmaker)

    async def depths() -> dict[str, int]:
        async with units() as db:
            return await worker_service.queue_depths(db)

    worker_status = WorkerStatus(measure_queues=depths)
    server = await worker_status.serve("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield worker_status, f"http://127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


async def test_readiness_follows_the_database_connection_and_liveness_does_not(
    status: tuple[WorkerStatus, str],
) -> None:
    worker_status, url = status
    async with httpx.AsyncClient(base_url=url) as client:
        reconnecting = await client.get("/health/ready")
        worker_status.set_connected(True)
        ready, live = await client.get("/health/ready"), await client.get("/health/live")
        metrics = await client.get("/metrics?from=prometheus")
        missing, posted = await client.get("/nope"), await client.post("/health/live")
    assert (reconnecting.status_code, reconnecting.json()) == (503, {"status": "reconnecting"})
    assert (ready.status_code, live.status_code) == (200, 200)
    assert metrics.status_code == 200
    assert "worker_database_connected 1.0" in metrics.text
    assert (missing.status_code, posted.status_code) == (404, 405)


async def test_what_is_not_a_probe_is_closed_without_an_answer(
    status: tuple[WorkerStatus, str],
) -> None:
    _, url = status
    port = int(url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /" + b"x" * 10_000 + b" HTTP/1.1\r\n\r\n")  # longer than any probe
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert answer == b""


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_every_job_is_counted_started_and_finished_by_outcome() -> None:
    async def succeed() -> None:
        return None

    async def fail() -> None:
        raise RuntimeError("down")

    # An unknown task has no retry strategy: its failure is final.
    before = {
        "started": counted("worker_jobs_started_total", task="tests.fails"),
        "failed": counted("worker_jobs_finished_total", task="tests.fails", outcome="failed"),
        "ok": counted("worker_jobs_finished_total", task="tests.works", outcome="succeeded"),
    }
    units = UnitsOfWork(async_sessionmaker())
    with pytest.raises(RuntimeError):
        await observe_job(fail, job_context(units, task_name="tests.fails"), None)
    await observe_job(succeed, job_context(units, task_name="tests.works"), None)
    assert counted("worker_jobs_started_total", task="tests.fails") == before["started"] + 1
    assert (
        counted("worker_jobs_finished_total", task="tests.fails", outcome="failed")
        == before["failed"] + 1
    )
    assert (
        counted("worker_jobs_finished_total", task="tests.works", outcome="succeeded")
        == before["ok"] + 1
    )
