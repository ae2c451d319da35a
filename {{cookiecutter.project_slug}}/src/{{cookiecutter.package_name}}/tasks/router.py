from fastapi import APIRouter, Response, status

from {{ cookiecutter.package_name }}.core.errors import (
    ConcurrentUpdateError,
    ReferenceDeletedError,
)
from {{ cookiecutter.package_name }}.core.pagination import Page
from {{ cookiecutter.package_name }}.core.versioning import PreconditionFailedError
from {{ cookiecutter.package_name }}.idempotency.http import Idempotent
from {{ cookiecutter.package_name }}.projects.dependencies import VisibleProject
from {{ cookiecutter.package_name }}.tasks import service as task_service
from {{ cookiecutter.package_name }}.tasks.dependencies import TaskQueryDep, VisibleTask
from {{ cookiecutter.package_name }}.tasks.errors import AssigneeNotFoundError
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.schemas import TaskCreate, TaskRead, TaskUpdate
from {{ cookiecutter.package_name }}.web.conditional import IfMatch, etag
from {{ cookiecutter.package_name }}.web.dependencies import DbSession, Jobs
from {{ cookiecutter.package_name }}.web.openapi import (
    created_links,
    problem_responses,
    with_headers,
)

router = APIRouter(prefix="/projects/{project_id}/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(project: VisibleProject, query: TaskQueryDep, db: DbSession) -> Page[TaskRead]:
    """A project's tasks with their assignees, filtered and sorted."""
    tasks, total = await task_service.list_tasks(db, project=project, query=query)
    return Page(
        items=[TaskRead.model_validate(task) for task in tasks],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(AssigneeNotFoundError, ReferenceDeletedError),
        **created_links(
            {"project_id": "$response.body#/project_id", "task_id": "$response.body#/id"},
            "get_task",
            "update_task",
            "delete_task",
        ),
    },
)
async def create_task(
    data: TaskCreate, project: VisibleProject, db: DbSession, jobs: Jobs, idempotent: Idempotent
) -> TaskRead:
    """Add a task to a project; send an `Idempotency-Key` header to make retries safe."""

    async def create() -> TaskRead:
        task = await task_service.create_task(db, project=project, data=data, jobs=jobs)
        return TaskRead.model_validate(task)

    return await idempotent.run(db, body=data, read_model=TaskRead, create=create)


@router.get(
    "/{task_id}",
    response_model=TaskRead,
    responses=with_headers(200, "ETag"),
)
async def get_task(task: VisibleTask, response: Response) -> Task:
    """One task, with its `ETag` for conditional updates."""
    response.headers["ETag"] = etag(task.version)
    return task


@router.patch(
    "/{task_id}",
    response_model=TaskRead,
    responses={
        **with_headers(200, "ETag"),
        **problem_responses(
            AssigneeNotFoundError,
            ReferenceDeletedError,
            ConcurrentUpdateError,
            PreconditionFailedError,
        ),
    },
)
async def update_task(
    data: TaskUpdate,
    project: VisibleProject,
    task: VisibleTask,
    if_match: IfMatch,
    db: DbSession,
    jobs: Jobs,
    response: Response,
) -> Task:
    """Change a task (send `If-Match` to avoid lost updates)."""
    task = await task_service.update_task(
        db, project=project, task=task, data=data, expected_versions=if_match, jobs=jobs
    )
    response.headers["ETag"] = etag(task.version)
    return task


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ConcurrentUpdateError, PreconditionFailedError),
)
async def delete_task(
    project: VisibleProject, task: VisibleTask, if_match: IfMatch, db: DbSession
) -> None:
    """Delete a task."""
    await task_service.delete_task(db, project=project, task=task, expected_versions=if_match)
