import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.schemas import NoNul, Text, refuse_nulls
from {{ cookiecutter.package_name }}.projects.models import Project

ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
Description = Annotated[str, Field(max_length=2000), NoNul]


ProjectSort = Literal["created_at", "-created_at", "name"]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProjectName
    description: Description | None = None


class ProjectUpdate(BaseModel):
    """Every field optional; only the fields sent are changed (`null` clears the description)."""

    model_config = ConfigDict(extra="forbid")

    name: ProjectName | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _required_fields_cannot_be_cleared(self) -> Self:
        refuse_nulls(self, "name")
        return self


class TaskCounts(BaseModel):
    todo: int = 0
    doing: int = 0
    done: int = 0


@dataclass(frozen=True, slots=True)
class ProjectWithCounts:
    """A project with its tasks counted per status, as the repository reads them together."""

    project: Project
    task_counts: TaskCounts


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
    q: Text | None = Field(default=None, min_length=1, max_length=200, description="In the name.")
    sort: ProjectSort = "created_at"
