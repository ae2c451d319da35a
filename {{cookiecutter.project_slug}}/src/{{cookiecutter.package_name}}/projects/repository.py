import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Self, assert_never

from sqlalchemy import (
    JSON,
    ScalarSelect,
    Select,
    bindparam,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, with_expression
from sqlalchemy.sql.elements import ColumnElement

from {{ cookiecutter.package_name }}.auth.repository import (
    SESSION_USER,
    SessionUser,
    session_user_params,
)
from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.core.repository import ConflictMap, Repository, contains
from {{ cookiecutter.package_name }}.projects.errors import ProjectNameTakenError
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.schemas import ProjectQuery, ProjectSort
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.users.models import User, UserRole


def _sorted(statement: Select[Project], sort: ProjectSort) -> Select[Project]:
    # The ID breaks ties, so rows never move between pages.
    match sort:
        case ProjectSort.CREATED_AT:
            return statement.order_by(Project.created_at, Project.id)
        case ProjectSort.CREATED_AT_DESC:
            return statement.order_by(Project.created_at.desc(), Project.id)
        case ProjectSort.NAME:
            return statement.order_by(Project.name, Project.id)
        case _:
            assert_never(sort)


def _task_counts() -> ScalarSelect[dict[str, int]]:
    """The project's tasks counted per status, as one JSON object: a subquery per project row
    of the same statement (it uses the index on tasks.project_id), never a query per project."""

    def count(status: TaskStatus) -> ColumnElement[int]:
        return func.count().filter(Task.status == status)

    counts = func.json_build_object(
        *(part for status in TaskStatus for part in (status.value, count(status)))
    )
    return (
        select(type_coerce(counts, JSON())).where(Task.project_id == Project.id).scalar_subquery()
    )


def _caller_and_project() -> Select[User, Project]:
    # The session's user, and the project (NULL when they may not see it: `for_owner` or
    # `unscoped` by their role, written in SQL). Built once, like SESSION_USER, and read like
    # its user: in a LATERAL subquery with OFFSET 0, so that projects is scanned only after the
    # caller is set (see core/row_security.py).
    visible = or_(Project.owner_id == SessionUser.id, SessionUser.role == UserRole.ADMIN)
    project = (
        select(Project)
        .where(Project.id == bindparam("project_id"), visible)
        .offset(0)
        .lateral("visible_project")
    )
    return SESSION_USER.add_columns(aliased(Project, project)).outerjoin(project, true())


_CALLER_AND_PROJECT = _caller_and_project()


class ProjectRepository(Repository[Project]):
    """Projects, seen through one owner's eyes (`for_owner`) or every owner's (`unscoped`)."""

    model = Project
    noun = "Project"
    unique_conflicts: ClassVar[ConflictMap] = {"uq_projects_owner_id_name": ProjectNameTakenError}

    def __init__(self, db: AsyncSession, *, visible: ColumnElement[bool]) -> None:
        """Build it with `for_owner` or `unscoped`, which say whose projects it reads."""
        super().__init__(db)
        self._visible = visible

    @classmethod
    def for_owner(cls, db: AsyncSession, owner_id: uuid.UUID) -> Self:
        return cls(db, visible=Project.owner_id == owner_id)

    @classmethod
    def unscoped(cls, db: AsyncSession) -> Self:
        """Every user's projects: for admin paths only."""
        return cls(db, visible=true())

    def base_statement(self) -> Select[Project]:
        return select(Project).where(self._visible)

    @staticmethod
    async def find_with_caller(
        db: AsyncSession,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        now: datetime,
        project_id: uuid.UUID,
    ) -> tuple[User | None, Project | None]:
        """The caller (as `RefreshTokenRepository.find_session_user` finds them) and, in the
        same statement, the project with this ID if that caller may see it."""
        params = {**session_user_params(user_id, session_id, now=now), "project_id": project_id}
        row = (await db.execute(_CALLER_AND_PROJECT, params)).one_or_none()
        return (None, None) if row is None else (row[0], row[1])

    async def list_counted(self, query: ProjectQuery) -> tuple[Sequence[Project], int]:
        """A page of projects with their `task_counts`, and the total over the filter."""
        statement = self.base_statement()
        if query.q is not None:
            statement = statement.where(contains(Project.name, query.q))
        return await self.paginate(
            _counted(_sorted(statement, query.sort)), limit=query.limit, offset=query.offset
        )

    async def get_counted(self, project_id: uuid.UUID) -> Project:
        """The project with its `task_counts` (re-read if it is already loaded)."""
        statement = _counted(self.base_statement().where(Project.id == project_id))
        project = (await self.db.execute(statement)).scalar_one_or_none()
        if project is None:
            raise NotFoundError(f"Project {project_id} not found")
        return project


def _counted(statement: Select[Project]) -> Select[Project]:
    # populate_existing: a project already in the session (just updated, say) gets its counts.
    return statement.options(
        with_expression(Project.task_counts, _task_counts())
    ).execution_options(populate_existing=True)
