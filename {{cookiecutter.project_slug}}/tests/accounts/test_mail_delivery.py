"""An account mail through a real worker process and a real SMTP server: a mail server that is
down when the job first runs gets the mail once it is back, exactly once, with one token."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from {{ cookiecutter.package_name }}.accounts.jobs import send_verification
from {{ cookiecutter.package_name }}.core.db import create_sessionmaker, unit_of_work
from {{ cookiecutter.package_name }}.core.jobs import TransactionalJobQueue
from {{ cookiecutter.package_name }}.core.mail_catcher import MailCatcher
from {{ cookiecutter.package_name }}.core.row_security import act_for

from tests.factories import create_user
from tests.support import free_port, token_from
from tests.worker.processes import eventually, in_state, job_state, worker

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def engine(committing_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committing_database_url)
    yield engine
    await engine.dispose()


async def retries_logged(engine: AsyncEngine, job_id: int) -> int:
    async with engine.connect() as connection:
        count: int = await connection.scalar(
            text(
                "SELECT count(*) FROM procrastinate_events"
                " WHERE job_id = :id AND type = 'deferred_for_retry'"
            ),
            {"id": job_id},
        )
    return count


async def test_a_mail_server_that_was_down_gets_the_mail_once_it_is_back(
    engine: AsyncEngine, committing_database_url: str, tmp_path: Path
) -> None:
    async with unit_of_work(create_sessionmaker(engine)) as db:
        user = await create_user(db, email="ann@example.org", verified=False)
        await TransactionalJobQueue(db).defer(send_verification, user_id=user.id)
        job_id: int = await db.scalar(text("SELECT max(id) FROM procrastinate_jobs"))
    port = free_port()  # nothing listens here yet: the mail server is down
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none"}
    catcher = MailCatcher()
    async with worker(committing_database_url, tmp_path, **settings) as running:
        await eventually(lambda: _has_retried(engine, job_id), "the first attempt failed")
        await catcher.start(port=port)
        try:
            await eventually(in_state(engine, job_id, "succeeded"), "the job succeeded")
        finally:
            await catcher.close()
    [mail] = catcher.caught
    assert mail.recipients == ["ann@example.org"]
    assert token_from(mail, "verify-email")
    # The failed attempt's token was rolled back with it: one token, the one mailed.
    assert await tokens_stored(engine, user.id) == 1
    state = await job_state(engine, job_id)
    assert state is not None
    assert state[0] == "succeeded"
    assert state[1] >= 2  # the failed run and the one that delivered
    lines = running.lines()
    [retried, *_] = [line for line in lines if line.get("action") == "job_error_retry"]
    assert f"TransientMailError: could not reach the mail server 127.0.0.1:{port}" in str(
        retried["exc_info"]
    )
    assert "a recipient at example.org will be retried" in str(retried["exc_info"])
    # The address itself is in no line the worker wrote.
    assert all("ann@example.org" not in str(line) for line in lines)


async def tokens_stored(engine: AsyncEngine, user_id: uuid.UUID) -> int:
    """The user's account tokens, read as that user (row-level security hides them otherwise)."""
    async with engine.begin() as connection:
        await act_for(connection, user_id)
        count: int = await connection.scalar(text("SELECT count(*) FROM account_tokens"))
    return count


async def _has_retried(engine: AsyncEngine, job_id: int) -> bool:
    return await retries_logged(engine, job_id) >= 1
