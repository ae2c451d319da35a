"""Test fixtures: a real PostgreSQL database per test worker, built by the migrations, and each
test inside a transaction that is rolled back, so tests never see each other's rows.

With DATABASE_URL set, the test databases are created on that server (its user needs CREATEDB);
otherwise on the embedded PostgreSQL under .keel/pgdata.
"""

import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import (
    ConnectionQueue,
    UnitsOfWork,
    resolve_database_url,
    resolve_migration_url,
)
from {{ cookiecutter.package_name }}.core.logging import JsonFormatter, LogContextFilter
from {{ cookiecutter.package_name }}.core.mail_catcher import CaughtMail, MailCatcher
from {{ cookiecutter.package_name }}.core.rate_limit import create_rate_limiter
from {{ cookiecutter.package_name }}.core.row_security import CLEAR_CONTEXT
from {{ cookiecutter.package_name }}.core.state import AppState
{%- if cookiecutter.observability == "full" %}
from {{ cookiecutter.package_name }}.core.tracing import TraceContextFilter
{%- endif %}
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User, UserRole

from tests.factories import create_user
from tests.servers import redis_server, serving
from tests.support import (
    Deliver,
    DocumentedResponses,
    StatementCounter,
    TokenPairJson,
    catching_mailer,
    login,
    make_settings,
    run_queued_jobs,
    scratch_database,
)


@pytest.fixture
def private_pgdata() -> Iterator[Path]:
    """A data directory for a test's own PostgreSQL server, outside pytest's temporary
    directories. Run as root, the server runs as another user, and pgserver opens the parent
    directories to it; but every pytest session that starts closes pytest's own root again
    (mode 0700), and CI runs several sessions at once: a server started there could then not
    start again after the test stopped it."""
    with tempfile.TemporaryDirectory(prefix="test-pgdata-") as directory:
        yield Path(directory) / "pgdata"


@pytest.fixture(scope="session")
def server_settings() -> Settings:
    """The server's roles, as the environment names them (or the embedded server's)."""
    return make_settings(
        os.environ.get("DATABASE_URL"),
        MIGRATION_DATABASE_URL=os.environ.get("MIGRATION_DATABASE_URL"),
    )


@pytest.fixture(scope="session")
def server_url(server_settings: Settings) -> str:
    """The PostgreSQL server the tests create their databases on, as the role the migrations
    run as: it owns those databases and their tables."""
    return resolve_migration_url(server_settings)


@pytest.fixture(scope="session")
def application_server_url(server_settings: Settings) -> str:
    """The same server, as the role the service connects as."""
    return resolve_database_url(server_settings)


@pytest.fixture(scope="session")
async def migration_database_url(
    server_url: str, application_server_url: str
) -> AsyncIterator[str]:
    """A fresh database for this test worker, migrated to head, dropped at the end; as the
    role that owns it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{{ cookiecutter.package_name }}_test_{worker}"
    role = make_url(application_server_url).username
    async with scratch_database(server_url, name, migrated=True, application_role=role) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(application_server_url: str, migration_database_url: str) -> str:
    """The worker's database as the application role: what the service connects as, so
    every test runs with the privileges production has."""
    database = make_url(migration_database_url).database
    application = make_url(application_server_url).set(database=database)
    return application.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection per test, inside an outer transaction that is always rolled back."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Commits inside the code under test release a savepoint; the outer transaction stays open.
    return async_sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=SavepointSession,
    )


class SavepointSession(Session):
    """A session whose unit of work is a savepoint in the test's transaction.

    In production each unit of work is a transaction of its own, and starts with no caller for
    row-level security; a savepoint would inherit the one before it. So each starts by clearing
    it: a unit of work that forgets to name its caller sees no rows here either."""


@event.listens_for(SavepointSession, "after_begin")
def _clear_row_security_context(
    _session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    # Not for a savepoint within the unit of work (a create's, see core/repository.py).
    if not transaction.nested:
        connection.execute(CLEAR_CONTEXT)


@pytest.fixture
async def db(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as db:
        yield db


@pytest.fixture
async def mail_catcher() -> AsyncIterator[MailCatcher]:
    """A real SMTP server on 127.0.0.1 (a free port) that keeps every mail it receives."""
    catcher = MailCatcher()
    await catcher.start()
    yield catcher
    await catcher.close()


@pytest.fixture
def deliver(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], mail_catcher: MailCatcher
) -> Deliver:
    """Run the queued jobs as the worker would; the mails they sent (since the last call)."""
    seen = 0

    async def run() -> list[CaughtMail]:
        nonlocal seen
        await run_queued_jobs(db, UnitsOfWork(sessionmaker), mailer=catching_mailer(mail_catcher))
        new = mail_catcher.caught[seen:]
        seen = len(mail_catcher.caught)
        return new

    return run


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@asynccontextmanager
async def started_app(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], routers: list[APIRouter]
) -> AsyncIterator[FastAPI]:
    """The real application with `routers` added, started through its lifespan, with sessions
    on the test connection."""
    app = create_app(settings)
    for router in routers:
        app.include_router(router)
    async with app.router.lifespan_context(app):
        app.state.shared = on_test_connection(app.state.shared, sessionmaker)
        yield app


def on_test_connection(state: AppState, sessionmaker: async_sessionmaker[AsyncSession]) -> AppState:
    """`state` with every request's sessions on the test's connection, reads included."""
    return replace(state, sessionmaker=sessionmaker, read_sessionmaker=sessionmaker)


@pytest.fixture(scope="session")
async def shared_app(database_url: str) -> AsyncIterator[FastAPI]:
    """One started application per test worker. FastAPI builds every route's dependencies
    again for each new app (a tenth of a second), which most tests would pay for nothing."""
    app = create_app(make_settings(database_url))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    """Routers a test module adds to its app (probes); overriding this gives it an app of its
    own, as does overriding `settings`."""
    return []


@pytest.fixture
async def app(
    shared_app: FastAPI,
    settings: Settings,
    extra_routers: list[APIRouter],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[FastAPI]:
    """The application under test. Tests with the default settings and routes share the
    worker's app, with fresh per-test state: sessions on this test's connection, empty rate
    limit budgets and connection queue, settings a test may replace. Any other test gets an app
    of its own."""
    if extra_routers or settings != shared_app.state.settings:
        async with started_app(settings, sessionmaker, extra_routers) as app:
            yield app
        return
    shared: AppState = shared_app.state.shared
    shared_app.state.shared = replace(
        on_test_connection(shared, sessionmaker),
        rate_limiter=create_rate_limiter(settings),
        connection_queue=ConnectionQueue(settings),
    )
    try:
        yield shared_app
    finally:
        shared_app.state.shared = shared


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client of `app` whose every response is held to the OpenAPI document."""
    documented = DocumentedResponses(app.openapi())

    async def check(response: Response) -> None:
        await response.aread()
        request = response.request
        documented.check(
            request.method,
            request.url.path,
            response.status_code,
            response.headers,
            response.content,
        )

    transport = ASGITransport(app=app)
    async with AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks={"response": [check]}
    ) as client:
        yield client


@pytest.fixture
def statements(connection: AsyncConnection) -> Iterator[StatementCounter]:
    counter = StatementCounter()

    def before_cursor_execute(
        _conn: Connection,
        _cursor: object,
        statement: str,
        *_args: object,
    ) -> None:
        counter.record(statement)

    sync_connection = connection.sync_connection
    assert sync_connection is not None
    event.listen(sync_connection, "before_cursor_execute", before_cursor_execute)
    yield counter
    event.remove(sync_connection, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
async def user(db: AsyncSession) -> User:
    return await create_user(db, email="member@example.com", full_name="Member")


@pytest.fixture
async def admin(db: AsyncSession) -> User:
    return await create_user(db, email="admin@example.com", role=UserRole.ADMIN)


@pytest.fixture
async def user_tokens(client: AsyncClient, user: User) -> TokenPairJson:
    return await login(client, user.email)


@pytest.fixture
async def admin_tokens(client: AsyncClient, admin: User) -> TokenPairJson:
    return await login(client, admin.email)


@pytest.fixture
async def committing_database_url(server_url: str, database_url: str) -> AsyncIterator[str]:
    name = f"{make_url(database_url).database}_concurrency"
    async with scratch_database(server_url, name, migrated=True) as url:
        yield url


@pytest.fixture
def committing_overrides() -> dict[str, object]:
    """Settings for `committing_client`'s app; a test parametrizes this name to change them."""
    return {}


@pytest.fixture
async def committing_client(
    committing_database_url: str, committing_overrides: dict[str, object]
) -> AsyncIterator[AsyncClient]:
    """A client of an app with its own connection pool on a scratch database: requests commit
    for real and run concurrently. The other fixtures share one rolled-back connection, which
    serialises everything, so races need this one."""
    settings = {"EMAIL_VERIFICATION_REQUIRED": False, **committing_overrides}
    app = create_app(make_settings(committing_database_url, **settings))
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture(scope="module")
async def three_processes(server_url: str) -> AsyncIterator[list[AsyncClient]]:
    """Three `serve` processes on different ports over one database and one Redis, as in a
    deployment with several replicas; a client for each. Shared by a module's tests, which
    commit for real, so each test uses accounts of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{{ cookiecutter.package_name }}_processes_{worker}"
    with redis_server() as redis_url:
        async with (
            scratch_database(server_url, name, migrated=True) as database_url,
            serving(
                database_url,
                count=3,
                REDIS_URL=redis_url,
                LOGIN_RATE_LIMIT_PER_ACCOUNT="3/minute",
                # Every request comes from 127.0.0.1: only the per-account budget is under test.
                LOGIN_RATE_LIMIT_PER_CLIENT="1000/minute",
                REGISTER_RATE_LIMIT_PER_CLIENT="1000/minute",
                # A second presentation a moment after the rotation is reuse, not a race.
                REFRESH_REUSE_GRACE_SECONDS="0",
                # No worker mails confirmation links here (tests/accounts covers them).
                EMAIL_VERIFICATION_REQUIRED="false",
            ) as clients,
        ):
            yield clients


@pytest.fixture
def log_lines() -> Iterator[StringIO]:
    """Every log record written during the test, formatted exactly as production writes it."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LogContextFilter())
{%- if cookiecutter.observability == "full" %}
    handler.addFilter(TraceContextFilter())
{%- endif %}
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)
