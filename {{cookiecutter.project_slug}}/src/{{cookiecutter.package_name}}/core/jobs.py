"""Background jobs: how a task is declared, how it is retried, and how a service defers one.

A task is a plain async function in the domain that owns it (`<domain>/jobs.py`), declared
with `@task(name=...)`. It takes plain values (IDs, not ORM objects), which are
validated when the job runs, and opens its own unit of work. It must be safe to run twice: a
job can be retried after it did its work but before the worker recorded that it had.

A service defers through a `JobQueue`. The one the app uses, `TransactionalJobQueue`, writes
the job in the request's own transaction: the job exists if, and only if, that transaction
commits, and a worker is told of it (NOTIFY) only then.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Concatenate, Final, ParamSpec, Protocol, cast

from procrastinate import App, JobContext, PsycopgConnector, RetryDecision
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy
from procrastinate.tasks import Task
from pydantic import ConfigDict, ValidationError, validate_call
from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork

if TYPE_CHECKING:
    # Only for the annotation: core/mail.py's errors build on this module's.
    from {{ cookiecutter.package_name }}.core.mail import Mailer

P = ParamSpec("P")

# Every task of the service, registered here by `@task` when its module is imported (the
# worker imports them all: `worker/registry.py`). The worker gives it its database connection;
# nothing else opens it: the service defers through a `JobQueue`, never with `Task.defer`.
job_app = App(connector=PsycopgConnector())

DEFAULT_QUEUE: Final = "default"
# The worker hands every job its settings, units of work and mailer under these keys
# (procrastinate's job context).
SETTINGS: Final = "settings"
UNITS_OF_WORK: Final = "units_of_work"
MAILER: Final = "mailer"

# procrastinate's own schema function for deferring, the one its connectors call.
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY("
    "SELECT job FROM jsonb_populate_recordset(NULL::procrastinate_job_to_defer_v1, :jobs)"
    " AS job))) AS id"
).bindparams(bindparam("jobs", type_=JSONB))


class PermanentJobError(Exception):
    """A failure that running the job again cannot fix (a recipient the mail server refuses
    for good): the job ends `failed` at once instead of using up its attempts."""


class CappedBackoff(BaseRetryStrategy):
    """Retry a failed job after an exponentially growing, capped and jittered delay, up to
    `max_attempts` runs in all; then it stays `failed` for an operator to list and retry.

    Invalid arguments and a `PermanentJobError` are never retried: they would fail the same
    way every time. A job
    interrupted by a worker's shutdown is retried at once, by whichever worker is next."""

    def __init__(
        self, *, max_attempts: int = 5, base_seconds: float = 2, cap_seconds: float = 600
    ) -> None:
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the run numbered `attempts` (0 for the first) failed."""
        # The exponent stops growing long before a float would overflow (2.0 ** 1024).
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** min(attempts, 64))
        # Half fixed, half random: retries of many jobs that failed together spread out.
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not for security

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, ValidationError | PermanentJobError):
            return None
        if job.attempts + 1 >= self.max_attempts:
            return None
        if isinstance(exception, JobAborted | asyncio.CancelledError):
            return RetryDecision(retry_at=datetime.now(UTC))
        return RetryDecision(
            retry_at=datetime.now(UTC) + timedelta(seconds=self.delay(job.attempts))
        )


DEFAULT_RETRY: Final = CappedBackoff()

_VALIDATE_ARGUMENTS = ConfigDict(arbitrary_types_allowed=True)  # the JobContext


def task(
    *,
    name: str,
    queue: str = DEFAULT_QUEUE,
    retry: BaseRetryStrategy = DEFAULT_RETRY,
) -> Callable[
    [Callable[Concatenate[JobContext, P], Awaitable[None]]],
    Task[Concatenate[JobContext, P], Awaitable[None], P],
]:
    """Declare an async function as a task. `name` is what the job table stores, so it must
    not change while jobs of the task may be waiting: `<domain>.<verb_noun>`."""

    def register(
        func: Callable[Concatenate[JobContext, P], Awaitable[None]],
    ) -> Task[Concatenate[JobContext, P], Awaitable[None], P]:
        checked = validate_call(config=_VALIDATE_ARGUMENTS)(func)
        return job_app.task(name=name, queue=queue, retry=retry, pass_context=True)(checked)

    return register


def periodic(
    *, cron: str, periodic_id: str
) -> Callable[[Task[Any, Any, Concatenate[int, P]]], Task[Any, Any, P]]:
    """Run a task on a schedule (cron syntax, UTC; a sixth field counts seconds). The task
    takes the tick's `timestamp`. However many workers run, one job is deferred per tick."""
    return job_app.periodic(cron=cron, periodic_id=periodic_id)


def units_of_work(context: JobContext) -> UnitsOfWork:
    """The units of work of the worker running this job."""
    units = context.additional_context.get(UNITS_OF_WORK)
    if not isinstance(units, UnitsOfWork):
        raise TypeError("a task runs in the worker, which gives it its units of work")
    return units


def job_settings(context: JobContext) -> Settings:
    """The settings of the worker running this job."""
    found = context.additional_context.get(SETTINGS)
    if not isinstance(found, Settings):
        raise TypeError("a task runs in the worker, which gives it its settings")
    return found


def mailer(context: JobContext) -> "Mailer":
    """The mailer of the worker running this job."""
    found = context.additional_context.get(MAILER)
    if found is None:
        raise TypeError("a task runs in the worker, which gives it its mailer")
    return cast("Mailer", found)


class JobQueue(Protocol):
    """Where a service defers work. Arguments are keyword-only JSON-able values (UUIDs and
    dates are sent as strings and validated back when the job runs)."""

    async def defer(self, task: Task[Any, Any, P], /, *args: P.args, **kwargs: P.kwargs) -> None:
        """Queue one run of `task` with these arguments."""


class TransactionalJobQueue:
    """Defers jobs inside the transaction of `db`: a request that fails after deferring
    leaves no job behind, and no worker can start one before the rows it names are visible."""

    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def defer(self, task: Task[Any, Any, P], /, *args: P.args, **kwargs: P.kwargs) -> None:
        if args:
            raise TypeError(f"the arguments of task {task.name} are keyword-only")
        job = {
            "queue_name": task.queue,
            "task_name": task.name,
            "priority": task.priority,
            "lock": task.lock,
            "args": to_jsonable_python(kwargs),
            "scheduled_at": None,
        }
        await self._db.execute(_DEFER, {"jobs": [job]})
