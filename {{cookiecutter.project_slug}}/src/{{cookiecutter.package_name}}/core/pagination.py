"""Offset pagination: a capped `limit` (over the cap is a 422, never silently clipped) and a
`total` counted over the whole filter by the repository."""

from dataclasses import dataclass
{% if cookiecutter.python_version == "3.11" -%}
from typing import Annotated, Generic, TypeVar
{%- else -%}
from typing import Annotated
{%- endif %}

from fastapi import Depends, Query
from pydantic import BaseModel

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
{%- if cookiecutter.python_version == "3.11" %}

ItemT = TypeVar("ItemT")
{%- endif %}


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


def get_page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(get_page_params)]


{% if cookiecutter.python_version == "3.11" -%}
class Page(BaseModel, Generic[ItemT]):
{%- else -%}
class Page[ItemT](BaseModel):
{%- endif %}
    items: list[ItemT]
    total: int
    limit: int
    offset: int
