import uuid
from typing import Annotated

from fastapi import Depends, Query

from {{ cookiecutter.package_name }}.core.db import DbSession
from {{ cookiecutter.package_name }}.projects.dependencies import OwnedProject
from {{ cookiecutter.package_name }}.tasks import service as task_service
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.schemas import TaskQuery


async def get_owned_task(task_id: uuid.UUID, project: OwnedProject, session: DbSession) -> Task:
    """A task of a project the caller may see: checked through the project, then the task."""
    return await task_service.get_task(session, project=project, task_id=task_id)


OwnedTask = Annotated[Task, Depends(get_owned_task)]

# Limit, offset, filters and sort from the query string; any other parameter is a 422.
TaskQueryDep = Annotated[TaskQuery, Query()]
