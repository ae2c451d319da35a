import uuid

from fastapi import APIRouter, Response, status

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.core.errors import ConcurrentUpdateError, NotFoundError
from {{ cookiecutter.package_name }}.core.pagination import Page
from {{ cookiecutter.package_name }}.core.versioning import PreconditionFailedError
from {{ cookiecutter.package_name }}.idempotency.http import Idempotent
from {{ cookiecutter.package_name }}.projects import service as project_service
from {{ cookiecutter.package_name }}.projects.dependencies import ProjectQueryDep, VisibleProject
from {{ cookiecutter.package_name }}.projects.errors import ProjectNameTakenError
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import (
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
)
from {{ cookiecutter.package_name }}.web.conditional import IfMatch, etag
from {{ cookiecutter.package_name }}.web.dependencies import DbSession
from {{ cookiecutter.package_name }}.web.openapi import (
    created_links,
    problem_responses,
    with_headers,
)

router = APIRouter(prefix="/projects", tags=["projects"])


@router.get("")
async def list_projects(
    user: CurrentUser, query: ProjectQueryDep, db: DbSession
) -> Page[ProjectRead]:
    """The caller's projects (every project, for an admin), with task counts per status."""
    projects, total = await project_service.list_projects(db, user=user, query=query)
    return Page(
        items=[ProjectRead.model_validate(project) for project in projects],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(ProjectNameTakenError),
        **created_links(
            {"project_id": "$response.body#/id"},
            "get_project",
            "update_project",
            "delete_project",
            "list_tasks",
            "create_task",
        ),
    },
)
async def create_project(
    data: ProjectCreate, user: CurrentUser, db: DbSession, idempotent: Idempotent
) -> ProjectRead:
    """Create a project; send an `Idempotency-Key` header to make retries safe."""

    async def create() -> ProjectRead:
        project = await project_service.create_project(db, owner=user, data=data)
        return ProjectRead.model_validate(project)

    return await idempotent.run(db, body=data, read_model=ProjectRead, create=create)


@router.get(
    "/{project_id}",
    response_model=ProjectRead,
    responses={**with_headers(200, "ETag"), **problem_responses(NotFoundError)},
)
async def get_project(
    project_id: uuid.UUID, user: CurrentUser, db: DbSession, response: Response
) -> Project:
    """One project, with its `ETag` for conditional updates."""
    project = await project_service.get_counted_project(db, user=user, project_id=project_id)
    response.headers["ETag"] = etag(project.version)
    return project


@router.patch(
    "/{project_id}",
    response_model=ProjectRead,
    responses={
        **with_headers(200, "ETag"),
        **problem_responses(ProjectNameTakenError, ConcurrentUpdateError, PreconditionFailedError),
    },
)
async def update_project(
    data: ProjectUpdate,
    project: VisibleProject,
    if_match: IfMatch,
    user: CurrentUser,
    db: DbSession,
    response: Response,
) -> Project:
    """Rename a project or change its description (send `If-Match` to avoid lost updates)."""
    project = await project_service.update_project(
        db, user=user, project=project, data=data, expected_versions=if_match
    )
    response.headers["ETag"] = etag(project.version)
    return project


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ConcurrentUpdateError, PreconditionFailedError),
)
async def delete_project(
    project: VisibleProject, if_match: IfMatch, user: CurrentUser, db: DbSession
) -> None:
    """Delete a project and all its tasks."""
    await project_service.delete_project(db, user=user, project=project, expected_versions=if_match)
