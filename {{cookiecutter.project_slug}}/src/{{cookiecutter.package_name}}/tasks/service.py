"""Tasks of a project. The caller's right to the project was checked by the `OwnedProject`
dependency; everything here is scoped to that one project."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import FieldError, ValidationFailedError
from {{ cookiecutter.package_name }}.core.versioning import IfMatch
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.repository import TaskRepository
from {{ cookiecutter.package_name }}.tasks.schemas import TaskCreate, TaskQuery, TaskUpdate
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.models import User


async def list_tasks(
    session: AsyncSession, *, project: Project, query: TaskQuery
) -> tuple[Sequence[Task], int]:
    return await TaskRepository(session, project_id=project.id).list_page(query)


async def get_task(session: AsyncSession, *, project: Project, task_id: uuid.UUID) -> Task:
    """A task of this project; one of another project is "not found" like a missing one."""
    return await TaskRepository(session, project_id=project.id).get(task_id)


async def create_task(session: AsyncSession, *, project: Project, data: TaskCreate) -> Task:
    assignee = await _assignee(session, project=project, assignee_id=data.assignee_id)
    task = Task(
        project_id=project.id,
        title=data.title,
        description=data.description,
        status=data.status,
        due_date=data.due_date,
        estimate=data.estimate,
        assignee_id=data.assignee_id,
        assignee=assignee,
    )
    return await TaskRepository(session, project_id=project.id).create(task)


async def update_task(
    session: AsyncSession, *, project: Project, task: Task, data: TaskUpdate, if_match: IfMatch
) -> Task:
    if_match.check(task.version, noun="Task")
    changes = data.model_dump(exclude_unset=True)
    if "assignee_id" in changes:
        # Checked before anything is written: a refused ID changes nothing.
        changes["assignee"] = await _assignee(
            session, project=project, assignee_id=data.assignee_id
        )
    return await TaskRepository(session, project_id=task.project_id).update(task, changes)


async def delete_task(session: AsyncSession, *, task: Task, if_match: IfMatch) -> None:
    if_match.check(task.version, noun="Task")
    await TaskRepository(session, project_id=task.project_id).delete(task)


async def _assignee(
    session: AsyncSession, *, project: Project, assignee_id: uuid.UUID | None
) -> User | None:
    """The user a task of `project` may be assigned to: someone who can see the project.
    Projects have no members yet, so that is its owner, if active. Any other ID is refused
    before any write with the same answer, whether it names a user or not, so it reveals
    nothing (fail closed). With a membership table, check membership here instead."""
    if assignee_id is None:
        return None
    user = None
    if assignee_id == project.owner_id:
        user = await user_service.find_active_user(session, user_id=assignee_id)
    if user is None:
        raise ValidationFailedError(
            "The assignee cannot see this project",
            errors=[
                FieldError(
                    loc=["body", "assignee_id"],
                    message="Only the project's owner can be assigned",
                    type="unknown_assignee",
                )
            ],
        )
    return user
