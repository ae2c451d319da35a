"""Operating the job queue: what an operator lists and retries, and how a worker recovers the
jobs of a worker that died."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.worker.errors import JobNotFailedError, JobNotFoundError
from {{ cookiecutter.package_name }}.worker.repository import JobRecord, JobRepository, JobStatus


async def list_jobs(db: AsyncSession, *, status: JobStatus, limit: int) -> list[JobRecord]:
    return await JobRepository(db).list_by_status(status, limit=limit)


async def retry_failed(db: AsyncSession, *, job_id: int) -> None:
    """Queue a failed job to run again now, with one more attempt on its count."""
    jobs = JobRepository(db)
    status = await jobs.lock_status(job_id)
    if status is None:
        raise JobNotFoundError(job_id)
    if status != "failed":
        raise JobNotFailedError(job_id, status)
    await jobs.retry(job_id, at=datetime.now(UTC))


@dataclass(frozen=True)
class Recovered:
    requeued: list[int]
    failed: list[int]


async def recover_stalled(
    db: AsyncSession, *, silent_for: timedelta, max_attempts: int
) -> Recovered:
    """Queue again the jobs of workers whose heartbeat has been silent for `silent_for` (killed,
    or cut off from the database). A job it recovers can have run partly: tasks are written to
    be safe to run twice. A job whose lost run was its last of `max_attempts` is marked failed
    instead: one that kills its worker each time (out of memory) must not loop for ever."""
    jobs = JobRepository(db)
    stalled = await jobs.lock_stalled(heartbeat_older_than=datetime.now(UTC) - silent_for)
    now = datetime.now(UTC)
    recovered = Recovered(requeued=[], failed=[])
    for job_id, attempts in stalled:
        if attempts + 1 >= max_attempts:
            await jobs.fail(job_id)
            recovered.failed.append(job_id)
        else:
            await jobs.retry(job_id, at=now)
            recovered.requeued.append(job_id)
    return recovered


async def queue_depths(db: AsyncSession) -> dict[str, int]:
    return await JobRepository(db).queue_depths()
