"""The task rules without HTTP: assignees, partial updates, versions, and the assignee's
notification (deferred to a fake queue here; tests/worker runs the real one)."""

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.core.versioning import PreconditionFailedError
from {{ cookiecutter.package_name }}.tasks import service as task_service
from {{ cookiecutter.package_name }}.tasks.errors import AssigneeNotFoundError
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.tasks.schemas import TaskCreate, TaskQuery, TaskUpdate
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task
from tests.support import DeferredJob, RecordingJobQueue


async def test_a_task_can_be_assigned_to_the_projects_owner(db: AsyncSession, user: User) -> None:
    project = await create_project(db, owner=user)
    jobs = RecordingJobQueue()
    task = await task_service.create_task(
        db, project=project, data=TaskCreate(title="Write", assignee_id=user.id), jobs=jobs
    )
    assert (task.project_id, task.assignee_id, task.status) == (
        project.id,
        user.id,
        TaskStatus.TODO,
    )
    assert task.assignee is not None
    assert task.assignee.id == user.id
    assert jobs.deferred == [
        DeferredJob(
            "tasks.notify_assignee",
            {
                "owner_id": user.id,
                "project_id": project.id,
                "task_id": task.id,
                "assignee_id": user.id,
            },
        )
    ]


async def test_a_task_created_without_an_assignee_notifies_nobody(
    db: AsyncSession, user: User
) -> None:
    jobs = RecordingJobQueue()
    project = await create_project(db, owner=user)
    await task_service.create_task(db, project=project, data=TaskCreate(title="W"), jobs=jobs)
    assert jobs.deferred == []


@pytest.mark.parametrize(
    ("before", "change", "notified"),
    [
        ("nobody", "the owner", True),
        ("the owner", "the owner", False),
        ("the owner", "nobody", False),
        ("the owner", "no change", False),
    ],
)
async def test_only_a_change_to_a_new_assignee_notifies_them(
    db: AsyncSession, user: User, before: str, change: str, notified: bool
) -> None:
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project, assignee=user if before == "the owner" else None)
    data = {"the owner": {"assignee_id": user.id}, "nobody": {"assignee_id": None}}
    jobs = RecordingJobQueue()
    await task_service.update_task(
        db,
        project=project,
        task=task,
        data=TaskUpdate.model_validate(data.get(change, {"title": "Renamed"})),
        expected_versions=None,
        jobs=jobs,
    )
    assert [job.task_name for job in jobs.deferred] == (
        ["tasks.notify_assignee"] if notified else []
    )


@pytest.mark.parametrize("who", ["another user", "nobody"])
async def test_any_other_assignee_is_refused_alike_before_anything_is_written(
    db: AsyncSession, user: User, who: str
) -> None:
    project = await create_project(db, owner=user)
    assignee_id = (await create_user(db)).id if who == "another user" else uuid.uuid4()
    with pytest.raises(AssigneeNotFoundError):
        await task_service.create_task(
            db,
            project=project,
            data=TaskCreate(title="Write", assignee_id=assignee_id),
            jobs=RecordingJobQueue(),
        )
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
        jobs=RecordingJobQueue(),
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
            jobs=RecordingJobQueue(),
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
