import uuid
from collections.abc import Sequence
from typing import Self, assert_never

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from {{ cookiecutter.package_name }}.core.repository import Repository, contains
from {{ cookiecutter.package_name }}.tasks.models import Task
from {{ cookiecutter.package_name }}.tasks.schemas import TaskQuery, TaskSort


def _sorted(statement: Select[Task], sort: TaskSort) -> Select[Task]:
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

    async def list_page(self, query: TaskQuery) -> tuple[Sequence[Task], int]:
        statement = self.base_statement()
        if query.status is not None:
            statement = statement.where(Task.status == query.status)
        if query.due_before is not None:
            statement = statement.where(Task.due_date < query.due_before)
        if query.q is not None:
            statement = statement.where(
                or_(contains(Task.title, query.q), contains(Task.description, query.q))
            )
        return await self.paginate(
            _sorted(statement, query.sort), limit=query.limit, offset=query.offset
        )
