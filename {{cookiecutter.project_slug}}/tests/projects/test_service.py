"""The project rules without HTTP: who sees which projects, conflicts, and versions."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.core.row_security import act_for
from {{ cookiecutter.package_name }}.core.versioning import PreconditionFailedError
from {{ cookiecutter.package_name }}.projects import service as project_service
from {{ cookiecutter.package_name }}.projects.errors import ProjectNameTakenError
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import (
    ProjectCreate,
    ProjectQuery,
    ProjectUpdate,
)
from {{ cookiecutter.package_name }}.tasks.models import TaskStatus
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task


async def test_a_user_gets_only_their_own_and_an_admin_any(
    db: AsyncSession, user: User, admin: User
) -> None:
    theirs = await create_project(db, owner=await create_user(db))
    with pytest.raises(NotFoundError, match=f"Project {theirs.id} not found"):
        await project_service.get_project(db, user=user, project_id=theirs.id)
    found = await project_service.get_project(db, user=admin, project_id=theirs.id)
    assert found.id == theirs.id


async def test_a_user_lists_only_their_own_an_admin_every_one(
    db: AsyncSession, user: User, admin: User
) -> None:
    mine = await create_project(db, owner=user)
    theirs = await create_project(db, owner=await create_user(db))
    # Each call runs as its caller, as a request would (core/row_security.py).
    await act_for(db, user.id)
    projects, total = await project_service.list_projects(db, user=user, query=ProjectQuery())
    assert ([project.id for project in projects], total) == ([mine.id], 1)
    await act_for(db, admin.id)
    projects, total = await project_service.list_projects(db, user=admin, query=ProjectQuery())
    assert {project.id for project in projects} >= {mine.id, theirs.id}


async def test_the_counted_read_counts_tasks_per_status(db: AsyncSession, user: User) -> None:
    project = await create_project(db, owner=user)
    await create_task(db, project=project, status=TaskStatus.DONE)
    await create_task(db, project=project, status=TaskStatus.DONE)
    await create_task(db, project=project, status=TaskStatus.DOING)
    counted = await project_service.get_counted_project(db, user=user, project_id=project.id)
    assert counted.task_counts == {"todo": 0, "doing": 1, "done": 2}


async def test_create_makes_the_caller_the_owner_with_no_tasks(
    db: AsyncSession, user: User
) -> None:
    await act_for(db, user.id)
    created = await project_service.create_project(
        db, owner=user, data=ProjectCreate(name="Fresh", description="New")
    )
    assert (created.owner_id, created.name, created.version) == (user.id, "Fresh", 1)
    assert created.task_counts == {"todo": 0, "doing": 0, "done": 0}


async def test_a_second_project_with_the_same_name_is_a_conflict(
    db: AsyncSession, user: User
) -> None:
    await create_project(db, owner=user, name="Website")
    with pytest.raises(ProjectNameTakenError):
        await project_service.create_project(db, owner=user, data=ProjectCreate(name="Website"))


async def test_an_update_against_another_version_changes_nothing(
    db: AsyncSession, user: User
) -> None:
    project = await create_project(db, owner=user, name="Kept")
    with pytest.raises(PreconditionFailedError):
        await project_service.update_project(
            db,
            user=user,
            project=project,
            data=ProjectUpdate(name="Lost"),
            expected_versions=frozenset({project.version + 1}),
        )
    await db.refresh(project)
    assert (project.name, project.version) == ("Kept", 1)


async def test_an_update_at_the_expected_version_writes_and_bumps_it(
    db: AsyncSession, user: User
) -> None:
    project = await create_project(db, owner=user, description="Cleared")
    updated = await project_service.update_project(
        db,
        user=user,
        project=project,
        data=ProjectUpdate.model_validate({"description": None}),
        expected_versions=frozenset({1}),
    )
    assert (updated.description, updated.version) == (None, 2)


async def test_delete_at_any_version_removes_the_row(db: AsyncSession, user: User) -> None:
    project = await create_project(db, owner=user)
    await project_service.delete_project(db, user=user, project=project, expected_versions=None)
    assert await db.get(Project, project.id) is None
