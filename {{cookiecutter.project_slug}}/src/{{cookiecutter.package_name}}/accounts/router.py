"""Registering, confirming an address and resetting a password: the routes that mail an
address. Every answer that names an address is the same whether it has an account or not."""

from fastapi import APIRouter, status

from {{ cookiecutter.package_name }}.accounts import service as account_service
from {{ cookiecutter.package_name }}.accounts.dependencies import (
    ThrottledAddressRequest,
    ThrottledRegistration,
)
from {{ cookiecutter.package_name }}.accounts.errors import InvalidAccountTokenError
from {{ cookiecutter.package_name }}.accounts.schemas import (
    Accepted,
    EmailVerification,
    PasswordReset,
)
from {{ cookiecutter.package_name }}.core.errors import ConcurrentUpdateError
from {{ cookiecutter.package_name }}.users.errors import EmailLookalikeError, EmailTakenError
from {{ cookiecutter.package_name }}.web.dependencies import (
    DbSession,
    Jobs,
    Passwords,
    SettingsDep,
)
from {{ cookiecutter.package_name }}.web.openapi import problem_responses
from {{ cookiecutter.package_name }}.web.throttling import ClientBudgetRoute, client_budget

# Its routes charge a per-client budget before reading the body (web/throttling.py).
router = APIRouter(prefix="/auth", tags=["auth"], route_class=ClientBudgetRoute)


@router.post("/register", status_code=status.HTTP_202_ACCEPTED)
@client_budget(lambda settings: settings.REGISTER_RATE_LIMIT_PER_CLIENT, scope="register:client")
async def register(
    data: ThrottledRegistration,
    db: DbSession,
    passwords: Passwords,
    jobs: Jobs,
    settings: SettingsDep,
) -> Accepted:
    """Create an account; a link to confirm its address is mailed to it."""
    await account_service.register(
        db,
        data=data,
        passwords=passwords,
        jobs=jobs,
        refuse_lookalikes=settings.REFUSE_LOOKALIKE_EMAILS,
    )
    return Accepted(detail="If the address can be registered, a link to confirm it is on its way.")


@router.post(
    "/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(
        InvalidAccountTokenError, EmailTakenError, EmailLookalikeError, ConcurrentUpdateError
    ),
)
@client_budget(
    lambda settings: settings.ACCOUNT_TOKEN_RATE_LIMIT_PER_CLIENT, scope="account-token:client"
)
async def verify_email(data: EmailVerification, db: DbSession, settings: SettingsDep) -> None:
    """Confirm an address (a new account's, or the new one of an email change) with the
    token from the mailed link."""
    await account_service.verify_email(
        db, token=data.token, refuse_lookalikes=settings.REFUSE_LOOKALIKE_EMAILS
    )


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
)
@client_budget(
    lambda settings: settings.ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT, scope="account-mail:client"
)
async def resend_verification(data: ThrottledAddressRequest, db: DbSession, jobs: Jobs) -> Accepted:
    """Mail a new confirmation link to an account that has not confirmed its address."""
    await account_service.resend_verification(db, email=str(data.email), jobs=jobs)
    return Accepted(detail="If the address has an account to confirm, a new link is on its way.")


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
)
@client_budget(
    lambda settings: settings.ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT, scope="account-mail:client"
)
async def request_password_reset(
    data: ThrottledAddressRequest, db: DbSession, jobs: Jobs
) -> Accepted:
    """Mail a link to choose a new password."""
    await account_service.request_password_reset(db, email=str(data.email), jobs=jobs)
    return Accepted(
        detail="If the address has an account, a link to reset its password is on its way."
    )


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidAccountTokenError, ConcurrentUpdateError),
)
@client_budget(
    lambda settings: settings.ACCOUNT_TOKEN_RATE_LIMIT_PER_CLIENT, scope="account-token:client"
)
async def reset_password(data: PasswordReset, db: DbSession, passwords: Passwords) -> None:
    """Set a new password with the token from the mailed link; every session of the account
    ends."""
    await account_service.reset_password(
        db, token=data.token, new_password=data.new_password, passwords=passwords
    )
