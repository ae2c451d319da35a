"""The dependencies every router uses: the shared application state and its parts, the
request's database session, settings, and paging parameters. Each is an `Annotated` alias."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import UnitsOfWork, unit_of_work
from {{ cookiecutter.package_name }}.core.errors import (
    DatabaseBusyError,
    DatabaseTimeoutError,
    DatabaseUnavailableError,
    RateLimitedError,
    raises,
)
from {{ cookiecutter.package_name }}.core.jobs import JobQueue, TransactionalJobQueue
from {{ cookiecutter.package_name }}.core.pagination import PageQuery
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter
from {{ cookiecutter.package_name }}.core.security import TokenCodec, TokenLifetimes
from {{ cookiecutter.package_name }}.core.state import AppState


def shared_state(request: Request) -> AppState:
    """The state `lifespan` built for this application."""
    state: AppState = request.app.state.shared
    return state


async def app_state(request: Request) -> AppState:
    # `async`, as every dependency that does not block: FastAPI runs a plain `def` one in a
    # worker thread, a thread hop on every request.
    return shared_state(request)


SharedState = Annotated[AppState, Depends(app_state)]


async def get_app_settings(state: SharedState) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


# Requests that change nothing (RFC 9110's safe methods the API serves).
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def request_sessionmaker(request: Request, state: AppState) -> async_sessionmaker[AsyncSession]:
    """Sessions for this request: in a READ ONLY transaction when it only reads.

    A plain function, not a dependency of its own: FastAPI's cost per request grows with each
    dependency it resolves, and this one only picks between two fields of the state."""
    if request.method in READ_ONLY_METHODS:
        return state.read_sessionmaker
    return state.sessionmaker


# What any request that waits for, or talks to, the database can answer with.
DATABASE_ERRORS = (DatabaseUnavailableError, DatabaseTimeoutError, DatabaseBusyError)


@raises(*DATABASE_ERRORS)
async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request, once it is the request's turn for a connection.

    It commits after the route function returns and *before* the response is sent
    (`scope="function"`), so a failed commit becomes an error response instead of a success the
    client was told about but the database lost. A GET or HEAD gets a read-only one: a write in it
    is a bug that fails loudly."""
    state = shared_state(request)
    sessionmaker = request_sessionmaker(request, state)
    read_only = request.method in READ_ONLY_METHODS
    async with state.connection_queue.turn(), unit_of_work(sessionmaker, read_only=read_only) as db:
        yield db


DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


@raises(*DATABASE_ERRORS)
async def get_units_of_work(request: Request, state: SharedState) -> UnitsOfWork:
    """For the few routes whose service opens its own units of work instead of running in the
    request's: each waits for its turn for a connection, and holds it only while it runs."""
    return UnitsOfWork(request_sessionmaker(request, state), queue=state.connection_queue)


OwnTransactions = Annotated[UnitsOfWork, Depends(get_units_of_work)]


async def get_job_queue(db: DbSession) -> JobQueue:
    """Jobs deferred in the request's own transaction: kept if, and only if, it commits."""
    return TransactionalJobQueue(db)


Jobs = Annotated[JobQueue, Depends(get_job_queue, scope="function")]


async def get_tokens(state: SharedState) -> TokenCodec:
    return state.tokens


Tokens = Annotated[TokenCodec, Depends(get_tokens)]


async def get_token_lifetimes(state: SharedState) -> TokenLifetimes:
    return state.token_lifetimes


Lifetimes = Annotated[TokenLifetimes, Depends(get_token_lifetimes)]


async def get_passwords(state: SharedState) -> PasswordHasher:
    return state.passwords


Passwords = Annotated[PasswordHasher, Depends(get_passwords)]


@raises(RateLimitedError)
async def get_rate_limiter(state: SharedState) -> RateLimiter:
    return state.rate_limiter


Limiter = Annotated[RateLimiter, Depends(get_rate_limiter)]


def client_address(request: Request) -> str:
    """The caller's address. Behind a reverse proxy, set FORWARDED_ALLOW_IPS to the proxy's
    address so uvicorn reports the client's (from X-Forwarded-For) instead of the proxy's."""
    return request.client.host if request.client else "unknown"


# Limit and offset from the query string; any other parameter is a 422.
Pagination = Annotated[PageQuery, Query()]
