from fastapi import APIRouter, Depends, status

from {{ cookiecutter.package_name }}.auth.dependencies import (
    AccessClaims,
    AdminUser,
    CurrentUser,
    require_admin,
)
from {{ cookiecutter.package_name }}.core.pagination import Page
from {{ cookiecutter.package_name }}.users import service as user_service
from {{ cookiecutter.package_name }}.users.dependencies import ThrottledUpdateMe, UserById
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserRead, UserUpdate
from {{ cookiecutter.package_name }}.web.dependencies import DbSession, Pagination, Passwords
from {{ cookiecutter.package_name }}.web.openapi import problem_responses

router = APIRouter(prefix="/users", tags=["users"])
# Routes only admins may call; the check runs before any other dependency of the route.
ADMIN_ONLY = [Depends(require_admin)]


@router.get("/me", response_model=UserRead, responses=problem_responses(401))
async def get_me(user: CurrentUser) -> User:
    """The account of the caller."""
    return user


@router.patch("/me", response_model=UserRead, responses=problem_responses(401, 422, 429))
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


@router.get("", dependencies=ADMIN_ONLY, responses=problem_responses(401, 403, 422))
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
    "/{user_id}",
    dependencies=ADMIN_ONLY,
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_user(user: UserById) -> User:
    """One account (admins only)."""
    return user


@router.patch(
    "/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404, 409, 422)
)
async def update_user(data: UserUpdate, admin: AdminUser, user: UserById, db: DbSession) -> User:
    """Change an account's name, role or active flag (admins only)."""
    return await user_service.update_user(db, actor=admin, user=user, data=data)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def delete_user(admin: AdminUser, user: UserById, db: DbSession) -> None:
    """Delete an account and end its sessions (admins only)."""
    await user_service.delete_user(db, actor=admin, user=user)
