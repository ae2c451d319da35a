import uuid
from typing import Annotated

from fastapi import Depends, Query

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.core.db import DbSession
from {{ cookiecutter.package_name }}.projects import service as project_service
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import ProjectQuery


async def get_owned_project(
    project_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> Project:
    return await project_service.get_project(session, user=user, project_id=project_id)


OwnedProject = Annotated[Project, Depends(get_owned_project)]

# Limit, offset, filter and sort from the query string; any other parameter is a 422.
ProjectQueryDep = Annotated[ProjectQuery, Query()]
