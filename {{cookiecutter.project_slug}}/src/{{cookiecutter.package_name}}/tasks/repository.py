import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Self, assert_never

from sqlalchemy import Row, Select, String, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from {{ cookiecutter.package_name }}.core.repository import Repository, paged, substring_pattern
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.tasks.schemas import TaskQuery, TaskSort
from {{ cookiecutter.package_name }}.users.models import User


@dataclass(frozen=True, slots=True)
class AssigneeName:
    id: uuid.UUID
    full_name: str


@dataclass(frozen=True, slots=True)
class ListedTask:
    """A task as the list reads it: plain values from one row, not an ORM object.

    A page of ORM objects costs twice the CPU of the same rows read as values (each object gets
    its identity-map entry and change tracking, and a joined assignee makes the ORM wrap the
    query in a subquery; docs/performance.md). The list changes nothing, so it needs none of
    that; a task that is read to be changed is still a `Task` (`get`)."""

    id: uuid.UUID
    version: int
    project_id: uuid.UUID
    title: str
    description: str | None
    status: TaskStatus
    due_date: date | None
    estimate: Decimal | None
    created_at: datetime
    updated_at: datetime
    assignee: AssigneeName | None


# The columns of a ListedTask, in its order, then the assignee's (NULL for an unassigned task).
_LISTED_COLUMNS = (
    Task.id,
    Task.version,
    Task.project_id,
    Task.title,
    Task.description,
    Task.status,
    Task.due_date,
    Task.estimate,
    Task.created_at,
    Task.updated_at,
    Task.assignee_id,
    User.full_name,
)
# Their types, and the page's rows: those values and the total.
ListedValues = tuple[
    uuid.UUID,
    int,
    uuid.UUID,
    str,
    str | None,
    TaskStatus,
    date | None,
    Decimal | None,
    datetime,
    datetime,
    uuid.UUID | None,
    str | None,
]
ListedPage = Select[*ListedValues, int]


def _listed(row: Row[*ListedValues, int]) -> ListedTask:
    (
        task_id,
        version,
        project_id,
        title,
        description,
        status,
        due_date,
        estimate,
        created_at,
        updated_at,
        assignee_id,
        full_name,
        _total,
    ) = row
    return ListedTask(
        task_id,
        version,
        project_id,
        title,
        description,
        status,
        due_date,
        estimate,
        created_at,
        updated_at,
        # The join finds no user only for an unassigned task (assignee_id is a foreign key).
        assignee=None
        if assignee_id is None or full_name is None
        else AssigneeName(assignee_id, full_name),
    )


def _sorted(statement: Select[*ListedValues], sort: TaskSort) -> Select[*ListedValues]:
    # The ID breaks ties, so rows never move between pages.
    match sort:
        case TaskSort.CREATED_AT:
            return statement.order_by(Task.created_at, Task.id)
        case TaskSort.CREATED_AT_DESC:
            return statement.order_by(Task.created_at.desc(), Task.id)
        case TaskSort.DUE_DATE:
            return statement.order_by(Task.due_date.asc().nulls_last(), Task.id)
        case TaskSort.TITLE:
            return statement.order_by(Task.title, Task.id)
        case _:
            assert_never(sort)


@functools.cache
def _page_statement(sort: TaskSort, *, status: bool, due_before: bool, text: bool) -> ListedPage:
    """The task list's page for one shape of query (which filters are set, and the sort),
    built the first time that shape is asked for; each request binds its own values. There
    are 32 shapes; building a statement and its cache key on every request cost more CPU
    than the rest of the query's Python (docs/performance.md)."""
    statement = (
        select(*_LISTED_COLUMNS)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.project_id == bindparam("project_id"))
    )
    if status:
        statement = statement.where(Task.status == bindparam("status"))
    if due_before:
        statement = statement.where(Task.due_date < bindparam("due_before"))
    if text:
        pattern = bindparam("pattern", type_=String)
        statement = statement.where(
            or_(
                Task.title.ilike(pattern, escape="\\"),
                Task.description.ilike(pattern, escape="\\"),
            )
        )
    return paged(_sorted(statement, sort))


class TaskRepository(Repository[Task]):
    """The tasks of one project (the caller has already been allowed to see the project)."""

    model = Task
    noun = "Task"

    def __init__(self, db: AsyncSession, *, project_id: uuid.UUID) -> None:
        """Build it with `in_project`, which says whose tasks it reads."""
        super().__init__(db)
        self.project_id = project_id

    @classmethod
    def in_project(cls, db: AsyncSession, project_id: uuid.UUID) -> Self:
        return cls(db, project_id=project_id)

    def base_statement(self) -> Select[Task]:
        # The assignee comes in the same query (a LEFT JOIN): no query per task.
        return (
            select(Task)
            .where(Task.project_id == self.project_id)
            .options(joinedload(Task.assignee))
        )

    async def list_page(self, query: TaskQuery) -> tuple[list[ListedTask], int]:
        """A page of the project's tasks with their assignees, and the total over the filter."""
        page = _page_statement(
            query.sort,
            status=query.status is not None,
            due_before=query.due_before is not None,
            text=query.q is not None,
        )
        params = {
            "project_id": self.project_id,
            "status": query.status,
            "due_before": query.due_before,
            "pattern": None if query.q is None else substring_pattern(query.q),
        }
        rows, total = await self.read_page(page, params, limit=query.limit, offset=query.offset)
        return [_listed(row) for row in rows], total
