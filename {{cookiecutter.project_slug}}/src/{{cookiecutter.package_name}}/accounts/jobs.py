"""The account mails, sent by the job worker (see `worker/process.py`).

Each job mints its token and sends its mail in one unit of work: if the mail server refuses
or is down, the token is rolled back with it (and the retry mints another), so no usable
token exists that nobody was sent. The raw token lives only in the mail; the database keeps
its digest (accounts/tokens.py). Jobs take IDs, never addresses: the job table and the
worker's log lines then hold nothing personal.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from procrastinate import JobContext
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.accounts.repository import AccountTokenRepository
from {{ cookiecutter.package_name }}.accounts.tokens import mint_token
from {{ cookiecutter.package_name }}.core.jobs import (
    job_settings,
    mailer,
    periodic,
    task,
    units_of_work,
)
from {{ cookiecutter.package_name }}.core.mail import mail_templates
from {{ cookiecutter.package_name }}.core.row_security import SystemWork
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository

logger = logging.getLogger(__name__)


@task(name="accounts.send_verification")
async def send_verification(context: JobContext, *, user_id: uuid.UUID | None) -> None:
    """Mail the account a link that confirms its address, unless it is confirmed already.

    `user_id` is None when the address a request named has no account: requests defer this
    job either way, so that having an account takes no more time to answer than not."""
    settings = job_settings(context)
    async with units_of_work(context)(acting_for=user_id) as db:
        user = await _recipient(db, user_id)
        if user is None or user.email_verified_at is not None:
            logger.info("No unverified account to mail a verification link to")
            return
        token = await _mint(
            db,
            user=user,
            purpose=TokenPurpose.VERIFY_EMAIL,
            lifetime=settings.email_verification_token_lifetime,
        )
        mail = mail_templates.compose(
            "accounts/mail/verify_email",
            to=user.email,
            subject="Confirm your email address",
            settings=settings,
            full_name=user.full_name,
            token=token,
        )
        await mailer(context).send(mail)
    logger.info("Mailed a verification link", extra={"user_id": str(user.id)})


@task(name="accounts.send_account_exists")
async def send_account_exists(context: JobContext, *, user_id: uuid.UUID) -> None:
    """Tell an account's owner that someone tried to register their address again, and how
    to get back in if it was them. It carries no token: the request came from anyone."""
    settings = job_settings(context)
    async with units_of_work(context)() as db:
        user = await _recipient(db, user_id)
    if user is None:
        logger.info("The account is gone or inactive; nothing to tell")
        return
    mail = mail_templates.compose(
        "accounts/mail/account_exists",
        to=user.email,
        subject="You already have an account",
        settings=settings,
        full_name=user.full_name,
    )
    await mailer(context).send(mail)
    logger.info("Told an account's owner of a second registration", extra={"user_id": str(user.id)})


@task(name="accounts.send_password_reset")
async def send_password_reset(context: JobContext, *, user_id: uuid.UUID | None) -> None:
    """Mail the account a link to choose a new password; the links it was sent before stop
    working. `user_id` is None for an address with no account (see `send_verification`)."""
    settings = job_settings(context)
    async with units_of_work(context)(acting_for=user_id) as db:
        user = await _recipient(db, user_id)
        if user is None:
            logger.info("No active account to mail a reset link to")
            return
        token = await _mint(
            db,
            user=user,
            purpose=TokenPurpose.RESET_PASSWORD,
            lifetime=settings.password_reset_token_lifetime,
        )
        mail = mail_templates.compose(
            "accounts/mail/password_reset",
            to=user.email,
            subject="Reset your password",
            settings=settings,
            full_name=user.full_name,
            token=token,
            minutes=settings.PASSWORD_RESET_TOKEN_LIFETIME_MINUTES,
        )
        await mailer(context).send(mail)
    logger.info("Mailed a password reset link", extra={"user_id": str(user.id)})


@task(name="accounts.send_email_change")
async def send_email_change(
    context: JobContext, *, user_id: uuid.UUID, token_id: uuid.UUID
) -> None:
    """For a requested change of address: tell the current address, and mail the new one the
    link that makes the change. Nothing, if a newer request replaced this one or it expired."""
    settings = job_settings(context)
    now = datetime.now(UTC)
    async with units_of_work(context)(acting_for=user_id) as db:
        tokens = AccountTokenRepository(db)
        pending = await tokens.find(token_id)
        user = await _recipient(db, pending.user_id) if pending is not None else None
        if (
            pending is None
            or user is None
            or pending.used_at is not None
            or pending.expires_at <= now
        ):
            logger.info("The email change was replaced or expired; nothing to send")
            return
        token, digest = mint_token()
        await tokens.update(pending, {"token_hash": digest})
        send = mailer(context).send
        await send(
            mail_templates.compose(
                "accounts/mail/email_change_notice",
                to=user.email,
                subject="Your email address is being changed",
                settings=settings,
                full_name=user.full_name,
            )
        )
        await send(
            mail_templates.compose(
                "accounts/mail/email_change",
                to=pending.email,
                subject="Confirm your new email address",
                settings=settings,
                full_name=user.full_name,
                token=token,
            )
        )
    logger.info("Mailed an email change link", extra={"user_id": str(user.id)})


@periodic(cron="17 * * * *", periodic_id="hourly")
@task(name="accounts.purge_spent_tokens")
async def purge_spent_tokens(context: JobContext, timestamp: int) -> None:
    """Delete the account tokens that can no longer be used (used or expired) at this tick."""
    async with units_of_work(context)(system=SystemWork.PURGE) as db:
        deleted = await AccountTokenRepository(db).delete_spent(
            now=datetime.fromtimestamp(timestamp, UTC)
        )
    logger.info("Deleted spent account tokens", extra={"deleted": deleted})


async def _recipient(db: AsyncSession, user_id: uuid.UUID | None) -> User | None:
    """The active account a mail is for, if there still is one."""
    user = await UserRepository(db).find(user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None


async def _mint(db: AsyncSession, *, user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A new token of `purpose` for the account's current address; for a password reset, the
    older ones stop working, so only the newest mail's link does."""
    now = datetime.now(UTC)
    tokens = AccountTokenRepository(db)
    if purpose is TokenPurpose.RESET_PASSWORD:
        await tokens.retire(user.id, purpose, now=now)
    token, digest = mint_token()
    await tokens.create(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            email=user.email,
            token_hash=digest,
            expires_at=now + lifetime,
        )
    )
    return token
