"""Background work of the tasks domain, run by the job worker (see `worker/process.py`)."""

import logging
import uuid

from procrastinate import JobContext

from {{ cookiecutter.package_name }}.core.jobs import job_settings, mailer, task, units_of_work
from {{ cookiecutter.package_name }}.core.mail import mail_templates
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.tasks.repository import TaskRepository

logger = logging.getLogger(__name__)


@task(name="tasks.notify_assignee")
async def notify_assignee(
    context: JobContext,
    *,
    owner_id: uuid.UUID,
    project_id: uuid.UUID,
    task_id: uuid.UUID,
    assignee_id: uuid.UUID,
) -> None:
    """Mail a user that a task was assigned to them, if it still is by the time this runs.

    Deferred in the transaction that assigned the task, so the task is there to read. It may
    have been reassigned or deleted since: then there is nothing to tell. Safe to run twice:
    the worst a repeat does is tell the assignee again. It acts for the project's owner: row
    level security shows the job their rows (core/row_security.py)."""
    async with units_of_work(context)(acting_for=owner_id) as db:
        assigned = await TaskRepository.in_project(db, project_id).find(task_id)
        project = await ProjectRepository.for_owner(db, owner_id).find(project_id)
    facts = {"task_id": str(task_id), "assignee_id": str(assignee_id)}
    if assigned is None or project is None or assigned.assignee_id != assignee_id:
        logger.info("Task no longer assigned to this user; nothing to tell", extra=facts)
        return
    assignee = assigned.assignee
    if assignee is None or not assignee.is_active:
        logger.info("The assignee's account is gone or inactive; nothing to tell", extra=facts)
        return
    mail = mail_templates.compose(
        "tasks/mail/task_assigned",
        to=assignee.email,
        subject="A task was assigned to you",
        settings=job_settings(context),
        assignee_name=assignee.full_name,
        task_title=assigned.title,
        project_name=project.name,
        project_id=project_id,
        task_id=task_id,
    )
    await mailer(context).send(mail)
    logger.info("Told the assignee about their task", extra=facts)
