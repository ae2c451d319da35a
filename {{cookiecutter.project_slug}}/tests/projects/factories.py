"""Factories for the example domain. They only flush: the test's transaction is rolled back."""

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.row_security import act_for
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.tasks.repository import TaskRepository
from {{ cookiecutter.package_name }}.users.models import User

_sequence = itertools.count(1)


async def create_project(
    db: AsyncSession, *, owner: User, name: str | None = None, description: str | None = None
) -> Project:
    """A project of `owner`, who stays the caller that row-level security sees in `db`."""
    project = Project(
        owner_id=owner.id, name=name or f"Project {next(_sequence)}", description=description
    )
    await act_for(db, owner.id)
    return await ProjectRepository.for_owner(db, owner.id).create(project)


async def create_task(
    db: AsyncSession,
    *,
    project: Project,
    title: str | None = None,
    status: TaskStatus = TaskStatus.TODO,
    due_date: date | None = None,
    assignee: User | None = None,
    estimate: Decimal | None = None,
    description: str | None = None,
) -> Task:
    """A task of `project`, created as its owner (who stays the caller in `db`)."""
    task = Task(
        project_id=project.id,
        title=title or f"Task {next(_sequence)}",
        description=description,
        status=status,
        due_date=due_date,
        assignee_id=assignee.id if assignee else None,
        assignee=assignee,
        estimate=estimate,
    )
    await act_for(db, project.owner_id)
    return await TaskRepository(db, project_id=project.id).create(task)
