"""The tasks domain's job, called as the worker calls it (tests/worker runs a real worker)."""

import logging
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.tasks.jobs import notify_assignee
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task
from tests.support import job_context


@pytest.mark.parametrize("runs", [1, 2])
async def test_the_assignee_is_told_each_time_the_job_runs(
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    caplog: pytest.LogCaptureFixture,
    runs: int,
) -> None:
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project, assignee=user)
    context = job_context(UnitsOfWork(sessionmaker), task_name=notify_assignee.name)
    with caplog.at_level(logging.INFO, logger="{{ cookiecutter.package_name }}.tasks.jobs"):
        for _ in range(runs):
            await notify_assignee(
                context, project_id=project.id, task_id=task.id, assignee_id=user.id
            )
    told = [r for r in caplog.records if r.getMessage() == "Told the assignee about their task"]
    assert [(r.task_id, r.assignee_id) for r in told] == [(str(task.id), str(user.id))] * runs  # type: ignore[attr-defined]


@pytest.mark.parametrize("since", ["reassigned", "deleted", "in another project"])
async def test_nobody_is_told_about_a_task_that_changed_since_the_job_was_deferred(
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    caplog: pytest.LogCaptureFixture,
    since: str,
) -> None:
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project, assignee=user)
    assignee_id, project_id, task_id = user.id, project.id, task.id
    if since == "reassigned":
        assignee_id = (await create_user(db)).id
    elif since == "deleted":
        task_id = uuid.uuid4()
    else:
        project_id = (await create_project(db, owner=user)).id
    with caplog.at_level(logging.INFO, logger="{{ cookiecutter.package_name }}.tasks.jobs"):
        await notify_assignee(
            job_context(UnitsOfWork(sessionmaker)),
            project_id=project_id,
            task_id=task_id,
            assignee_id=assignee_id,
        )
    assert [r.getMessage() for r in caplog.records] == [
        "Task no longer assigned to this user; nothing to tell"
    ]
