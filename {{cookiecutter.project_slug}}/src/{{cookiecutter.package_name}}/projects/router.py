import uuid

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.core.config import SettingsDep
from {{ cookiecutter.package_name }}.core.db import DbSession
from {{ cookiecutter.package_name }}.core.openapi import created_links, problem_responses
from {{ cookiecutter.package_name }}.core.pagination import Page
from {{ cookiecutter.package_name }}.core.versioning import IfMatchDep, etag
from {{ cookiecutter.package_name }}.idempotency.http import IdempotencyKeyHeader, create_once
from {{ cookiecutter.package_name }}.projects import service as project_service
from {{ cookiecutter.package_name }}.projects.dependencies import OwnedProject, ProjectQueryDep
from {{ cookiecutter.package_name }}.projects.schemas import (
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    ProjectWithCounts,
)

router = APIRouter(prefix="/projects", tags=["projects"])


def project_read(view: ProjectWithCounts) -> ProjectRead:
    project = view.project
    return ProjectRead(
        id=project.id,
        owner_id=project.owner_id,
        name=project.name,
        description=project.description,
        version=project.version,
        created_at=project.created_at,
        updated_at=project.updated_at,
        task_counts=view.task_counts,
    )


@router.get("", responses=problem_responses(401, 422))
async def list_projects(
    user: CurrentUser, query: ProjectQueryDep, session: DbSession
) -> Page[ProjectRead]:
    """The caller's projects (every project, for an admin), with task counts per status."""
    views, total = await project_service.list_projects(session, user=user, query=query)
    return Page(
        items=[project_read(view) for view in views],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
    responses={
        **problem_responses(401, 409, 422),
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
    data: ProjectCreate,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create a project; send an `Idempotency-Key` header to make retries safe."""

    async def create() -> tuple[ProjectRead, uuid.UUID]:
        view = await project_service.create_project(session, owner=user, data=data)
        return project_read(view), view.project.id

    return await create_once(
        session,
        request=request,
        user_id=user.id,
        key=idempotency_key,
        body=data,
        ttl=settings.idempotency_key_ttl,
        create=create,
    )


@router.get("/{project_id}", responses=problem_responses(401, 404, 422))
async def get_project(
    project: OwnedProject, user: CurrentUser, session: DbSession, response: Response
) -> ProjectRead:
    """One project, with its `ETag` for conditional updates."""
    view = await project_service.read_project(session, user=user, project=project)
    response.headers["ETag"] = etag(view.project.version)
    return project_read(view)


@router.patch("/{project_id}", responses=problem_responses(401, 404, 409, 412, 422, 428))
async def update_project(
    data: ProjectUpdate,
    project: OwnedProject,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: DbSession,
    response: Response,
) -> ProjectRead:
    """Rename a project or change its description (send `If-Match` to avoid lost updates)."""
    view = await project_service.update_project(
        session, user=user, project=project, data=data, if_match=if_match
    )
    response.headers["ETag"] = etag(view.project.version)
    return project_read(view)


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 409, 412, 422, 428),
)
async def delete_project(
    project: OwnedProject, if_match: IfMatchDep, user: CurrentUser, session: DbSession
) -> None:
    """Delete a project and all its tasks."""
    await project_service.delete_project(session, user=user, project=project, if_match=if_match)
