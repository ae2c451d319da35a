"""The job benchmark's helpers, run with the *baked project's* interpreter (bench/jobs.py
starts them): two tasks to measure, a worker that runs them too, and an app whose job queue
drops what it is given, to price the deferral itself.

    python job_tools.py setup            creates the table the row-writing task inserts into
    python job_tools.py defer KIND N     defers N jobs of KIND (noop or write_row), one commit
    python job_tools.py timing KIND      prints N and the seconds from the first start to the
                                         last success of KIND's jobs, as JSON
    python job_tools.py reset            deletes the benchmark's jobs
    python job_tools.py owner            prints the benchmark user's ID, as JSON
    python job_tools.py worker ARGS...   runs `python -m my_service worker ARGS...` with the
                                         benchmark's tasks registered

`uvicorn job_tools:app_without_deferral --factory` serves the project with deferral dropped,
and `job_tools:app_with_deferral` the same app as it is, started the same way.
"""

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from my_service.cli import main as cli_main
from my_service.core.config import get_settings
from my_service.core.db import create_engine, create_sessionmaker, unit_of_work
from my_service.core.jobs import TransactionalJobQueue, task, units_of_work
from my_service.main import create_app
from my_service.users.models import User
from procrastinate import JobContext
from procrastinate.tasks import Task
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession


@task(name="bench.noop")
async def noop(_context: JobContext, *, n: int) -> None:
    """The cost of the queue itself: fetch, run nothing, record success."""


@task(name="bench.write_row")
async def write_row(context: JobContext, *, n: int) -> None:
    """A job that does what most do: one unit of work, one insert."""
    async with units_of_work(context)() as db:
        await db.execute(text("INSERT INTO bench_rows (n) VALUES (:n)"), {"n": n})


TASKS: dict[str, Task[Any, Any, Any]] = {"noop": noop, "write_row": write_row}


async def _dropped(*_args: object, **_kwargs: object) -> None:
    """Defers nothing."""


def app_with_deferral() -> FastAPI:
    return create_app()


def app_without_deferral() -> FastAPI:
    """The same app, but the queue the routes get drops every job. Patched on the class rather
    than through `dependency_overrides`: FastAPI resolves an overridden dependency again on
    every request, which costs more than the deferral being priced."""
    TransactionalJobQueue.defer = _dropped  # type: ignore[method-assign,assignment]
    return create_app()


async def in_transaction(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    settings = get_settings()
    engine = create_engine(settings, settings.DATABASE_URL or "")
    try:
        async with unit_of_work(create_sessionmaker(engine)) as db:
            return await work(db)
    finally:
        await engine.dispose()


async def defer(db: AsyncSession, kind: str, count: int) -> int:
    jobs = TransactionalJobQueue(db)
    for n in range(count):
        await jobs.defer(TASKS[kind], n=n)
    return count


async def timing(db: AsyncSession, kind: str) -> dict[str, float]:
    row = (
        await db.execute(
            text(
                "SELECT count(DISTINCT job.id) FILTER (WHERE event.type = 'succeeded'),"
                " extract(epoch FROM max(event.at) FILTER (WHERE event.type = 'succeeded')"
                " - min(event.at) FILTER (WHERE event.type = 'started'))"
                " FROM procrastinate_jobs job JOIN procrastinate_events event"
                " ON event.job_id = job.id WHERE job.task_name = :name"
            ),
            {"name": TASKS[kind].name},
        )
    ).one()
    return {"succeeded": row[0], "seconds": float(row[1] or 0)}


async def owner(db: AsyncSession) -> str:
    found = await db.scalar(select(User.id).where(User.email == "bench@example.com"))
    return str(uuid.UUID(str(found)))


async def reset(db: AsyncSession) -> bool:
    await db.execute(text("DELETE FROM procrastinate_jobs WHERE task_name LIKE 'bench.%'"))
    return True


async def setup(db: AsyncSession) -> bool:
    await db.execute(text("CREATE TABLE IF NOT EXISTS bench_rows (n integer NOT NULL)"))
    return True


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "worker":
        cli_main(["worker", *argv[1:]])
        return
    work: Callable[[AsyncSession], Awaitable[Any]]
    if command == "setup":
        work = setup
    elif command == "defer":
        work = lambda db: defer(db, argv[1], int(argv[2]))  # noqa: E731
    elif command == "timing":
        work = lambda db: timing(db, argv[1])  # noqa: E731
    elif command == "owner":
        work = owner
    elif command == "reset":
        work = reset
    else:
        raise SystemExit(f"unknown command {command}")
    sys.stdout.write(json.dumps(asyncio.run(in_transaction(work))) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
