import uuid
from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.accounts.schemas import EmailChange
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.core.errors import NotFoundError, raises
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserUpdateMe
from {{ cookiecutter.package_name }}.web.dependencies import DbSession, Limiter, SettingsDep


@raises(NotFoundError)
async def get_user_by_id(user_id: uuid.UUID, db: DbSession) -> User:
    """The user named in the path. For admin routes only: they declare
    `dependencies=[Depends(require_admin)]`, which FastAPI resolves before this, so a
    non-admin gets 403 without learning whether the ID exists."""
    return await user_service.get_user(db, user_id=user_id)


UserById = Annotated[User, Depends(get_user_by_id)]


async def throttled_update_me(
    data: UserUpdateMe, user: CurrentUser, limiter: Limiter, settings: SettingsDep
) -> UserUpdateMe:
    """The change, once a password change is within the account's budget: each one checks the
    current password, so unthrottled it would let a stolen access token guess it."""
    if data.password is not None:
        await limiter.hit(
            settings.PASSWORD_CHANGE_RATE_LIMIT_PER_ACCOUNT,
            scope="password-change:account",
            key=str(user.id),
        )
    return data


ThrottledUpdateMe = Annotated[UserUpdateMe, Depends(throttled_update_me)]


async def throttled_email_change(
    data: EmailChange, user: CurrentUser, limiter: Limiter, settings: SettingsDep
) -> EmailChange:
    """The change of address, once within the account's budget. It checks the current
    password too, so it spends the password changes' budget: one budget of guesses."""
    await limiter.hit(
        settings.PASSWORD_CHANGE_RATE_LIMIT_PER_ACCOUNT,
        scope="password-change:account",
        key=str(user.id),
    )
    return data


ThrottledEmailChange = Annotated[EmailChange, Depends(throttled_email_change)]
