"""The account lifecycle over email: registering, confirming an address, resetting a
password, changing the address.

Nothing here tells a caller whether an address has an account. Every request that names an
address is answered alike and does the same work (a password hash where registration needs
one, one job deferred), and what differs happens in the mail, which only the address's owner
reads. Mail is sent by jobs (accounts/jobs.py), deferred in the request's transaction: a
request that fails sends nothing, and none waits on a mail server.
"""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts.errors import InvalidAccountTokenError
from {{ cookiecutter.package_name }}.accounts.jobs import (
    send_account_exists,
    send_email_change,
    send_password_reset,
    send_verification,
)
from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.accounts.repository import AccountTokenRepository
from {{ cookiecutter.package_name }}.accounts.tokens import token_digest
from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.core.jobs import JobQueue
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.core.row_security import act_for, present_token
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.errors import (
    EmailLookalikeError,
    EmailTakenError,
    InvalidCurrentPasswordError,
)
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

logger = logging.getLogger(__name__)


async def register(
    db: AsyncSession,
    *,
    data: UserCreate,
    passwords: PasswordHasher,
    jobs: JobQueue,
    refuse_lookalikes: bool,
) -> None:
    """Create an account and mail its address a confirmation link. For an address that has an
    account already, in any form, that account's owner is mailed instead; one that only looks
    like a registered address (with `refuse_lookalikes`) gets no account and no mail."""
    try:
        user = await user_service.register(
            db, data=data, passwords=passwords, refuse_lookalikes=refuse_lookalikes
        )
    except EmailTakenError:
        owner_id = await UserRepository(db).find_id_by_email(str(data.email))
        if owner_id is not None:  # None only if it was deleted a moment ago
            await jobs.defer(send_account_exists, user_id=owner_id)
        return
    except EmailLookalikeError:
        logger.info("Registration of a look-alike address refused")
        # The same one job as on every other path: see the module's docstring.
        await jobs.defer(send_verification, user_id=None)
        return
    await jobs.defer(send_verification, user_id=user.id)


async def resend_verification(db: AsyncSession, *, email: str, jobs: JobQueue) -> None:
    """Mail a new confirmation link to the address's account, if it has one not yet
    confirmed. The job decides (see `send_verification`): the request only looks it up."""
    user_id = await UserRepository(db).find_id_by_email(email)
    await jobs.defer(send_verification, user_id=user_id)


async def verify_email(db: AsyncSession, *, token: str, refuse_lookalikes: bool) -> None:
    """Confirm an address with the token mailed to it: the account's own address, or the new
    address of an email change, which takes its place now. A token for an address the account
    no longer has is as invalid as an unknown one."""
    now = datetime.now(UTC)
    claimed, user = await _claim(
        db, token, purposes=(TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL), now=now
    )
    if claimed.purpose is TokenPurpose.CHANGE_EMAIL:
        await user_service.change_email(
            db, user=user, email=claimed.email, refuse_lookalikes=refuse_lookalikes, at=now
        )
    elif user.email != claimed.email:
        raise InvalidAccountTokenError
    elif user.email_verified_at is None:
        await UserRepository(db).update(user, {"email_verified_at": now})


async def request_password_reset(db: AsyncSession, *, email: str, jobs: JobQueue) -> None:
    """Mail a reset link to the address's account, if it has one (see `send_password_reset`)."""
    user_id = await UserRepository(db).find_id_by_email(email)
    await jobs.defer(send_password_reset, user_id=user_id)


async def reset_password(
    db: AsyncSession, *, token: str, new_password: str, passwords: PasswordHasher
) -> None:
    """Set a new password with a mailed reset token, and end every session of the account:
    whoever knew the old password is logged out. The mail reached the address, so it is
    confirmed too (if it is still the account's)."""
    hashed = await passwords.hash(new_password)
    now = datetime.now(UTC)
    claimed, user = await _claim(db, token, purposes=(TokenPurpose.RESET_PASSWORD,), now=now)
    changes: dict[str, object] = {"hashed_password": hashed}
    if user.email_verified_at is None and user.email == claimed.email:
        changes["email_verified_at"] = now
    await UserRepository(db).update(user, changes)
    await auth_service.revoke_sessions(db, user_id=user.id)


async def request_email_change(
    db: AsyncSession,
    *,
    user: User,
    new_email: str,
    current_password: str,
    passwords: PasswordHasher,
    jobs: JobQueue,
    lifetime: timedelta,
) -> None:
    """Record a change of address and have the new address mailed a link that makes it (and
    the current one told). Whether the new address has an account is not said here: if it
    does, the link's holder learns it when they use it."""
    verified, _ = await passwords.verify(current_password, user.hashed_password)
    if not verified:
        raise InvalidCurrentPasswordError
    now = datetime.now(UTC)
    tokens = AccountTokenRepository(db)
    # Only the latest request's link works.
    await tokens.retire(user.id, TokenPurpose.CHANGE_EMAIL, now=now)
    pending = await tokens.create(
        AccountToken(
            user_id=user.id,
            purpose=TokenPurpose.CHANGE_EMAIL,
            email=new_email,
            expires_at=now + lifetime,
        )
    )
    await jobs.defer(send_email_change, user_id=user.id, token_id=pending.id)


async def _claim(
    db: AsyncSession, token: str, *, purposes: tuple[TokenPurpose, ...], now: datetime
) -> tuple[AccountToken, User]:
    """Use up a mailed token of one of `purposes`, and find the active account it is for. An
    unknown, used, expired or replaced token, one of another purpose, and one whose account
    was deactivated since are all one `InvalidAccountTokenError`.

    The request has no caller: presenting the token lets it see that token's row alone, and
    once claimed, the token's user is the caller for the rest of the request (row-level
    security, core/row_security.py)."""
    digest = token_digest(token)
    await present_token(db, digest)
    claimed = await AccountTokenRepository(db).claim(digest, purposes=purposes, now=now)
    if claimed is not None:
        await act_for(db, claimed.user_id)
        user = await UserRepository(db).find(claimed.user_id)
        if user is not None and user.is_active:
            return claimed, user
    raise InvalidAccountTokenError
