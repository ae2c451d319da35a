"""A real worker process (the `worker` command) on a real database: jobs of committed
transactions run and those of rolled-back ones never exist; SIGTERM lets a running job finish
or queues it again; a worker killed mid-job has its job run by another; a database restart
loses nothing; bad arguments fail one job, not the worker.

The jobs are the refresh-token purge, which every project has. One is held "running" by
locking its table: its DELETE waits.
"""

import asyncio
import contextlib
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, status
from httpx import ASGITransport, AsyncClient
from procrastinate.tasks import Task
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from {{ cookiecutter.package_name }}.auth.jobs import purge_expired_refresh_tokens
from {{ cookiecutter.package_name }}.core.db import create_sessionmaker, unit_of_work
from {{ cookiecutter.package_name }}.core.embedded_db import embedded_server
from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.core.jobs import TransactionalJobQueue
from {{ cookiecutter.package_name }}.core.mail import Mail, SmtpMailer
from {{ cookiecutter.package_name }}.core.migrations import upgrade
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.web.dependencies import Jobs

from tests.servers import exited, serve_environment, wait_until_ready
from tests.support import free_port, mail_settings, make_settings
from tests.worker.processes import (
    WorkerProcess,
    eventually,
    in_state,
    job_state,
    ready,
    worker,
)

pytestmark = pytest.mark.timeout(120)

# A scheduled task, deferred by hand here with the tick the schedule would give it.
PURGE: Task[Any, Any, ...] = purge_expired_refresh_tokens


@pytest.fixture
async def engine(committing_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committing_database_url)
    yield engine
    await engine.dispose()


async def defer_purge(engine: AsyncEngine) -> int:
    """A committed job; returns its ID. Found by its task and tick, not as the newest job: a
    starting worker defers the scheduled ticks it finds due, and one may be newer."""
    timestamp = int(time.time())
    async with unit_of_work(create_sessionmaker(engine)) as db:
        await TransactionalJobQueue(db).defer(PURGE, timestamp=timestamp)
        job_id: int = await db.scalar(
            text(
                "SELECT max(id) FROM procrastinate_jobs"
                " WHERE task_name = :task AND args ->> 'timestamp' = :timestamp"
            ),
            {"task": PURGE.name, "timestamp": str(timestamp)},
        )
    return job_id


Release = Callable[[], Awaitable[None]]


@asynccontextmanager
async def purges_held(engine: AsyncEngine) -> AsyncIterator[Release]:
    """Until the block ends or `release()` is awaited, a purge job waits on its DELETE."""
    connection = await engine.connect()
    await connection.execute(text("LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE"))

    async def release() -> None:
        if not connection.closed:
            # The server may be gone (the restart test): then so is the lock.
            with contextlib.suppress(DBAPIError):
                await connection.rollback()
            with contextlib.suppress(DBAPIError):
                await connection.close()

    try:
        yield release
    finally:
        await release()


async def job_starts(engine: AsyncEngine, job_id: int) -> int:
    async with engine.connect() as connection:
        starts: int = await connection.scalar(
            text(
                "SELECT count(*) FROM procrastinate_events WHERE job_id = :id AND type = 'started'"
            ),
            {"id": job_id},
        )
    return starts


probe = APIRouter()
# The tick each probe's job names: the log and the job table tell them apart by it.
COMMITTED_TICK, ROLLED_BACK_TICK = 1_000_001, 1_000_002


@probe.post("/_probe/defer", status_code=status.HTTP_204_NO_CONTENT)
async def defer(jobs: Jobs) -> None:
    await jobs.defer(PURGE, timestamp=COMMITTED_TICK)


@probe.post("/_probe/defer-then-fail", status_code=status.HTTP_204_NO_CONTENT)
async def defer_then_fail(jobs: Jobs) -> None:
    await jobs.defer(PURGE, timestamp=ROLLED_BACK_TICK)
    raise NotFoundError("Failing after the job was deferred")


async def jobs_of_tick(engine: AsyncEngine, tick: int) -> list[tuple[int, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, status::text FROM procrastinate_jobs"
                " WHERE (args->>'timestamp')::bigint = :tick"
            ),
            {"tick": tick},
        )
    return [(row[0], row[1]) for row in rows]


async def test_a_committed_requests_job_runs_and_a_failed_requests_job_never_exists(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    app = create_app(make_settings(committing_database_url))
    app.include_router(probe)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
        worker(committing_database_url, tmp_path) as running,
    ):
        # The failed request first: had its job been kept, it would run before the other.
        failed = await client.post("/_probe/defer-then-fail")
        committed = await client.post("/_probe/defer")

        async def committed_job_done() -> bool:
            return [status for _, status in await jobs_of_tick(engine, COMMITTED_TICK)] == [
                "succeeded"
            ]

        await eventually(committed_job_done, "the committed request's job runs")
        rolled_back = await jobs_of_tick(engine, ROLLED_BACK_TICK)
    assert (failed.status_code, committed.status_code) == (404, 204)
    assert rolled_back == []
    [(job_id, _)] = await jobs_of_tick(engine, COMMITTED_TICK)
    # Every line the worker wrote about the job names it: procrastinate's and the task's own.
    # (The worker also runs the schedule's own purge when it starts: other job IDs.)
    about_it = [line for line in running.lines() if line.get("job_id") == job_id]
    assert {line["task_name"] for line in about_it} == {"auth.purge_expired_refresh_tokens"}
    messages = [line["message"] for line in about_it]
    assert "Deleted expired refresh tokens" in messages
    assert len(messages) >= 3  # started, the task's own line, the outcome


async def test_sigterm_lets_the_running_job_finish(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    patient = ("--shutdown-timeout", "20", "--stalled-after", "30")
    async with worker(committing_database_url, tmp_path, *patient) as running:
        async with purges_held(engine):
            job_id = await defer_purge(engine)
            await eventually(in_state(engine, job_id, "doing"), "the job starts")
            running.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            assert running.process.returncode is None  # still finishing the job
        await exited(running.process)
    assert running.process.returncode == 0
    assert await job_state(engine, job_id) == ("succeeded", 1)  # one attempt, finished


async def test_sigterm_queues_again_a_job_that_outlasts_the_shutdown_timeout(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with purges_held(engine):
        async with worker(committing_database_url, tmp_path) as first:
            job_id = await defer_purge(engine)
            await eventually(in_state(engine, job_id, "doing"), "the job starts")
            first.process.send_signal(signal.SIGTERM)
            await exited(first.process)
        assert first.process.returncode == 0
        assert await job_state(engine, job_id) == ("todo", 1)
    async with worker(committing_database_url, tmp_path):
        await eventually(in_state(engine, job_id, "succeeded"), "another worker runs it")


async def test_a_job_of_a_killed_worker_is_run_by_another_and_only_once_at_a_time(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with purges_held(engine) as release:
        async with worker(committing_database_url, tmp_path) as killed:
            job_id = await defer_purge(engine)
            await eventually(in_state(engine, job_id, "doing"), "the job starts")
            killed.process.kill()
            await killed.process.wait()
        async with worker(committing_database_url, tmp_path) as survivor:
            # Queued again once the dead worker's heartbeat is 2 s old, then started again.
            await eventually(lambda: has_started(engine, job_id, 2), "the survivor takes it")
            assert await job_state(engine, job_id) == ("doing", 1)
            await release()
            await eventually(in_state(engine, job_id, "succeeded"), "the job finishes")
    assert await job_starts(engine, job_id) == 2
    [recovered] = [line["job_ids"] for line in survivor.lines() if line.get("job_ids")]
    assert isinstance(recovered, list)
    assert job_id in recovered


async def has_started(engine: AsyncEngine, job_id: int, times: int) -> bool:
    return await job_starts(engine, job_id) >= times


async def test_arguments_that_do_not_validate_fail_that_job_and_not_the_worker(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.begin() as connection:
        bad_id = await connection.scalar(
            text(
                "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('default',"
                " 'auth.purge_expired_refresh_tokens', 0, NULL, NULL,"
                ' \'{"timestamp": "yesterday"}\'::jsonb, NULL'
                ")::procrastinate_job_to_defer_v1]))"
            )
        )
    async with worker(committing_database_url, tmp_path) as running:
        await eventually(in_state(engine, bad_id, "failed"), "the bad job fails")
        good_id = await defer_purge(engine)
        await eventually(in_state(engine, good_id, "succeeded"), "the next job runs")
    assert await job_state(engine, bad_id) == ("failed", 1)  # one attempt, never retried
    errors = [
        line for line in running.lines() if line["level"] == "ERROR" and line["job_id"] == bad_id
    ]
    assert len(errors) == 1
    assert "validation error" in str(errors[0]["exc_info"])
    assert "timestamp" in str(errors[0]["exc_info"])


def sample(name: str, **labels: str) -> str:
    """A sample's name as Prometheus writes it: `name{label="value",...}`, labels sorted."""
    pairs = ",".join(f'{label}="{value}"' for label, value in sorted(labels.items()))
    return name + "{" + pairs + "}" if labels else name


async def test_the_status_port_serves_metrics_and_probes(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    task = "auth.purge_expired_refresh_tokens"
    counters = [
        sample("worker_jobs_started_total", task=task),
        sample("worker_jobs_finished_total", outcome="succeeded", task=task),
        sample("worker_job_duration_seconds_count", task=task),
    ]
    async with worker(committing_database_url, tmp_path) as running:
        job_id = await defer_purge(engine)
        await eventually(in_state(engine, job_id, "succeeded"), "the job runs")
        samples: dict[str, str] = {}

        async def every_finished_job_counted() -> bool:
            # The worker may also run the schedule's purges when it starts, at any moment.
            nonlocal samples
            samples = scraped(await running.status("/metrics"))
            async with engine.connect() as connection:
                finished, unfinished = (
                    await connection.execute(
                        text(
                            "SELECT count(*) FILTER"
                            " (WHERE status = 'succeeded' AND task_name = :task),"
                            " count(*) FILTER (WHERE status IN ('todo', 'doing'))"
                            " FROM procrastinate_jobs"
                        ),
                        {"task": task},
                    )
                ).one()
            return unfinished == 0 and all(
                float(samples.get(counter, "0")) == finished for counter in counters
            )

        await eventually(every_finished_job_counted, "the metrics count the jobs that ran")
        metrics = await running.status("/metrics")
        live, missing = await running.status("/health/live"), await running.status("/nope")
        async with httpx.AsyncClient() as client:
            posted = await client.post(f"http://127.0.0.1:{running.port}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert samples[sample("worker_database_connected")] == "1.0"
    assert samples[sample("worker_queue_depth", queue="default")] == "0.0"
    assert (live.status_code, missing.status_code, posted.status_code) == (200, 404, 405)


def scraped(metrics: httpx.Response) -> dict[str, str]:
    lines = metrics.text.splitlines()
    return dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))


async def test_the_worker_rides_out_a_database_restart_and_loses_no_job(
    tmp_path: Path, private_pgdata: Path
) -> None:
    # A private server: stopping the shared one would break every other test.
    data = private_pgdata
    server = embedded_server(data)
    url = server.get_uri(driver="asyncpg")
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    try:
        async with worker(url, tmp_path) as running:
            before = await defer_purge(engine)
            await eventually(in_state(engine, before, "succeeded"), "a job runs")
            async with purges_held(engine):
                during = await defer_purge(engine)
                await eventually(in_state(engine, during, "doing"), "a job starts")
                server.cleanup()  # stops the server while the job runs
                await eventually(lambda: not_ready(running), "the worker notices")
            await engine.dispose()
            server = embedded_server(data)
            await eventually(lambda: ready(running), "the worker reconnects")
            after = await defer_purge(engine)
            for job_id in (during, after):
                await eventually(in_state(engine, job_id, "succeeded"), f"job {job_id} runs")
            assert running.process.returncode is None
    finally:
        await engine.dispose()
        server.cleanup()
    messages = [line["message"] for line in running.lines()]
    assert "Job worker lost the database; reconnecting" in messages


async def _printed(log: Path, text: str) -> bool:
    return text in await asyncio.to_thread(log.read_text)


async def not_ready(worker: WorkerProcess) -> bool:
    return not await ready(worker)


async def test_dev_runs_the_api_and_a_worker_and_one_signal_stops_both(
    committing_database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "dev.log"
    with log.open("wb") as output:
        dev = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "{{ cookiecutter.package_name }}", "dev"),
            *("--port", str(port), "--mail-port", "0"),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            env=serve_environment(committing_database_url, LOG_FORMAT="console"),
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_until_ready(client)
        job_id = await defer_purge(engine)
        await eventually(in_state(engine, job_id, "succeeded"), "the dev worker runs a job")
        # The mail catcher beside them prints what it receives, links and all.
        [catching] = re.findall(r"Catching mail on 127\.0\.0\.1:(\d+)", log.read_text())
        mail = Mail(
            to="ann@example.org",
            subject="Verify",
            text="Open http://localhost:3000/verify-email?token=abc to go on.\n",
            html="<p>Open the link.</p>",
        )
        await SmtpMailer(mail_settings(int(catching))).send(mail)
        printed = (
            "Mail to ann@example.org: Verify\n  http://localhost:3000/verify-email?token=abc\n"
        )
        await eventually(lambda: _printed(log, printed), "the caught mail is printed")
    finally:
        dev.send_signal(signal.SIGTERM)
        await exited(dev)
    async with engine.connect() as connection:
        workers = await connection.scalar(text("SELECT count(*) FROM procrastinate_workers"))
    assert workers == 0  # the worker stopped too, and said so to the job table
    lines = log.read_text().splitlines()
    # Console lines for a person: time, level, logger, the job, the message.
    assert any(
        re.fullmatch(
            rf"\d\d:\d\d:\d\d\.\d\d\d INFO  procrastinate\.worker "
            rf"\[job {job_id} auth\.purge_expired_refresh_tokens\] Job .*",
            line,
        )
        for line in lines
    ), lines
