"""What a worker tells the outside: Prometheus metrics about its jobs, and the probes a
Kubernetes kubelet calls, served over HTTP on a port of the worker's own.

    GET /metrics       Prometheus text format
    GET /health/live   200 while the worker's event loop answers (restart it otherwise)
    GET /health/ready  200 while it is connected to the database, 503 while it reconnects
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from procrastinate import JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from {{ cookiecutter.package_name }}.core.logging import bind_job, reset_job

logger = logging.getLogger(__name__)

JOBS_STARTED = Counter("worker_jobs_started_total", "Jobs this worker started", ["task"])
JOBS_FINISHED = Counter(
    "worker_jobs_finished_total",
    "Jobs this worker finished, by outcome: succeeded, retried (will run again), failed "
    "(will not), aborted",
    ["task", "outcome"],
)
JOB_DURATION = Histogram(
    "worker_job_duration_seconds",
    "How long a job ran, whatever its outcome",
    ["task"],
    buckets=(0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 60, 300, 900),
)
QUEUE_DEPTH = Gauge("worker_queue_depth", "Jobs waiting in each queue, due or not", ["queue"])
DATABASE_CONNECTED = Gauge("worker_database_connected", "1 while the worker has its database")

# A request to the status port is a line and a few headers; anything longer is not a probe.
_MAX_REQUEST_BYTES: Final = 8192
_READ_TIMEOUT_SECONDS: Final = 5.0


def _outcome(context: JobContext, error: BaseException) -> str:
    if isinstance(error, JobAborted) and context.abort_reason() != AbortReason.SHUTDOWN:
        return "aborted"  # an operator asked for it: never retried
    # A job of a task this worker does not know has none (context.task would raise).
    task = context.app.tasks.get(context.job.task_name)
    strategy = task.retry_strategy if task is not None else None
    if strategy is not None and strategy.get_retry_decision(exception=error, job=context.job):
        return "retried"
    return "failed"


async def observe_job(
    call_next: Callable[[], Awaitable[Any]], context: JobContext, _worker: object
) -> Any:
    """Worker middleware around every job: names the job in each log line written while it
    runs, and counts and times it."""
    task_name = context.job.task_name
    token = bind_job(context.job.id, task_name)
    JOBS_STARTED.labels(task_name).inc()
    started = time.perf_counter()
    outcome = "failed"
    try:
        result = await call_next()
    except BaseException as error:
        outcome = _outcome(context, error)
        raise
    else:
        outcome = "succeeded"
        return result
    finally:
        JOBS_FINISHED.labels(task_name, outcome).inc()
        JOB_DURATION.labels(task_name).observe(time.perf_counter() - started)
        reset_job(token)


@dataclass
class WorkerStatus:
    """The worker's state as the probes see it; `measure_queues` refreshes the queue depths
    before each scrape."""

    measure_queues: Callable[[], Awaitable[dict[str, int]]]
    connected: bool = False
    _queues_seen: set[str] = field(default_factory=set)

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        DATABASE_CONNECTED.set(1 if connected else 0)

    async def _metrics(self) -> bytes:
        if self.connected:
            try:
                depths = await asyncio.wait_for(self.measure_queues(), _READ_TIMEOUT_SECONDS)
            except Exception:
                logger.warning("Could not measure the queues for a scrape", exc_info=True)
            else:
                # A queue that emptied reads 0 rather than keeping its last depth.
                for queue in self._queues_seen - depths.keys():
                    QUEUE_DEPTH.labels(queue).set(0)
                for queue, depth in depths.items():
                    QUEUE_DEPTH.labels(queue).set(depth)
                self._queues_seen |= depths.keys()
        return generate_latest()

    async def _respond(self, path: str) -> tuple[HTTPStatus, str, bytes]:
        if path == "/metrics":
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, await self._metrics()
        if path == "/health/live":
            return HTTPStatus.OK, "application/json", b'{"status":"ok"}'
        if path == "/health/ready":
            code = HTTPStatus.OK if self.connected else HTTPStatus.SERVICE_UNAVAILABLE
            body = json.dumps({"status": "ok" if self.connected else "reconnecting"})
            return code, "application/json", body.encode()
        return HTTPStatus.NOT_FOUND, "application/json", b'{"status":"not found"}'

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT_SECONDS):
                head = await reader.readuntil(b"\r\n\r\n")
            method, path, *_ = [*head.split(b"\r\n", 1)[0].decode("latin-1").split(" "), ""]
            if method != "GET":
                code, content_type, body = (
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "application/json",
                    b'{"status":"method not allowed"}',
                )
            else:
                code, content_type, body = await self._respond(path.split("?", 1)[0])
            writer.write(
                f"HTTP/1.1 {code.value} {code.phrase}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # not a probe: close without an answer
        except ConnectionError:
            pass  # the prober hung up
        finally:
            writer.close()

    async def serve(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self._handle, host, port, limit=_MAX_REQUEST_BYTES)
