"""The tasks domain's job, called as the worker calls it (tests/worker runs a real worker)."""

import logging
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.mail_catcher import MailCatcher
from {{ cookiecutter.package_name }}.tasks.jobs import notify_assignee
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task
from tests.support import catching_mailer, job_context


@pytest.mark.parametrize("runs", [1, 2])
async def test_the_assignee_is_mailed_each_time_the_job_runs(
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_catcher: MailCatcher,
    caplog: pytest.LogCaptureFixture,
    runs: int,
) -> None:
    owner = await create_user(db)
    assignee = await create_user(db, email="Ann.Lee@Example.org", full_name="Ann <b>Lee</b>")
    project = await create_project(db, owner=owner, name="Launch & <script>")
    task = await create_task(
        db, project=project, assignee=assignee, title='Write "the" <i>plan</i>'
    )
    context = job_context(
        UnitsOfWork(sessionmaker),
        mailer=catching_mailer(mail_catcher),
        task_name=notify_assignee.name,
    )
    with caplog.at_level(logging.INFO, logger="{{ cookiecutter.package_name }}.tasks.jobs"):
        for _ in range(runs):
            await notify_assignee(
                context,
                owner_id=owner.id,
                project_id=project.id,
                task_id=task.id,
                assignee_id=assignee.id,
            )
    told = [r for r in caplog.records if r.getMessage() == "Told the assignee about their task"]
    assert [(r.task_id, r.assignee_id) for r in told] == [(str(task.id), str(assignee.id))] * runs  # type: ignore[attr-defined]
    assert len(mail_catcher.caught) == runs
    mail = mail_catcher.caught[0]
    assert mail.recipients == ["Ann.Lee@Example.org"]
    assert mail.subject.endswith("A task was assigned to you")
    assert mail.links == [f"http://localhost:3000/projects/{project.id}/tasks/{task.id}"]
    # What users typed is text in both parts: escaped in the HTML, as typed in the plain text.
    assert 'Write "the" <i>plan</i>' in mail.part("plain")
    html = mail.part("html")
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in html
    assert "Launch &amp; &lt;script&gt;" in html
    assert "<script>" not in html
    assert "<i>" not in html


async def test_an_inactive_assignee_is_not_mailed(
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    mail_catcher: MailCatcher,
    user: User,
) -> None:
    gone = await create_user(db, is_active=False)
    project = await create_project(db, owner=user)
    task = await create_task(db, project=project, assignee=gone)
    context = job_context(UnitsOfWork(sessionmaker), mailer=catching_mailer(mail_catcher))
    await notify_assignee(
        context, owner_id=user.id, project_id=project.id, task_id=task.id, assignee_id=gone.id
    )
    assert mail_catcher.caught == []


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
            owner_id=user.id,
            project_id=project_id,
            task_id=task_id,
            assignee_id=assignee_id,
        )
    assert [r.getMessage() for r in caplog.records] == [
        "Task no longer assigned to this user; nothing to tell"
    ]
