"""The task repository on its own: what a write over a vanished reference becomes, and the
list read as plain values from statements built once per shape of query."""

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import ConflictError
from {{ cookiecutter.package_name }}.projects.repository import ProjectRepository
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.tasks.repository import (
    AssigneeName,
    ListedTask,
    TaskRepository,
)
from {{ cookiecutter.package_name }}.tasks.schemas import TaskQuery
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task


async def test_a_task_for_a_project_deleted_meanwhile_is_a_conflict(
    db: AsyncSession, user: User
) -> None:
    # What another request deleting the project between our check and our INSERT looks like.
    project = await create_project(db, owner=user)
    await ProjectRepository.for_owner(db, user.id).delete(project)
    with pytest.raises(ConflictError) as error:
        await TaskRepository(db, project_id=project.id).create(
            Task(project_id=project.id, title="Orphan")
        )
    assert error.value.code == "reference_deleted"


async def test_a_listed_task_holds_the_values_of_the_task_and_its_assignee(
    db: AsyncSession, user: User
) -> None:
    project = await create_project(db, owner=user)
    assignee = await create_user(db, full_name="Ada Assignee")
    task = await create_task(db, project=project, assignee=assignee, estimate=Decimal("2.50"))
    unassigned = await create_task(db, project=project)

    listed, total = await TaskRepository.in_project(db, project.id).list_page(
        TaskQuery.model_validate({"sort": "created_at"})
    )

    # Both were made in this transaction, at the same now(): the ID orders them.
    assert total == 2
    assert listed == sorted(
        [
            ListedTask(
                task.id,
                task.version,
                project.id,
                task.title,
                task.description,
                task.status,
                task.due_date,
                Decimal("2.50"),
                task.created_at,
                task.updated_at,
                assignee=AssigneeName(assignee.id, "Ada Assignee"),
            ),
            ListedTask(
                unassigned.id,
                unassigned.version,
                project.id,
                unassigned.title,
                unassigned.description,
                unassigned.status,
                unassigned.due_date,
                None,
                unassigned.created_at,
                unassigned.updated_at,
                assignee=None,
            ),
        ],
        key=lambda listed_task: listed_task.id,
    )


async def test_one_statement_serves_every_query_of_its_shape_with_that_querys_values(
    db: AsyncSession, user: User
) -> None:
    # The page statement is built once per shape and cached: the second query must not see
    # the first one's project, status or text.
    first, second = await create_project(db, owner=user), await create_project(db, owner=user)
    await create_task(db, project=first, title="alpha", status=TaskStatus.DONE)
    await create_task(db, project=second, title="beta", status=TaskStatus.TODO)
    await create_task(db, project=second, title="alpha two", status=TaskStatus.TODO)

    def query(status: str, text: str) -> TaskQuery:
        return TaskQuery.model_validate({"status": status, "q": text})

    done, done_total = await TaskRepository.in_project(db, first.id).list_page(query("done", "alp"))
    todo, todo_total = await TaskRepository.in_project(db, second.id).list_page(
        query("todo", "alp")
    )

    assert ([task.title for task in done], done_total) == (["alpha"], 1)
    assert ([task.title for task in todo], todo_total) == (["alpha two"], 1)


async def test_a_page_past_the_end_of_the_list_is_empty_with_the_true_total(
    db: AsyncSession, user: User
) -> None:
    project = await create_project(db, owner=user)
    for _ in range(3):
        await create_task(db, project=project)

    page, total = await TaskRepository.in_project(db, project.id).list_page(
        TaskQuery.model_validate({"offset": 10})
    )

    assert (page, total) == ([], 3)
