"""The project repository on its own: ownership scoping and optimistic locking."""

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import ConflictError, NotFoundError
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project


async def test_an_owner_scoped_repository_cannot_see_other_projects(
    db: AsyncSession, user: User
) -> None:
    theirs = await create_project(db, owner=await create_user(db))
    with pytest.raises(NotFoundError):
        await ProjectRepository.for_owner(db, user.id).get(theirs.id)
    assert await ProjectRepository.unscoped(db).get(theirs.id) is theirs


async def test_a_write_over_a_concurrent_change_fails_instead_of_overwriting(
    db: AsyncSession, user: User
) -> None:
    project = await create_project(db, owner=user)
    # Another request bumps the version behind this session's back...
    await db.execute(
        update(Project)
        .where(Project.id == project.id)
        .values(version=Project.version + 1)
        .execution_options(synchronize_session=False)
    )
    # ...so this UPDATE ... WHERE version = 1 matches no row.
    with pytest.raises(ConflictError, match="changed by another request at the same time"):
        await ProjectRepository.for_owner(db, user.id).update(project, {"name": "Mine"})
