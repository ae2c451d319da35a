"""Operating the job queue: what an operator lists and retries, and how a worker recovers the
jobs of a worker that died."""

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


async def recover_stalled(db: AsyncSession, *, silent_for: timedelta) -> list[int]:
    """Queue again the jobs of workers whose heartbeat has been silent for `silent_for` (killed,
    or cut off from the database); returns their IDs. A job it recovers can have run partly:
    tasks are written to be safe to run twice."""
    jobs = JobRepository(db)
    stalled = await jobs.lock_stalled(heartbeat_older_than=datetime.now(UTC) - silent_for)
    now = datetime.now(UTC)
    for job_id in stalled:
        await jobs.retry(job_id, at=now)
    return stalled


async def queue_depths(db: AsyncSession) -> dict[str, int]:
    return await JobRepository(db).queue_depths()
