import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.schemas import NoNul, Text, refuse_nulls
from {{ cookiecutter.package_name }}.tasks.models import TaskStatus

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
Description = Annotated[str, Field(max_length=5000), NoNul]
CENT = Decimal("0.01")
# At most 10 digits before the point and 2 after: what NUMERIC(12, 2) stores exactly. Always
# two decimals, so "12" is "12.00" in the response to the create and in every read after it.
Estimate = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    # "+ 0" turns a "-0" into 0, so no estimate reads "-0.00".
    AfterValidator(lambda amount: (amount + 0).quantize(CENT)),
]


TaskSort = Literal["created_at", "-created_at", "due_date", "title"]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    status: TaskStatus = TaskStatus.TODO
    due_date: date | None = None
    assignee_id: uuid.UUID | None = None
    estimate: Estimate | None = None


class TaskUpdate(BaseModel):
    """Every field optional; only the fields sent are changed (`null` clears an optional one)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    status: TaskStatus | None = None
    due_date: date | None = None
    assignee_id: uuid.UUID | None = None
    estimate: Estimate | None = None

    @model_validator(mode="after")
    def _required_fields_cannot_be_cleared(self) -> Self:
        refuse_nulls(self, "title", "status")
        return self


class AssigneeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str | None
    status: TaskStatus
    due_date: date | None
    assignee: AssigneeRead | None
    estimate: Decimal | None = Field(description='A decimal string, e.g. "12.50".')
    version: int
    created_at: datetime
    updated_at: datetime


class TaskQuery(PageQuery):
    status: TaskStatus | None = None
    due_before: date | None = Field(default=None, description="Tasks due before this day.")
    q: Text | None = Field(
        default=None, min_length=1, max_length=200, description="In the title or description."
    )
    sort: TaskSort = "created_at"
