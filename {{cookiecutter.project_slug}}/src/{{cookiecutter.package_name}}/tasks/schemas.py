import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.schemas import (
    IsoDate,
    NamedChoice,
    NoNul,
    StrictModel,
    Text,
    Unclearable,
    VersionedRead,
)
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
# An estimate travels as a decimal string, never a JSON number: a float would round it before
# the server saw it. The schema says exactly what the server accepts (digits, an optional
# fraction of up to two places, no sign or exponent) and what it sends back (always two places,
# so "12" is "12.00" in the response to the create and in every read after it).
_WHOLE_DIGITS = ESTIMATE_DIGITS - ESTIMATE_DECIMALS


def _repeat(least: int, most: int) -> str:
    # A regex quantifier: "{1,10}", or "{2}" when both are the same.
    return "{" + (str(most) if least == most else f"{least},{most}") + "}"


ESTIMATE_PATTERN = rf"^[0-9]{_repeat(1, _WHOLE_DIGITS)}(\.[0-9]{_repeat(1, ESTIMATE_DECIMALS)})?$"
ESTIMATE_READ_PATTERN = (
    rf"^[0-9]{_repeat(1, _WHOLE_DIGITS)}\.[0-9]{_repeat(ESTIMATE_DECIMALS, ESTIMATE_DECIMALS)}$"
)
_ESTIMATE = re.compile(ESTIMATE_PATTERN)
# One cent: the smallest step the column stores.
CENT = Decimal(1).scaleb(-ESTIMATE_DECIMALS)


def _estimate_text(value: object) -> str:
    if not isinstance(value, str) or not _ESTIMATE.fullmatch(value):
        raise ValueError(
            f'must be a decimal string such as "12.50": up to {_WHOLE_DIGITS} digits, '
            f"then up to {ESTIMATE_DECIMALS} decimals"
        )
    return value


Estimate = Annotated[
    Decimal,
    BeforeValidator(_estimate_text),
    AfterValidator(lambda amount: amount.quantize(CENT)),
    WithJsonSchema({"type": "string", "pattern": ESTIMATE_PATTERN, "examples": ["12.5"]}),
]
EstimateRead = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": ESTIMATE_READ_PATTERN, "examples": ["12.50"]}),
]


class TaskSort(NamedChoice):
    """The order of a task list; the ID breaks ties."""

    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    DUE_DATE = "due_date"
    TITLE = "title"


class TaskCreate(StrictModel):
    title: Title
    description: Description | None = None
    status: TaskStatus = TaskStatus.TODO
    due_date: IsoDate | None = None
    assignee_id: uuid.UUID | None = None
    estimate: Estimate | None = None


class TaskUpdate(StrictModel):
    """Every field optional; only the fields sent are changed (`null` clears an optional one)."""

    title: Unclearable[Title] = None
    description: Description | None = None
    status: Unclearable[TaskStatus] = None
    due_date: IsoDate | None = None
    assignee_id: uuid.UUID | None = None
    estimate: Estimate | None = None


class AssigneeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str


class TaskRead(VersionedRead):
    project_id: uuid.UUID
    title: str
    description: str | None
    status: TaskStatus
    due_date: date | None
    assignee: AssigneeRead | None
    estimate: EstimateRead | None
    created_at: datetime
    updated_at: datetime


class TaskQuery(PageQuery):
    status: TaskStatus | None = None
    due_before: IsoDate | None = Field(default=None, description="Tasks due before this day.")
    q: Text | None = Field(
        default=None,
        min_length=1,
        max_length=TITLE_LENGTH,
        description="In the title or description.",
    )
    sort: TaskSort = TaskSort.CREATED_AT
