"""The account mails' jobs, called as the worker calls them, against a real SMTP server."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.accounts import service as account_service
from {{ cookiecutter.package_name }}.accounts.jobs import (
    purge_spent_tokens,
    send_password_reset,
    send_verification,
)
from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.accounts.repository import AccountTokenRepository
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork
from {{ cookiecutter.package_name }}.core.jobs import TransactionalJobQueue
from {{ cookiecutter.package_name }}.core.mail import SmtpMailer, TransientMailError
from {{ cookiecutter.package_name }}.core.mail_catcher import MailCatcher
from {{ cookiecutter.package_name }}.core.row_security import act_for
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

from tests.factories import FAST_PASSWORDS, create_user
from tests.support import (
    catching_mailer,
    free_port,
    job_context,
    mail_settings,
    queued_jobs,
    token_from,
)


async def tokens_stored(db: AsyncSession, user: User) -> int:
    """The user's account tokens, read as that user (row-level security hides them otherwise)."""
    await act_for(db, user.id)
    return int(await db.scalar(select(func.count()).select_from(AccountToken)) or 0)


async def test_a_mail_that_could_not_be_sent_leaves_no_usable_token(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], mail_catcher: MailCatcher
) -> None:
    user = await create_user(db, verified=False)
    units = UnitsOfWork(sessionmaker)
    down = job_context(units, mailer=SmtpMailer(mail_settings(free_port())))

    with pytest.raises(TransientMailError):
        await send_verification(down, user_id=user.id)
    assert await tokens_stored(db, user) == 0

    # The retry, once the server is back: one mail, and the one token it carries.
    await send_verification(
        job_context(units, mailer=catching_mailer(mail_catcher)), user_id=user.id
    )
    [mail] = mail_catcher.caught
    assert token_from(mail, "verify-email")
    assert await tokens_stored(db, user) == 1


async def test_a_job_for_an_address_without_an_account_sends_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], mail_catcher: MailCatcher
) -> None:
    context = job_context(UnitsOfWork(sessionmaker), mailer=catching_mailer(mail_catcher))
    await send_verification(context, user_id=None)
    await send_password_reset(context, user_id=None)
    assert mail_catcher.caught == []


async def test_a_registration_that_rolls_back_leaves_no_account_and_no_job(
    db: AsyncSession,
) -> None:
    class RequestFailedError(Exception):
        pass

    with pytest.raises(RequestFailedError):
        async with db.begin_nested():
            await account_service.register(
                db,
                data=UserCreate(email="doomed@example.com", password="long enough!", full_name="D"),
                passwords=FAST_PASSWORDS,
                jobs=TransactionalJobQueue(db),
                refuse_lookalikes=True,
            )
            assert [job.task_name for job in await queued_jobs(db)] == [
                "accounts.send_verification"
            ]
            raise RequestFailedError
    assert await queued_jobs(db) == []
    assert await UserRepository(db).find_by_email("doomed@example.com") is None


async def test_the_purge_deletes_used_and_expired_tokens_only(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    user = await create_user(db)
    now = datetime.now(UTC)
    await act_for(db, user.id)
    for expires_in, used_at, digest in [
        (timedelta(hours=1), None, "live"),
        (timedelta(hours=1), now, "used"),
        (timedelta(hours=-1), None, "expired"),
    ]:
        await AccountTokenRepository(db).create(
            AccountToken(
                user_id=user.id,
                purpose=TokenPurpose.VERIFY_EMAIL,
                email=user.email,
                token_hash=digest,
                expires_at=now + expires_in,
                used_at=used_at,
            )
        )
    await purge_spent_tokens(job_context(UnitsOfWork(sessionmaker)), timestamp=int(now.timestamp()))
    await act_for(db, user.id)
    assert (await db.execute(select(AccountToken.token_hash))).scalars().all() == ["live"]
