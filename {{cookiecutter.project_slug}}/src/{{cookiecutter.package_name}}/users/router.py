from fastapi import APIRouter, Depends, status

from {{ cookiecutter.package_name }}.accounts import service as account_service
from {{ cookiecutter.package_name }}.accounts.schemas import Accepted
from {{ cookiecutter.package_name }}.auth.dependencies import (
    AccessClaims,
    AdminUser,
    CurrentUser,
    require_admin,
)
from {{ cookiecutter.package_name }}.core.errors import ConcurrentUpdateError, StillReferencedError
from {{ cookiecutter.package_name }}.core.pagination import Page
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.dependencies import (
    ThrottledEmailChange,
    ThrottledUpdateMe,
    UserById,
)
from {{ cookiecutter.package_name }}.users.errors import (
    EmailLookalikeError,
    EmailTakenError,
    InvalidCurrentPasswordError,
    SelfModificationError,
)
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserRead, UserUpdate
from {{ cookiecutter.package_name }}.web.dependencies import (
    DbSession,
    Jobs,
    Pagination,
    Passwords,
    SettingsDep,
)
from {{ cookiecutter.package_name }}.web.openapi import problem_responses

router = APIRouter(prefix="/users", tags=["users"])
# Only a UUID: `/users/me` is its own path, so `DELETE /users/me` is a 405 naming the methods
# `/users/me` has, not a 422 for an ID that is not one. Any other text there is a 404.
USER_PATH = "/{user_id:uuid}"
# Routes only admins may call; the check runs before any other dependency of the route.
ADMIN_ONLY = [Depends(require_admin)]


@router.get("/me", response_model=UserRead)
async def get_me(user: CurrentUser) -> User:
    """The account of the caller."""
    return user


@router.patch(
    "/me",
    response_model=UserRead,
    responses=problem_responses(InvalidCurrentPasswordError, ConcurrentUpdateError),
)
async def update_me(
    data: ThrottledUpdateMe,
    user: CurrentUser,
    claims: AccessClaims,
    db: DbSession,
    passwords: Passwords,
) -> User:
    """Change one's name or password (a new password ends every other session)."""
    return await user_service.update_me(
        db, user=user, data=data, current_session_id=claims.session_id, passwords=passwords
    )


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(InvalidCurrentPasswordError, EmailTakenError, EmailLookalikeError),
)
async def change_my_email(
    data: ThrottledEmailChange,
    user: CurrentUser,
    db: DbSession,
    passwords: Passwords,
    jobs: Jobs,
    settings: SettingsDep,
) -> Accepted:
    """Change one's address: it changes when the link mailed to the new address is used."""
    await account_service.request_email_change(
        db,
        user=user,
        new_email=str(data.new_email),
        current_password=data.current_password,
        passwords=passwords,
        jobs=jobs,
        lifetime=settings.email_verification_token_lifetime,
    )
    return Accepted(
        detail="A link to confirm the new address is on its way to it; the address changes "
        "when the link is used."
    )


@router.get("", dependencies=ADMIN_ONLY)
async def list_users(page: Pagination, db: DbSession) -> Page[UserRead]:
    """Every account, oldest first (admins only)."""
    users, total = await user_service.list_users(db, page=page)
    return Page(
        items=[UserRead.model_validate(user) for user in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    USER_PATH,
    dependencies=ADMIN_ONLY,
    response_model=UserRead,
)
async def get_user(user: UserById) -> User:
    """One account (admins only)."""
    return user


@router.patch(
    USER_PATH,
    response_model=UserRead,
    responses=problem_responses(SelfModificationError, ConcurrentUpdateError),
)
async def update_user(data: UserUpdate, admin: AdminUser, user: UserById, db: DbSession) -> User:
    """Change an account's name, role or active flag (admins only)."""
    return await user_service.update_user(db, actor=admin, user=user, data=data)


@router.delete(
    USER_PATH,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(SelfModificationError, StillReferencedError),
)
async def delete_user(admin: AdminUser, user: UserById, db: DbSession) -> None:
    """Delete an account and end its sessions (admins only)."""
    await user_service.delete_user(db, actor=admin, user=user)
