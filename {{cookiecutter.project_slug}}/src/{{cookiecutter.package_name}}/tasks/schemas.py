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
from {{ cookiecutter.package_name }}.core.schemas import NoNul, StrictModel, Text, refuse_nulls
from {{ cookiecutter.package_name }}.tasks.models import (
    DESCRIPTION_LENGTH,
    ESTIMATE_DECIMALS,
    ESTIMATE_DIGITS,
    TITLE_LENGTH,
    TaskStatus,
)

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_LENGTH), NoNul
]
Description = Annotated[str, Field(max_length=DESCRIPTION_LENGTH), NoNul]
# One cent: the smallest step the column stores.
CENT = Decimal(1).scaleb(-ESTIMATE_DECIMALS)
# What the column stores exactly. Always two decimals, so "12" is "12.00" in the response to the
# create and in every read after it.
Estimate = Annotated[
    Decimal,
    Field(ge=0, max_digits=ESTIMATE_DIGITS, decimal_places=ESTIMATE_DECIMALS),
    # "+ 0" turns a "-0" into 0, so no estimate reads "-0.00".
    AfterValidator(lambda amount: (amount + 0).quantize(CENT)),
]


TaskSort = Literal["created_at", "-created_at", "due_date", "title"]


class TaskCreate(StrictModel):
    title: Title
    description: Description | None = None
    status: TaskStatus = TaskStatus.TODO
    due_date: date | None = None
    assignee_id: uuid.UUID | None = None
    estimate: Estimate | None = None


class TaskUpdate(StrictModel):
    """Every field optional; only the fields sent are changed (`null` clears an optional one)."""

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
        default=None,
        min_length=1,
        max_length=TITLE_LENGTH,
        description="In the title or description.",
    )
    sort: TaskSort = "created_at"
