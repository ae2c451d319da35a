import uuid
from typing import Annotated

from fastapi import Depends, Query, Request

from {{ cookiecutter.package_name }}.auth.dependencies import (
    AccessClaims,
    known_caller,
    remember_caller,
)
from {{ cookiecutter.package_name }}.core.errors import InvalidTokenError, NotFoundError, raises
from {{ cookiecutter.package_name }}.projects import service as project_service
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import ProjectQuery
from {{ cookiecutter.package_name }}.web.dependencies import DbSession


@raises(InvalidTokenError, NotFoundError)
async def get_visible_project(
    project_id: uuid.UUID, claims: AccessClaims, db: DbSession, request: Request
) -> Project:
    """The caller and the project in one statement; `CurrentUser` then reuses that caller."""
    known = known_caller(request)
    if known is not None:
        return await project_service.get_project(db, user=known, project_id=project_id)
    user, project = await project_service.get_project_and_caller(
        db, claims=claims, project_id=project_id
    )
    remember_caller(request, user)
    return project


# The project in the path, if the caller may see it: it is theirs, or they are an admin (404
# otherwise, whether it exists or not).
VisibleProject = Annotated[Project, Depends(get_visible_project)]

# Limit, offset, filter and sort from the query string; any other parameter is a 422.
ProjectQueryDep = Annotated[ProjectQuery, Query()]
