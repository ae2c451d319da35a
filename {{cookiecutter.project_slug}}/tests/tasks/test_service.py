"""The task rules without HTTP: assignees, partial updates, and versions."""

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import NotFoundError, ValidationFailedError
from {{ cookiecutter.package_name }}.core.versioning import PreconditionFailedError
from {{ cookiecutter.package_name }}.tasks import service as task_service
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.tasks.schemas import TaskCreate, TaskQuery, TaskUpdate
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task


async def test_a_task_can_be_assigned_to_the_projects_owner(db: AsyncSession, user: User) -> None:
    project = await create_project(db, owner=user)
    task = await task_service.create_task(
        db, project=project, data=TaskCreate(title="Write", assignee_id=user.id)
    )
    assert (task.project_id, task.assignee_id, task.status) == (
        project.id,
        user.id,
        TaskStatus.TODO,
    )
    assert task.assignee is not None
    assert task.assignee.id == user.id


@pytest.mark.parametrize("who", ["another user", "nobody"])
async def test_any_other_assignee_is_refused_alike_before_anything_is_written(
    db: AsyncSession, user: User, who: str
) -> None:
    project = await create_project(db, owner=user)
    assignee_id = (await create_user(db)).id if who == "another user" else uuid.uuid4()
    with pytest.raises(ValidationFailedError) as error:
        await task_service.create_task(
            db, project=project, data=TaskCreate(title="Write", assignee_id=assignee_id)
        )
    assert [field.loc for field in error.value.errors] == [["body", "assignee_id"]]
    tasks, total = await task_service.list_tasks(db, project=project, query=TaskQuery())
    assert (list(tasks), total) == ([], 0)


async def test_an_update_changes_only_the_fields_sent(db: AsyncSession, user: User) -> None:
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project, title="Kept", description="Cleared")
    updated = await task_service.update_task(
        db,
        project=project,
        task=task,
        data=TaskUpdate.model_validate({"description": None, "status": "doing"}),
        expected_versions=None,
    )
    assert (updated.title, updated.description, updated.status) == ("Kept", None, "doing")


async def test_an_update_against_another_version_changes_nothing(
    db: AsyncSession, user: User
) -> None:
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project, title="Kept")
    with pytest.raises(PreconditionFailedError):
        await task_service.update_task(
            db,
            project=project,
            task=task,
            data=TaskUpdate(title="Lost"),
            expected_versions=frozenset({7}),
        )
    await db.refresh(task)
    assert task.title == "Kept"


async def test_a_task_of_another_project_is_not_found(db: AsyncSession, user: User) -> None:
    mine = await create_project(db, owner=user)
    other = await create_project(db, owner=user)
    task = await create_task(db, project=other)
    with pytest.raises(NotFoundError, match=f"Task {task.id} not found"):
        await task_service.get_task(db, project=mine, task_id=task.id)


async def test_delete_at_the_expected_version_removes_the_row(db: AsyncSession, user: User) -> None:
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project)
    await task_service.delete_task(
        db, project=project, task=task, expected_versions=frozenset({task.version})
    )
    assert await db.get(Task, task.id) is None
