"""The task repository on its own: what a write over a vanished reference becomes."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import ConflictError
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.repository import TaskRepository
from {{ cookiecutter.package_name }}.users.models import User

from tests.projects.factories import create_project


async def test_a_task_for_a_project_deleted_meanwhile_is_a_conflict(
    db: AsyncSession, user: User
) -> None:
    # What another request deleting the project between our check and our INSERT looks like.
    project = await create_project(db, owner=user)
    await ProjectRepository.for_owner(db, user.id).delete(project)
    with pytest.raises(ConflictError) as error:
        await TaskRepository(db, project_id=project.id).create(
            Task(project_id=project.id, title="Orphan")
        )
    assert error.value.code == "reference_deleted"
