"""Queries on the job queue's tables. They are procrastinate's (see the migration that creates
them), so they are named here as plain tables rather than mapped as models of ours."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import RowMapping, column, func, select, table, text
from sqlalchemy.dialects.postgresql import ENUM
from sqlalchemy.ext.asyncio import AsyncSession

JobStatus = Literal["todo", "doing", "succeeded", "failed", "cancelled", "aborted"]
_STATUS = ENUM(*get_args(JobStatus), name="procrastinate_job_status", create_type=False)

_jobs = table(
    "procrastinate_jobs",
    column("id"),
    column("queue_name"),
    column("task_name"),
    column("status", _STATUS),
    column("attempts"),
    column("args"),
    column("scheduled_at"),
    column("worker_id"),
)
_events = table("procrastinate_events", column("job_id"), column("type"), column("at"))

# A job in one of these states will not run again; `failed` ones are kept for an operator.
FINISHED: tuple[JobStatus, ...] = ("succeeded", "cancelled", "aborted")

_RETRY = text("SELECT procrastinate_retry_job_v2(:job_id, :retry_at, NULL, NULL, NULL)")
_FAIL = text("SELECT procrastinate_finish_job_v1(:job_id, 'failed', false)")


@dataclass(frozen=True)
class JobRecord:
    id: int
    queue: str
    task_name: str
    status: JobStatus
    attempts: int
    args: dict[str, Any]
    last_event_at: datetime | None


def _record(row: RowMapping) -> JobRecord:
    return JobRecord(
        id=row["id"],
        queue=row["queue_name"],
        task_name=row["task_name"],
        status=row["status"],
        attempts=row["attempts"],
        args=row["args"],
        last_event_at=row["last_event_at"],
    )


class JobRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list_by_status(self, status: JobStatus, *, limit: int) -> list[JobRecord]:
        """The most recent jobs in `status`, newest first."""
        last_event = (
            select(func.max(_events.c.at))
            .where(_events.c.job_id == _jobs.c.id)
            .scalar_subquery()
            .label("last_event_at")
        )
        statement = (
            select(*_jobs.c, last_event)
            .where(_jobs.c.status == status)
            .order_by(_jobs.c.id.desc())
            .limit(limit)
        )
        return [_record(row) for row in (await self.db.execute(statement)).mappings()]

    async def lock_status(self, job_id: int) -> JobStatus | None:
        """The job's status, locked until the end of the transaction; None if there is none."""
        statement = select(_jobs.c.status).where(_jobs.c.id == job_id).with_for_update()
        status: JobStatus | None = await self.db.scalar(statement)
        return status

    async def retry(self, job_id: int, *, at: datetime) -> None:
        """Put a `failed` job, or one a lost worker was running, back in the queue for `at`."""
        await self.db.execute(_RETRY, {"job_id": job_id, "retry_at": at})

    async def fail(self, job_id: int) -> None:
        """Mark a job that was running `failed`, counting the run as an attempt."""
        await self.db.execute(_FAIL, {"job_id": job_id})

    async def lock_stalled(self, *, heartbeat_older_than: datetime) -> list[tuple[int, int]]:
        """Jobs marked running whose worker is gone (its heartbeat stopped before the given
        time, or its row was pruned), with the attempts they had finished. Locked, and
        skipping those another worker has locked, so two workers never recover the same job."""
        workers = table("procrastinate_workers", column("id"), column("last_heartbeat"))
        alive = (
            select(workers.c.id)
            .where(workers.c.id == _jobs.c.worker_id)
            .where(workers.c.last_heartbeat >= heartbeat_older_than)
            .exists()
        )
        statement = (
            select(_jobs.c.id, _jobs.c.attempts)
            .where(_jobs.c.status == "doing", ~alive)
            .with_for_update(skip_locked=True)
        )
        return [(row.id, row.attempts) for row in await self.db.execute(statement)]

    async def delete_finished(self, *, before: datetime) -> int:
        """Delete jobs that finished (in FINISHED) before the given time; returns how many."""
        finished_before = (
            select(_events.c.job_id)
            .group_by(_events.c.job_id)
            .having(func.max(_events.c.at) < before)
        )
        statement = (
            _jobs.delete()
            .where(_jobs.c.status.in_(FINISHED), _jobs.c.id.in_(finished_before))
            .returning(_jobs.c.id)
        )
        return len((await self.db.execute(statement)).all())

    async def queue_depths(self) -> dict[str, int]:
        """How many jobs wait in each queue that has any job, due now or later (0 included)."""
        waiting = func.count().filter(_jobs.c.status == "todo").label("waiting")
        statement = select(_jobs.c.queue_name, waiting).group_by(_jobs.c.queue_name)
        rows = await self.db.execute(statement)
        return {row.queue_name: row.waiting for row in rows}
