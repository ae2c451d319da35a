"""Projects: each belongs to one user. A user sees only their own; an admin sees every one."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.versioning import IfMatch
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.projects.schemas import (
    ProjectCreate,
    ProjectQuery,
    ProjectUpdate,
    ProjectWithCounts,
)
from {{ cookiecutter.package_name }}.users.models import User, UserRole


def _repository(session: AsyncSession, user: User) -> ProjectRepository:
    """The one place that decides whose projects a user may see."""
    owner_id = None if user.role == UserRole.ADMIN else user.id
    return ProjectRepository(session, owner_id=owner_id)


async def list_projects(
    session: AsyncSession, *, user: User, query: ProjectQuery
) -> tuple[list[ProjectWithCounts], int]:
    return await _repository(session, user).list_with_counts(query)


async def get_project(session: AsyncSession, *, user: User, project_id: uuid.UUID) -> Project:
    """The project if this user may see it. Someone else's is "not found", exactly like one
    that does not exist, so project IDs cannot be probed."""
    return await _repository(session, user).get(project_id)


async def read_project(session: AsyncSession, *, user: User, project: Project) -> ProjectWithCounts:
    return await _repository(session, user).get_with_counts(project.id)


async def create_project(
    session: AsyncSession, *, owner: User, data: ProjectCreate
) -> ProjectWithCounts:
    repository = _repository(session, owner)
    project = await repository.create(
        Project(owner_id=owner.id, name=data.name, description=data.description)
    )
    return await repository.get_with_counts(project.id)


async def update_project(
    session: AsyncSession, *, user: User, project: Project, data: ProjectUpdate, if_match: IfMatch
) -> ProjectWithCounts:
    if_match.check(project.version, noun="Project")
    repository = _repository(session, user)
    await repository.update(project, data.model_dump(exclude_unset=True))
    return await repository.get_with_counts(project.id)


async def delete_project(
    session: AsyncSession, *, user: User, project: Project, if_match: IfMatch
) -> None:
    """Delete the project; the database deletes its tasks with it (ON DELETE CASCADE)."""
    if_match.check(project.version, noun="Project")
    await _repository(session, user).delete(project)
