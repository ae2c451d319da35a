import uuid
from typing import ClassVar, assert_never

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.core.repository import ConflictMap, Repository, contains
from {{ cookiecutter.package_name }}.projects.errors import ProjectNameTakenError
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import (
    ProjectQuery,
    ProjectSort,
    ProjectWithCounts,
    TaskCounts,
)
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus


def _sorted(
    statement: Select[Project, int, int, int], sort: ProjectSort
) -> Select[Project, int, int, int]:
    # The ID breaks ties, so rows never move between pages.
    match sort:
        case "created_at":
            return statement.order_by(Project.created_at, Project.id)
        case "-created_at":
            return statement.order_by(Project.created_at.desc(), Project.id)
        case "name":
            return statement.order_by(Project.name, Project.id)
        case _:
            assert_never(sort)


class ProjectRepository(Repository[Project]):
    """Projects, seen through their owner's eyes (or everyone's, for an admin)."""

    model = Project
    noun = "Project"
    unique_conflicts: ClassVar[ConflictMap] = {"uq_projects_owner_id_name": ProjectNameTakenError}

    def __init__(self, session: AsyncSession, *, owner_id: uuid.UUID | None) -> None:
        super().__init__(session)
        # None: no owner filter (admins). Every read below goes through base_statement.
        self.owner_id = owner_id

    def base_statement(self) -> Select[Project]:
        statement = select(Project)
        if self.owner_id is not None:
            statement = statement.where(Project.owner_id == self.owner_id)
        return statement

    async def list_with_counts(self, query: ProjectQuery) -> tuple[list[ProjectWithCounts], int]:
        """A page of projects, each with its tasks counted per status: two statements in all
        (the page with its counts from one aggregate query, and the total)."""
        filtered = self.base_statement()
        if query.q is not None:
            filtered = filtered.where(contains(Project.name, query.q))
        total = (
            await self.session.execute(select(func.count()).select_from(filtered.subquery()))
        ).scalar_one()
        page = (
            _sorted(self._with_counts(filtered), query.sort).limit(query.limit).offset(query.offset)
        )
        rows = await self.session.execute(page)
        return [_row_to_view(row) for row in rows], total

    async def get_with_counts(self, project_id: uuid.UUID) -> ProjectWithCounts:
        statement = self._with_counts(self.base_statement().where(Project.id == project_id))
        row = (await self.session.execute(statement)).one_or_none()
        if row is None:
            raise NotFoundError(f"Project {project_id} not found")
        return _row_to_view(row)

    @staticmethod
    def _with_counts(statement: Select[Project]) -> Select[Project, int, int, int]:
        """`statement` with three more columns: the project's task count for each status."""

        def count(status: TaskStatus) -> ColumnElement[int]:
            return func.count(Task.id).filter(Task.status == status)

        return (
            statement.add_columns(count(TaskStatus.TODO), count(TaskStatus.DOING))
            .add_columns(count(TaskStatus.DONE))
            .outerjoin(Task, Task.project_id == Project.id)
            .group_by(Project.id)
        )


def _row_to_view(row: Row[Project, int, int, int]) -> ProjectWithCounts:
    project, todo, doing, done = row
    return ProjectWithCounts(
        project=project, task_counts=TaskCounts(todo=todo, doing=doing, done=done)
    )
