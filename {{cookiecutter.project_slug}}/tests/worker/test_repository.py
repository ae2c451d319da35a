"""Operating the job queue on a real database: listing and retrying failed jobs, recovering
those of dead workers, purging finished ones, measuring the queues."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from procrastinate.tasks import Task
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.jobs import purge_expired_refresh_tokens
from {{ cookiecutter.package_name }}.core.jobs import TransactionalJobQueue
from {{ cookiecutter.package_name }}.worker import service as worker_service
from {{ cookiecutter.package_name }}.worker.errors import JobNotFailedError, JobNotFoundError
from {{ cookiecutter.package_name }}.worker.repository import JobRepository

# A scheduled task, deferred by hand here with the tick the schedule would give it.
PURGE: Task[Any, Any, ...] = purge_expired_refresh_tokens


async def defer_job(db: AsyncSession, *, status: str = "todo", queue: str = "default") -> int:
    """A job, put straight into `status` as a worker would have."""
    await TransactionalJobQueue(db).defer(PURGE, timestamp=1_000_000)
    job_id: int = await db.scalar(text("SELECT max(id) FROM procrastinate_jobs"))
    await db.execute(
        text(
            "UPDATE procrastinate_jobs SET status = CAST(:status AS procrastinate_job_status),"
            " queue_name = :queue WHERE id = :id"
        ),
        {"status": status, "queue": queue, "id": job_id},
    )
    return job_id


async def status_of(db: AsyncSession, job_id: int) -> str | None:
    status: str | None = await db.scalar(
        text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    )
    return status


async def test_failed_jobs_are_listed_newest_first_and_nothing_else(db: AsyncSession) -> None:
    older, newer = await defer_job(db, status="failed"), await defer_job(db, status="failed")
    await defer_job(db, status="succeeded")
    await defer_job(db)
    listed = await worker_service.list_jobs(db, status="failed", limit=10)
    assert [job.id for job in listed] == [newer, older]
    assert {job.task_name for job in listed} == {"auth.purge_expired_refresh_tokens"}
    assert listed[0].args == {"timestamp": 1_000_000}
    assert [job.id for job in await worker_service.list_jobs(db, status="failed", limit=1)] == [
        newer
    ]


async def test_a_failed_job_retried_is_queued_again_with_one_more_attempt(
    db: AsyncSession,
) -> None:
    job_id = await defer_job(db, status="failed")
    await worker_service.retry_failed(db, job_id=job_id)
    attempts = await db.scalar(
        text("SELECT attempts FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    )
    assert (await status_of(db, job_id), attempts) == ("todo", 1)


@pytest.mark.parametrize("status", ["todo", "doing", "succeeded"])
async def test_only_a_failed_job_can_be_retried(db: AsyncSession, status: str) -> None:
    job_id = await defer_job(db, status=status)
    with pytest.raises(JobNotFailedError, match=f"Job {job_id} is {status}"):
        await worker_service.retry_failed(db, job_id=job_id)
    assert await status_of(db, job_id) == status


async def test_retrying_a_job_that_does_not_exist_says_so(db: AsyncSession) -> None:
    with pytest.raises(JobNotFoundError, match="There is no job 999999999"):
        await worker_service.retry_failed(db, job_id=999_999_999)


async def test_the_running_jobs_of_a_silent_worker_are_queued_again_and_only_those(
    db: AsyncSession,
) -> None:
    workers = await db.execute(
        text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES"
            " (now() - interval '10 minutes'), (now()) RETURNING id"
        )
    )
    silent, alive = workers.scalars().all()
    orphan, of_silent, of_alive = [await defer_job(db, status="doing") for _ in range(3)]
    for job_id, worker_id in ((of_silent, silent), (of_alive, alive)):
        await db.execute(
            text("UPDATE procrastinate_jobs SET worker_id = :worker WHERE id = :id"),
            {"worker": worker_id, "id": job_id},
        )
    recovered = await worker_service.recover_stalled(
        db, silent_for=timedelta(minutes=1), max_attempts=5
    )
    assert (sorted(recovered.requeued), recovered.failed) == (sorted([orphan, of_silent]), [])
    assert [await status_of(db, job) for job in (orphan, of_silent, of_alive)] == [
        "todo",
        "todo",
        "doing",
    ]


async def test_a_stalled_job_on_its_last_attempt_fails_instead_of_looping(
    db: AsyncSession,
) -> None:
    # A job that kills its worker every time (out of memory, say) is recovered again and again.
    last_try, early = await defer_job(db, status="doing"), await defer_job(db, status="doing")
    await db.execute(
        text("UPDATE procrastinate_jobs SET attempts = 4 WHERE id = :id"), {"id": last_try}
    )
    recovered = await worker_service.recover_stalled(
        db, silent_for=timedelta(minutes=1), max_attempts=5
    )
    assert (recovered.requeued, recovered.failed) == ([early], [last_try])
    assert await status_of(db, last_try) == "failed"
    assert await status_of(db, early) == "todo"


async def test_finished_jobs_are_purged_after_the_retention_and_failed_ones_kept(
    db: AsyncSession,
) -> None:
    old = {status: await defer_job(db, status=status) for status in ("succeeded", "failed")}
    await db.execute(
        text(
            "UPDATE procrastinate_events SET at = now() - interval '30 days'"
            " WHERE job_id = ANY(:ids)"
        ),
        {"ids": list(old.values())},
    )
    recent = await defer_job(db, status="succeeded")
    deleted = await JobRepository(db).delete_finished(before=datetime.now(UTC) - timedelta(days=7))
    assert deleted == 1
    assert await status_of(db, old["succeeded"]) is None
    assert await status_of(db, old["failed"]) == "failed"
    assert await status_of(db, recent) == "succeeded"


async def test_the_depth_of_each_queue_counts_its_waiting_jobs(db: AsyncSession) -> None:
    before = await worker_service.queue_depths(db)
    await defer_job(db, queue="mail")
    await defer_job(db, queue="mail")
    await defer_job(db, queue="mail", status="doing")
    await defer_job(db, queue="reports", status="succeeded")
    after = await worker_service.queue_depths(db)
    assert after["mail"] - before.get("mail", 0) == 2
    assert after["reports"] == 0


async def test_a_schedules_tick_is_deferred_once_however_many_workers_ask(
    db: AsyncSession,
) -> None:
    # What each worker's scheduler calls for every tick it sees (procrastinate's function):
    # the second call, from another worker, finds the tick taken and defers nothing.
    defer_tick = text(
        "SELECT procrastinate_defer_periodic_job_v2('default', NULL, NULL,"
        " 'auth.purge_expired_refresh_tokens', 0, 'hourly', 1000000, '{}'::jsonb)"
    )
    first, second = (await db.scalar(defer_tick)), (await db.scalar(defer_tick))
    assert first is not None
    assert second is None
