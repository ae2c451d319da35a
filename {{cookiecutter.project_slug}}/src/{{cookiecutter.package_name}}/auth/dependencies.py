"""Who is calling: the bearer token, the user it belongs to, and the role checks.

Every protected route depends on `CurrentUser` (401 without a valid access token) or
`AdminUser` (403 for an authenticated non-admin).
"""

import uuid
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.repository import LoginSession
from {{ cookiecutter.package_name }}.auth.schemas import RefreshRequest
from {{ cookiecutter.package_name }}.core.errors import (
    AuthenticationError,
    InvalidTokenError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
    TokenExpiredError,
    raises,
)
from {{ cookiecutter.package_name }}.core.security import TokenClaims
from {{ cookiecutter.package_name }}.users.emails import UnusableEmailError, email_key
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.web.dependencies import (
    DbSession,
    Limiter,
    SettingsDep,
    Tokens,
    shared_state,
)

# auto_error=False: a missing token becomes our 401 problem, not FastAPI's own error body.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


@raises(NotAuthenticatedError, InvalidTokenError, TokenExpiredError)
async def get_access_claims(
    token: Annotated[str | None, Depends(_bearer)], request: Request
) -> TokenClaims:
    # The codec straight from the state, not through `Tokens`: every authenticated request
    # resolves this, and FastAPI's work grows with each dependency it resolves.
    if token is None:
        raise NotAuthenticatedError("Authentication required")
    return shared_state(request).tokens.verify(token, expected_type="access")


AccessClaims = Annotated[TokenClaims, Depends(get_access_claims)]


@raises(InvalidTokenError)
async def get_current_user(claims: AccessClaims, db: DbSession, request: Request) -> User:
    user = known_caller(request)
    if user is None:
        user = await auth_service.authenticate(db, claims=claims)
        remember_caller(request, user)
    return user


def remember_caller(request: Request, user: User) -> None:
    """The request's caller, once authenticated: for `CurrentUser`, when a dependency loaded the
    caller together with what it needed (`VisibleProject`), and for the access log line."""
    request.state.caller = user
    request.state.user_id = str(user.id)


def known_caller(request: Request) -> User | None:
    caller = getattr(request.state, "caller", None)
    return caller if isinstance(caller, User) else None


CurrentUser = Annotated[User, Depends(get_current_user)]


@raises(PermissionDeniedError)
async def require_admin(user: CurrentUser) -> User:
    if user.role != UserRole.ADMIN:
        raise PermissionDeniedError("This action needs the admin role")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


@raises(NotFoundError)
async def get_own_login_session(
    session_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> LoginSession:
    """The pattern for owned resources: the path's ID is looked up among the caller's own, and
    anything else (someone else's, or nothing) is the same 404."""
    return await auth_service.get_own_session(db, user_id=user.id, session_id=session_id)


OwnLoginSession = Annotated[LoginSession, Depends(get_own_login_session)]


class LoginForm(BaseModel):
    """The OAuth2 password form (RFC 6749, section 4.3), so /docs can "Authorize": `username`
    is the email. A model of its own, so the document names its schema `LoginForm`; the
    other fields of the OAuth2 form (`scope`, `client_id`...) are accepted and unused."""

    grant_type: Annotated[str | None, Field(pattern=r"^password$")] = None
    # No NUL: PostgreSQL cannot compare text containing U+0000 (it would be a 500).
    username: Annotated[str, Field(max_length=320, pattern=r"^[^\x00]*$")]
    password: Annotated[str, Field(max_length=128)]


async def throttled_login_form(
    form: Annotated[LoginForm, Form()], limiter: Limiter, settings: SettingsDep
) -> LoginForm:
    """The login form, once the account is within its attempt budget (the caller's own budget
    was charged before the form was read: see web/throttling.py)."""
    await limiter.hit(
        settings.LOGIN_RATE_LIMIT_PER_ACCOUNT,
        scope="login:account",
        key=throttling_key(form.username),
    )
    return form


def throttling_key(address: str) -> str:
    """One budget per account, however its address is written; an address no account can
    have still gets a budget of its own."""
    try:
        return email_key(address)
    except UnusableEmailError:
        return address


ThrottledLoginForm = Annotated[LoginForm, Depends(throttled_login_form)]


async def throttled_refresh_request(
    data: RefreshRequest, limiter: Limiter, tokens: Tokens, settings: SettingsDep
) -> RefreshRequest:
    # Only a genuine token counts against its account: a forged one naming someone else's ID
    # must not use up their budget. Invalid tokens are refused by the route (401), and have
    # already counted against the caller's per-client budget.
    try:
        claims = tokens.verify(data.refresh_token, expected_type="refresh")
    except AuthenticationError:
        return data
    await limiter.hit(
        settings.REFRESH_RATE_LIMIT_PER_ACCOUNT, scope="refresh:account", key=str(claims.subject)
    )
    return data


ThrottledRefreshRequest = Annotated[RefreshRequest, Depends(throttled_refresh_request)]
