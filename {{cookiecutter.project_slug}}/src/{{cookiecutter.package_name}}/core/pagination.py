"""List parameters: a capped `limit` (over the cap is a 422, never silently clipped), an
`offset`, and no parameter the route does not know. The `total` of a page is counted over the
whole filter by the repository."""
{% if cookiecutter.python_version == "3.11" %}
from typing import Generic, TypeVar
{% endif %}
from pydantic import BaseModel, ConfigDict, Field, model_validator

from {{ cookiecutter.package_name }}.core.schemas import StrictModel

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deeper than this, offset paging is slow anyway: narrow the filter instead.
MAX_OFFSET = 1_000_000
{%- if cookiecutter.python_version == "3.11" %}

ItemT = TypeVar("ItemT")
{%- endif %}


class PageQuery(StrictModel):
    """The query parameters of a list. Routes with filters extend it with their own fields."""

    model_config = ConfigDict(frozen=True)

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @model_validator(mode="before")
    @classmethod
    def _only_known_parameters(cls, data: object) -> object:
        # A typo (`?staus=done`) must not silently return everything: refuse it, saying what
        # this list accepts.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                allowed = ", ".join(cls.model_fields)
                raise ValueError(f"unknown parameter {', '.join(unknown)}; allowed: {allowed}")
        return data


{% if cookiecutter.python_version == "3.11" -%}
class Page(BaseModel, Generic[ItemT]):
{%- else -%}
class Page[ItemT](BaseModel):
{%- endif %}
    items: list[ItemT]
    total: int
    limit: int
    offset: int
