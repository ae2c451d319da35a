"""The command line of the job queue: `worker` runs one, `jobs` lets an operator look at the
failed jobs and queue them again.

    python -m {{ cookiecutter.package_name }} worker [--queue NAME]... [--concurrency N]
    python -m {{ cookiecutter.package_name }} jobs list --failed [--limit N]
    python -m {{ cookiecutter.package_name }} jobs retry ID
"""

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import get_args

import watchfiles
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import in_one_transaction, resolve_database_url
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.worker import service as worker_service
from {{ cookiecutter.package_name }}.worker.errors import JobCommandError
from {{ cookiecutter.package_name }}.worker.process import WorkerOptions, run_worker
from {{ cookiecutter.package_name }}.worker.repository import JobRecord, JobStatus

PACKAGE_DIR = Path(__file__).parents[1]


def _worker(args: argparse.Namespace) -> None:
    try:
        options = WorkerOptions(
            queues=tuple(args.queue) if args.queue else None,
            concurrency=args.concurrency,
            name=args.name,
            status_host=args.status_host,
            status_port=args.status_port or None,
            shutdown_timeout=args.shutdown_timeout,
            stalled_after=args.stalled_after,
        )
    except ValueError as exc:
        raise SystemExit(f"worker: {exc}") from None
    if args.reload:
        # Development: a fresh worker process whenever the code changes. It gets SIGINT
        # first, so its running jobs finish or are queued again, as on any stop.
        settings = get_settings()
        configure_logging(settings.LOG_LEVEL, settings.log_format)
        # Ctrl-C reaches the worker process too, which stops by itself; a second signal
        # while waiting for it (from `dev`, stopping everything) is no error.
        with contextlib.suppress(KeyboardInterrupt):
            watchfiles.run_process(PACKAGE_DIR, target=_work, args=(options,))
        return
    _work(options)


def _work(options: WorkerOptions) -> None:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.log_format)
    run_worker(settings, resolve_database_url(settings), options)


def _describe(job: JobRecord) -> str:
    when = job.last_event_at.isoformat(timespec="seconds") if job.last_event_at else "-"
    return (
        f"{job.id}\t{job.task_name}\t{job.queue}\tattempts={job.attempts}\t{when}\t"
        f"{json.dumps(job.args, sort_keys=True)}\n"
    )


def _list(args: argparse.Namespace) -> None:
    async def listed(db: AsyncSession) -> list[JobRecord]:
        return await worker_service.list_jobs(db, status=args.status, limit=args.limit)

    jobs = in_one_transaction(get_settings(), listed)
    sys.stdout.write("".join(_describe(job) for job in jobs))
    if not jobs:
        sys.stderr.write(f"No {args.status} jobs\n")


def _retry(args: argparse.Namespace) -> None:
    async def retry(db: AsyncSession) -> None:
        await worker_service.retry_failed(db, job_id=args.id)

    try:
        in_one_transaction(get_settings(), retry)
    except JobCommandError as exc:
        raise SystemExit(f"jobs retry: {exc}") from None
    sys.stdout.write(f"Queued job {args.id} to run again\n")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    worker = commands.add_parser("worker", help="run background jobs until SIGTERM")
    worker.add_argument(
        "--queue", action="append", help="a queue to take jobs from (repeatable; default: all)"
    )
    worker.add_argument("--concurrency", type=_positive, default=4, help="jobs at once (4)")
    worker.add_argument("--name", help="the worker's name in logs and the job table")
    worker.add_argument("--status-host", default="0.0.0.0")  # noqa: S104 - probed from outside
    worker.add_argument(
        "--status-port",
        type=int,
        default=9100,
        help="port for /metrics and the /health/live, /health/ready probes (0: none)",
    )
    worker.add_argument(
        "--shutdown-timeout",
        type=float,
        default=20.0,
        help="seconds running jobs get to finish on SIGTERM before they are queued again (20)",
    )
    worker.add_argument(
        "--stalled-after",
        type=float,
        default=60.0,
        help="seconds of silence after which a worker's running jobs are queued again (60)",
    )
    worker.add_argument(
        "--reload", action="store_true", help="restart when the code changes (development)"
    )
    worker.set_defaults(handler=_worker)

    jobs = commands.add_parser("jobs", help="list and retry failed background jobs")
    actions = jobs.add_subparsers(dest="action", required=True, metavar="action")
    listing = actions.add_parser("list", help="jobs in one state (failed ones), newest first")
    state = listing.add_mutually_exclusive_group()
    state.add_argument("--failed", dest="status", action="store_const", const="failed")
    state.add_argument("--status", choices=get_args(JobStatus))
    listing.add_argument("--limit", type=_positive, default=50)
    listing.set_defaults(status="failed")
    listing.set_defaults(handler=_list)
    retry = actions.add_parser("retry", help="queue a failed job to run again now")
    retry.add_argument("id", type=int)
    retry.set_defaults(handler=_retry)
