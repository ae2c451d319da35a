import uuid
from typing import Annotated

from fastapi import Depends, Query

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.core.errors import NotFoundError, raises
from {{ cookiecutter.package_name }}.projects import service as project_service
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import ProjectQuery
from {{ cookiecutter.package_name }}.web.dependencies import DbSession


@raises(NotFoundError)
async def get_visible_project(project_id: uuid.UUID, user: CurrentUser, db: DbSession) -> Project:
    return await project_service.get_project(db, user=user, project_id=project_id)


# The project in the path, if the caller may see it: it is theirs, or they are an admin (404
# otherwise, whether it exists or not).
VisibleProject = Annotated[Project, Depends(get_visible_project)]

# Limit, offset, filter and sort from the query string; any other parameter is a 422.
ProjectQueryDep = Annotated[ProjectQuery, Query()]
