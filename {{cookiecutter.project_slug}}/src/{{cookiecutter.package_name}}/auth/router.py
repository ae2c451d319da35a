from fastapi import APIRouter, Response, status

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.dependencies import (
    AccessClaims,
    CurrentUser,
    OwnLoginSession,
    ThrottledLoginForm,
    ThrottledRefreshRequest,
)
from {{ cookiecutter.package_name }}.auth.errors import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    RefreshTokenReusedError,
    SessionRevokedError,
)
from {{ cookiecutter.package_name }}.auth.schemas import RefreshRequest, SessionRead, TokenPair
from {{ cookiecutter.package_name }}.core.errors import (
    ConcurrentUpdateError,
    InvalidTokenError,
    TokenExpiredError,
)
from {{ cookiecutter.package_name }}.web.dependencies import (
    DbSession,
    Lifetimes,
    OwnTransactions,
    Passwords,
    SettingsDep,
    Tokens,
)
from {{ cookiecutter.package_name }}.web.openapi import problem_responses
from {{ cookiecutter.package_name }}.web.throttling import ClientBudgetRoute, client_budget

# Its routes may charge a per-client budget before reading the body (web/throttling.py).
router = APIRouter(prefix="/auth", tags=["auth"], route_class=ClientBudgetRoute)

# Tokens must not be kept by any cache between the client and us (RFC 6749, section 5.1).
TOKEN_RESPONSE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    "/login",
    responses=problem_responses(
        InvalidCredentialsError, EmailNotVerifiedError, ConcurrentUpdateError
    ),
)
@client_budget(lambda settings: settings.LOGIN_RATE_LIMIT_PER_CLIENT, scope="login:client")
async def login(
    form: ThrottledLoginForm,
    units: OwnTransactions,
    tokens: Tokens,
    lifetimes: Lifetimes,
    passwords: Passwords,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Exchange an email (as `username`) and password for an access and a refresh token."""
    response.headers.update(TOKEN_RESPONSE_HEADERS)
    return await auth_service.login(
        units,
        email=form.username,
        password=form.password,
        tokens=tokens,
        lifetimes=lifetimes,
        passwords=passwords,
        require_verified_email=settings.EMAIL_VERIFICATION_REQUIRED,
    )


@router.post(
    "/refresh",
    responses=problem_responses(
        InvalidTokenError, TokenExpiredError, SessionRevokedError, RefreshTokenReusedError
    ),
)
@client_budget(lambda settings: settings.REFRESH_RATE_LIMIT_PER_CLIENT, scope="refresh:client")
async def refresh_tokens(
    data: ThrottledRefreshRequest,
    units: OwnTransactions,
    tokens: Tokens,
    lifetimes: Lifetimes,
    response: Response,
) -> TokenPair:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    response.headers.update(TOKEN_RESPONSE_HEADERS)
    return await auth_service.refresh(
        units, refresh_token=data.refresh_token, tokens=tokens, lifetimes=lifetimes
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidTokenError, TokenExpiredError),
)
async def logout(data: RefreshRequest, db: DbSession, tokens: Tokens) -> None:
    """End the session the refresh token belongs to."""
    await auth_service.logout(db, refresh_token=data.refresh_token, tokens=tokens)


@router.get("/sessions")
async def list_sessions(
    user: CurrentUser, claims: AccessClaims, db: DbSession
) -> list[SessionRead]:
    """The caller's active sessions (one per login), most recently used first."""
    return await auth_service.list_sessions(
        db, user_id=user.id, current_session_id=claims.session_id
    )


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def end_session(login: OwnLoginSession, db: DbSession) -> None:
    """End one of the caller's sessions, e.g. on a lost device."""
    await auth_service.end_session(db, session_id=login.id)
