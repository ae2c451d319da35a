"""Projects: each belongs to one user. A user sees only their own; an admin sees every one."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.core.security import TokenClaims
from {{ cookiecutter.package_name }}.core.versioning import ExpectedVersions, check_version
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.projects.schemas import (
    ProjectCreate,
    ProjectQuery,
    ProjectUpdate,
)
from {{ cookiecutter.package_name }}.users.models import User, UserRole


def _repository(db: AsyncSession, user: User) -> ProjectRepository:
    """The one place that decides whose projects a user may see."""
    if user.role == UserRole.ADMIN:
        return ProjectRepository.unscoped(db)
    return ProjectRepository.for_owner(db, user.id)


async def list_projects(
    db: AsyncSession, *, user: User, query: ProjectQuery
) -> tuple[Sequence[Project], int]:
    """A page of the projects `user` may see, each with its `task_counts`."""
    return await _repository(db, user).list_counted(query)


async def get_project(db: AsyncSession, *, user: User, project_id: uuid.UUID) -> Project:
    """The project if this user may see it. Someone else's is "not found", exactly like one
    that does not exist, so project IDs cannot be probed."""
    return await _repository(db, user).get(project_id)


async def get_project_and_caller(
    db: AsyncSession, *, claims: TokenClaims, project_id: uuid.UUID
) -> tuple[User, Project]:
    """The caller of an access token (checked as `auth_service.authenticate` checks them) and
    the project if they may see it, in one statement: the dependency of every route under a
    project pays one round trip for both."""
    user, project = await ProjectRepository.find_with_caller(
        db,
        user_id=claims.subject,
        session_id=claims.session_id,
        now=datetime.now(UTC),
        project_id=project_id,
    )
    user = auth_service.require_caller(user)
    if project is None:
        raise NotFoundError(f"Project {project_id} not found")
    return user, project


async def get_counted_project(db: AsyncSession, *, user: User, project_id: uuid.UUID) -> Project:
    """`get_project`, with the project's `task_counts`, in the same one statement."""
    return await _repository(db, user).get_counted(project_id)


async def create_project(db: AsyncSession, *, owner: User, data: ProjectCreate) -> Project:
    repository = _repository(db, owner)
    project = await repository.create(Project(owner_id=owner.id, **data.model_dump()))
    return await repository.get_counted(project.id)


async def update_project(
    db: AsyncSession,
    *,
    user: User,
    project: Project,
    data: ProjectUpdate,
    expected_versions: ExpectedVersions,
) -> Project:
    check_version(project.version, expected_versions, noun="Project")
    repository = _repository(db, user)
    await repository.update(project, data.model_dump(exclude_unset=True))
    return await repository.get_counted(project.id)


async def delete_project(
    db: AsyncSession, *, user: User, project: Project, expected_versions: ExpectedVersions
) -> None:
    """Delete the project; the database deletes its tasks with it (ON DELETE CASCADE)."""
    check_version(project.version, expected_versions, noun="Project")
    await _repository(db, user).delete(project)
