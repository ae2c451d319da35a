"""Declaring, retrying and deferring jobs (core/jobs.py), without a worker: the deferral
writes its row in the caller's transaction, and nowhere else."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from procrastinate import JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.jobs import (
    CappedBackoff,
    PermanentJobError,
    TransactionalJobQueue,
    job_settings,
    mailer,
    task,
    units_of_work,
)
from {{ cookiecutter.package_name }}.core.mail import SmtpMailer

from tests.support import job_context, make_settings


def failed_job(attempts: int) -> Job:
    return Job(
        id=1, queue="default", lock=None, queueing_lock=None, task_name="t", attempts=attempts
    )


def retry_in_seconds(strategy: CappedBackoff, error: BaseException, attempts: int) -> float | None:
    decision = strategy.get_retry_decision(exception=error, job=failed_job(attempts))
    if decision is None:
        return None
    assert decision.retry_at is not None
    return (decision.retry_at - datetime.now(UTC)).total_seconds()


def test_the_delay_doubles_with_each_attempt_up_to_the_cap() -> None:
    strategy = CappedBackoff(max_attempts=20, base_seconds=2, cap_seconds=60)
    for attempts, ceiling in [(0, 2), (1, 4), (2, 8), (4, 32), (5, 60), (12, 60)]:
        delays = [strategy.delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), attempts
    # Jittered: many jobs that failed together do not come back together.
    assert len({strategy.delay(3) for _ in range(20)}) > 1


def test_a_job_is_retried_until_its_last_attempt_then_left_failed() -> None:
    strategy = CappedBackoff(max_attempts=3, base_seconds=10, cap_seconds=100)
    first = retry_in_seconds(strategy, RuntimeError("down"), attempts=0)
    second = retry_in_seconds(strategy, RuntimeError("down"), attempts=1)
    assert first is not None and 4 < first <= 10
    assert second is not None and 9 < second <= 20
    assert retry_in_seconds(strategy, RuntimeError("down"), attempts=2) is None


@task(name="tests.remember")
async def remember(context: JobContext, *, item_id: uuid.UUID, at: datetime) -> None:
    """A task of the tests: keeps what it was given, as the worker validated it."""
    context.additional_context.setdefault("remembered", []).append((item_id, at))


async def test_a_tasks_arguments_are_validated_into_their_types() -> None:
    context = job_context(UnitsOfWork(async_sessionmaker()))
    item_id = uuid.uuid4()
    # As they come out of the job table's JSON.
    await remember(context, item_id=str(item_id), at="2030-01-01T00:00:00Z")  # type: ignore[arg-type]
    assert context.additional_context["remembered"] == [(item_id, datetime(2030, 1, 1, tzinfo=UTC))]


async def test_invalid_arguments_fail_before_the_task_runs_and_are_never_retried() -> None:
    context = job_context(UnitsOfWork(async_sessionmaker()))
    with pytest.raises(ValidationError, match="item_id") as invalid:
        await remember(context, item_id="not an id", at=datetime.now(UTC))  # type: ignore[arg-type]
    assert "remembered" not in context.additional_context
    assert retry_in_seconds(CappedBackoff(), invalid.value, attempts=0) is None


@pytest.mark.parametrize("interruption", [JobAborted(), asyncio.CancelledError()])
def test_a_job_interrupted_by_a_shutdown_is_retried_at_once(interruption: BaseException) -> None:
    delay = retry_in_seconds(CappedBackoff(base_seconds=60), interruption, attempts=0)
    assert delay is not None and delay <= 0


def test_a_task_run_outside_the_worker_says_so() -> None:
    context = job_context(UnitsOfWork(async_sessionmaker()))
    context.additional_context.clear()
    for needs in (units_of_work, job_settings, mailer):
        with pytest.raises(TypeError, match="runs in the worker"):
            needs(context)


def test_a_task_gets_the_workers_settings_and_mailer() -> None:
    settings = make_settings(None, FRONTEND_URL="https://app.example.com")
    smtp = SmtpMailer(settings)
    context = job_context(UnitsOfWork(async_sessionmaker()), settings=settings, mailer=smtp)
    assert job_settings(context) is settings
    assert mailer(context) is smtp


def test_a_permanent_failure_is_never_retried() -> None:
    assert retry_in_seconds(CappedBackoff(), PermanentJobError("refused"), attempts=0) is None


async def jobs_named(db: AsyncSession, task_name: str) -> list[dict[str, object]]:
    rows = await db.execute(
        text("SELECT args, status, queue_name FROM procrastinate_jobs WHERE task_name = :name"),
        {"name": task_name},
    )
    return [dict(row._mapping) for row in rows]


async def test_a_deferred_job_is_a_row_of_the_callers_transaction(db: AsyncSession) -> None:
    item_id, at = uuid.uuid4(), datetime(2030, 1, 1, tzinfo=UTC)
    async with db.begin_nested() as deferring:
        await TransactionalJobQueue(db).defer(remember, item_id=item_id, at=at)
        inside = await jobs_named(db, remember.name)
        await deferring.rollback()
    after_rollback = await jobs_named(db, remember.name)
    # UUIDs and dates travel as strings, turned back into them when the job runs.
    assert inside == [
        {
            "args": {"item_id": str(item_id), "at": "2030-01-01T00:00:00Z"},
            "status": "todo",
            "queue_name": "default",
        }
    ]
    assert after_rollback == []


async def test_job_arguments_are_keyword_only(db: AsyncSession) -> None:
    with pytest.raises(TypeError, match="keyword-only"):
        await TransactionalJobQueue(db).defer(remember, uuid.uuid4())  # type: ignore[call-arg]
    assert await jobs_named(db, remember.name) == []


def test_the_cap_bounds_even_a_huge_attempt_count() -> None:
    strategy = CappedBackoff(max_attempts=10_000, base_seconds=1, cap_seconds=30)
    assert strategy.delay(5000) <= 30
    assert timedelta(seconds=strategy.delay(0)) <= timedelta(seconds=1)
