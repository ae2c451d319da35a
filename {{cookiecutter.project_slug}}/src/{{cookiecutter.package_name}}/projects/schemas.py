import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.schemas import (
    NamedChoice,
    NoNul,
    StrictModel,
    Text,
    Unclearable,
    VersionedRead,
)
from {{ cookiecutter.package_name }}.projects.models import DESCRIPTION_LENGTH, NAME_LENGTH

ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_LENGTH), NoNul
]
Description = Annotated[str, Field(max_length=DESCRIPTION_LENGTH), NoNul]


class ProjectSort(NamedChoice):
    """The order of a project list; the ID breaks ties."""

    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    NAME = "name"


class ProjectCreate(StrictModel):
    name: ProjectName
    description: Description | None = None


class ProjectUpdate(StrictModel):
    """Every field optional; only the fields sent are changed (`null` clears the description)."""

    name: Unclearable[ProjectName] = None
    description: Description | None = None


class TaskCounts(BaseModel):
    todo: int
    doing: int
    done: int


class ProjectRead(VersionedRead):
    owner_id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    task_counts: TaskCounts


class ProjectQuery(PageQuery):
    q: Text | None = Field(
        default=None, min_length=1, max_length=NAME_LENGTH, description="In the name."
    )
    sort: ProjectSort = ProjectSort.CREATED_AT
