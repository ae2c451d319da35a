"""Tasks of a project. The caller's right to the project was checked by the `VisibleProject`
dependency; everything here is scoped to that one project."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.jobs import JobQueue
from {{ cookiecutter.package_name }}.core.versioning import ExpectedVersions, check_version
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.tasks.errors import AssigneeNotFoundError
from {{ cookiecutter.package_name }}.tasks.jobs import notify_assignee
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.repository import ListedTask, TaskRepository
from {{ cookiecutter.package_name }}.tasks.schemas import TaskCreate, TaskQuery, TaskUpdate
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.models import User


async def list_tasks(
    db: AsyncSession, *, project: Project, query: TaskQuery
) -> tuple[list[ListedTask], int]:
    return await TaskRepository.in_project(db, project.id).list_page(query)


async def get_task(db: AsyncSession, *, project: Project, task_id: uuid.UUID) -> Task:
    """A task of this project; one of another project is "not found" like a missing one."""
    return await TaskRepository.in_project(db, project.id).get(task_id)


async def create_task(
    db: AsyncSession, *, project: Project, data: TaskCreate, jobs: JobQueue
) -> Task:
    assignee = await _assignee(db, project=project, assignee_id=data.assignee_id)
    task = Task(project_id=project.id, **data.model_dump(), assignee=assignee)
    task = await TaskRepository.in_project(db, project.id).create(task)
    if assignee is not None:
        await _tell_assignee(jobs, project=project, task=task, assignee=assignee)
    return task


async def update_task(
    db: AsyncSession,
    *,
    project: Project,
    task: Task,
    data: TaskUpdate,
    expected_versions: ExpectedVersions,
    jobs: JobQueue,
) -> Task:
    check_version(task.version, expected_versions, noun="Task")
    changes = data.model_dump(exclude_unset=True)
    reassigned = "assignee_id" in changes and data.assignee_id != task.assignee_id
    if "assignee_id" in changes:
        # Checked before anything is written: a refused ID changes nothing.
        changes["assignee"] = await _assignee(db, project=project, assignee_id=data.assignee_id)
    task = await TaskRepository.in_project(db, project.id).update(task, changes)
    if reassigned and task.assignee is not None:
        await _tell_assignee(jobs, project=project, task=task, assignee=task.assignee)
    return task


async def delete_task(
    db: AsyncSession, *, project: Project, task: Task, expected_versions: ExpectedVersions
) -> None:
    check_version(task.version, expected_versions, noun="Task")
    await TaskRepository.in_project(db, project.id).delete(task)


async def _tell_assignee(jobs: JobQueue, *, project: Project, task: Task, assignee: User) -> None:
    """Deferred in this transaction: the assignee hears of it only if the change is kept. The
    job reads the task as the project's owner, whose rows they are."""
    await jobs.defer(
        notify_assignee,
        owner_id=project.owner_id,
        project_id=project.id,
        task_id=task.id,
        assignee_id=assignee.id,
    )


async def _assignee(
    db: AsyncSession, *, project: Project, assignee_id: uuid.UUID | None
) -> User | None:
    """The user a task of `project` may be assigned to: someone who can see the project.
    Projects have no members yet, so that is its owner, if active. Any other ID is refused
    before any write with the same answer, whether it names a user or not, so it reveals
    nothing (fail closed). With a membership table, check membership here instead."""
    if assignee_id is None:
        return None
    user = None
    if assignee_id == project.owner_id:
        user = await user_service.find_active_user(db, user_id=assignee_id)
    if user is None:
        raise AssigneeNotFoundError
    return user
