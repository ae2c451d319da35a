import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.schemas import NoNul, StrictModel, Text, refuse_nulls
from {{ cookiecutter.package_name }}.projects.models import DESCRIPTION_LENGTH, NAME_LENGTH

ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_LENGTH), NoNul
]
Description = Annotated[str, Field(max_length=DESCRIPTION_LENGTH), NoNul]


ProjectSort = Literal["created_at", "-created_at", "name"]


class ProjectCreate(StrictModel):
    name: ProjectName
    description: Description | None = None


class ProjectUpdate(StrictModel):
    """Every field optional; only the fields sent are changed (`null` clears the description)."""

    name: ProjectName | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _required_fields_cannot_be_cleared(self) -> Self:
        refuse_nulls(self, "name")
        return self


class TaskCounts(BaseModel):
    todo: int
    doing: int
    done: int


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    task_counts: TaskCounts


class ProjectQuery(PageQuery):
    q: Text | None = Field(
        default=None, min_length=1, max_length=NAME_LENGTH, description="In the name."
    )
    sort: ProjectSort = "created_at"
