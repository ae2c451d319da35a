import uuid
from typing import Annotated

from fastapi import Depends, Query

from {{ cookiecutter.package_name }}.core.errors import NotFoundError, raises
from {{ cookiecutter.package_name }}.projects.dependencies import VisibleProject
from {{ cookiecutter.package_name }}.tasks import service as task_service
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.schemas import TaskQuery
from {{ cookiecutter.package_name }}.web.dependencies import DbSession


@raises(NotFoundError)
async def get_visible_task(task_id: uuid.UUID, project: VisibleProject, db: DbSession) -> Task:
    """A task of a project the caller may see: checked through the project, then the task."""
    return await task_service.get_task(db, project=project, task_id=task_id)


VisibleTask = Annotated[Task, Depends(get_visible_task)]

# Limit, offset, filters and sort from the query string; any other parameter is a 422.
TaskQueryDep = Annotated[TaskQuery, Query()]
