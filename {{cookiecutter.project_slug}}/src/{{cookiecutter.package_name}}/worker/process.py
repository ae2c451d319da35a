"""The worker process: runs the jobs of the queue until SIGTERM.

    python -m {{ cookiecutter.package_name }} worker

- It reconnects when the database goes away, with a growing delay, and resumes; no job is
  lost: one it was running when the connection broke is recovered like a dead worker's.
- On SIGTERM or SIGINT it takes no new job, lets the running ones finish for up to
  `shutdown_timeout` seconds, then interrupts them; they are queued again at once, for
  another worker (or this one's successor).
- Every worker recovers the jobs of workers whose heartbeat has been silent for
  `stalled_after` seconds (a worker killed with SIGKILL, or cut off), so a job is not left
  "running" for ever; a live worker's heartbeat is far more frequent, so its jobs are never
  taken from it. A stopping worker sends none, so `stalled_after` must be longer than
  `shutdown_timeout`, and the same for every worker of a deployment.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

import psycopg
import psycopg_pool
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import ConnectorException
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork, create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.core.errors import DATABASE_UNAVAILABLE_ERRORS
from {{ cookiecutter.package_name }}.core.jobs import (
    DEFAULT_RETRY,
    MAILER,
    SETTINGS,
    UNITS_OF_WORK,
)
from {{ cookiecutter.package_name }}.core.mail import SmtpMailer
from {{ cookiecutter.package_name }}.worker import service as worker_service
from {{ cookiecutter.package_name }}.worker.registry import registered_app
from {{ cookiecutter.package_name }}.worker.status import WorkerStatus, observe_job

logger = logging.getLogger(__name__)

_RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
# Errors that mean "the database is unreachable": wait, reconnect, carry on.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectorException,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    OSError,
    *DATABASE_UNAVAILABLE_ERRORS,
)


@dataclass(frozen=True)
class WorkerOptions:
    queues: tuple[str, ...] | None = None  # None: every queue
    concurrency: int = 4
    name: str | None = None
    status_host: str = "127.0.0.1"
    status_port: int | None = None  # None: no metrics or probes
    shutdown_timeout: float = 20.0
    stalled_after: float = 60.0

    def __post_init__(self) -> None:
        # A stopping worker sends no heartbeat while its jobs finish: were it declared dead
        # meanwhile, another worker would start those jobs a second time.
        if self.stalled_after <= self.shutdown_timeout:
            raise ValueError(
                f"stalled_after ({self.stalled_after:g} s) must be longer than "
                f"shutdown_timeout ({self.shutdown_timeout:g} s)"
            )


class WorkerChoices(TypedDict, total=False):
    """The worker options procrastinate defaults when they are left out."""

    queues: Iterable[str]
    name: str


class WorkerEndedError(Exception):
    """The job worker stopped without being asked to: one of its connections broke."""


_RECONNECT_ON: tuple[type[BaseException], ...] = (*_CONNECTION_ERRORS, WorkerEndedError)


def libpq_url(database_url: str) -> str:
    """The service's SQLAlchemy URL (postgresql+asyncpg://...) as libpq takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


class Worker:
    def __init__(self, settings: Settings, database_url: str, options: WorkerOptions) -> None:
        self.options = options
        self.settings = settings
        self.mailer = SmtpMailer(settings)
        self.conninfo = libpq_url(database_url)
        self.engine = create_engine(settings, database_url)
        self.units = UnitsOfWork(create_sessionmaker(self.engine))
        self.status = WorkerStatus(measure_queues=self._queue_depths)
        self.stopping = asyncio.Event()

    async def _queue_depths(self) -> dict[str, int]:
        async with self.units() as db:
            return await worker_service.queue_depths(db)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop, signum)
        server = None
        if self.options.status_port is not None:
            server = await self.status.serve(self.options.status_host, self.options.status_port)
        recovery = asyncio.create_task(self._recover_stalled_jobs(), name="recover stalled")
        try:
            await self._supervise(registered_app())
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            if server is not None:
                server.close()
                await server.wait_closed()
            await self.engine.dispose()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
        logger.info("Job worker stopped")

    def _stop(self, signum: int) -> None:
        logger.info(
            "Job worker stopping: finishing the running jobs",
            extra={"signal": signal.Signals(signum).name},
        )
        self.stopping.set()

    async def _supervise(self, app: App) -> None:
        failures = 0
        while not self.stopping.is_set():
            connector = PsycopgConnector(
                conninfo=self.conninfo,
                min_size=1,
                max_size=self.options.concurrency + 2,
                timeout=10,
            )
            try:
                with app.replace_connector(connector):
                    async with app.open_async():
                        self.status.set_connected(True)
                        failures = 0
                        await self._work_until_stopped(app)
            except _RECONNECT_ON as error:
                self.status.set_connected(False)
                delay = _RECONNECT_DELAYS[min(failures, len(_RECONNECT_DELAYS) - 1)]
                failures += 1
                logger.warning(
                    "Job worker lost the database; reconnecting",
                    extra={"error": str(error) or type(error).__name__, "retry_in_s": delay},
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), delay)
        self.status.set_connected(False)

    async def _work_until_stopped(self, app: App) -> None:
        heartbeat = max(self.options.stalled_after / 4, 0.5)
        chosen: WorkerChoices = {}
        if self.options.queues is not None:
            chosen["queues"] = self.options.queues
        if self.options.name is not None:
            chosen["name"] = self.options.name
        worker = asyncio.create_task(
            app.run_worker_async(
                **chosen,
                concurrency=self.options.concurrency,
                shutdown_graceful_timeout=self.options.shutdown_timeout,
                install_signal_handlers=False,
                additional_context={
                    SETTINGS: self.settings,
                    UNITS_OF_WORK: self.units,
                    MAILER: self.mailer,
                },
                worker_middleware=[observe_job],
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=self.options.stalled_after,
            ),
            name="job worker",
        )
        stop = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not worker.done():
            # Cancelling is procrastinate's graceful stop: no new job, the running ones get
            # shutdown_timeout, then are interrupted and queued again (CappedBackoff).
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            return
        stop.cancel()
        worker.result()  # raises what ended it
        raise WorkerEndedError("the job worker stopped on its own")

    async def _recover_stalled_jobs(self) -> None:
        silent_for = timedelta(seconds=self.options.stalled_after)
        interval = max(self.options.stalled_after / 2, 0.5)
        while not self.stopping.is_set():
            try:
                async with self.units() as db:
                    recovered = await worker_service.recover_stalled(
                        db, silent_for=silent_for, max_attempts=DEFAULT_RETRY.max_attempts
                    )
            except _CONNECTION_ERRORS:
                recovered = None  # the supervisor reports the lost database
            except Exception:
                # Not worth stopping the jobs for: say so loudly, try again next round.
                logger.exception("Could not look for the jobs of stopped workers")
                recovered = None
            if recovered is not None and recovered.requeued:
                logger.warning(
                    "Queued again the jobs of a worker that stopped answering",
                    extra={"job_ids": recovered.requeued},
                )
            if recovered is not None and recovered.failed:
                logger.error(
                    "Failed the jobs of a worker that stopped answering: that was their last "
                    "attempt",
                    extra={"job_ids": recovered.failed},
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), interval)


def run_worker(settings: Settings, database_url: str, options: WorkerOptions) -> None:
    asyncio.run(Worker(settings, database_url, options).run())
