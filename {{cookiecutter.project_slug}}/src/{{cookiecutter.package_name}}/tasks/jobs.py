"""Background work of the tasks domain, run by the job worker (see `worker/process.py`)."""

import logging
import uuid

from procrastinate import JobContext

from {{ cookiecutter.package_name }}.core.jobs import task, units_of_work
from {{ cookiecutter.package_name }}.tasks.repository import TaskRepository

logger = logging.getLogger(__name__)


@task(name="tasks.notify_assignee")
async def notify_assignee(
    context: JobContext, *, project_id: uuid.UUID, task_id: uuid.UUID, assignee_id: uuid.UUID
) -> None:
    """Tell a user that a task was assigned to them, if it still is by the time this runs.

    Deferred in the transaction that assigned the task, so the task is there to read. It may
    have been reassigned or deleted since: then there is nothing to tell. Safe to run twice:
    the worst a repeat does is tell the assignee again."""
    async with units_of_work(context)() as db:
        assigned = await TaskRepository.in_project(db, project_id).find(task_id)
    if assigned is None or assigned.assignee_id != assignee_id:
        logger.info(
            "Task no longer assigned to this user; nothing to tell",
            extra={"task_id": str(task_id), "assignee_id": str(assignee_id)},
        )
        return
    logger.info(
        "Told the assignee about their task",
        extra={"task_id": str(task_id), "assignee_id": str(assignee_id)},
    )
