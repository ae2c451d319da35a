"""The engine, the session factory, and the one place a transaction is committed:
`unit_of_work`. Each request runs in one (see `web/dependencies.py`); commands and jobs
open their own.
"""

import asyncio
import logging
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
{%- if cookiecutter.python_version == "3.11" %}
from typing import TYPE_CHECKING, TypeVar
{%- else %}
from typing import TYPE_CHECKING
{%- endif %}

from sqlalchemy import event, exc, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import DatabaseBusyError
from {{ cookiecutter.package_name }}.core.row_security import SystemWork, act_as, act_for

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.core.embedded_db import EmbeddedDatabase


def create_engine(settings: Settings, database_url: str) -> AsyncEngine:
    server_settings = {"application_name": "{{ cookiecutter.project_slug }}"}
    connect_args: dict[str, object] = {
        "timeout": settings.DB_CONNECT_TIMEOUT_SECONDS,
        "server_settings": server_settings,
    }
    pool: dict[str, object]
    if settings.DB_TRANSACTION_POOLER:
        connect_args |= TRANSACTION_POOLER_CONNECT_ARGS
        # The pooler pools: a second pool here would hold its server connections idle.
        pool = {"poolclass": NullPool}
    else:
        server_settings["statement_timeout"] = str(settings.DB_STATEMENT_TIMEOUT_MS)
        pool = {
            "pool_size": settings.DB_POOL_SIZE,
            "max_overflow": settings.DB_MAX_OVERFLOW,
            "pool_timeout": settings.DB_POOL_TIMEOUT_SECONDS,
        }
    engine = create_async_engine(
        database_url,
        # Error messages keep the SQL but not its parameters, which may be personal data.
        hide_parameters=True,
        connect_args=connect_args,
        **pool,
    )
    replace_closed_connections(engine)
    return engine


def replace_closed_connections(engine: AsyncEngine) -> None:
    """Hand out no connection the server has closed: one that died with a database restart, an
    idle timeout or `pg_terminate_backend` is replaced when a request checks it out.

    The server closes the socket when it ends a session, and asyncpg notices as soon as the
    event loop reads the end of the stream, so the check is local: no round trip, unlike the
    pool's `pre_ping` (BEGIN, an empty statement and ROLLBACK, on every checkout). A connection
    that dies while a request uses it fails that request (503 `database_unavailable`), as it
    would with `pre_ping`; SQLAlchemy then discards it."""

    def check_open(
        dbapi_connection: object, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        asyncpg_connection = record.driver_connection
        if asyncpg_connection is not None and asyncpg_connection.is_closed():
            # The pool discards it and connects again, three times at most.
            raise exc.DisconnectionError("the server closed this connection")

    event.listen(engine.sync_engine, "checkout", check_open)


# In transaction mode the pooler may run each transaction on a different server connection, so
# a prepared statement made on one is unknown on the next, and asyncpg's numbered names collide
# between clients. So: no statement caches, and a unique name for every statement. The pooler
# also refuses most startup parameters, `statement_timeout` among them: set it on the database
# role instead (ALTER ROLE ... SET statement_timeout = '15s').
TRANSACTION_POOLER_CONNECT_ARGS: dict[str, object] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
}


# How the readiness connection shows in pg_stat_activity, apart from the request pool's.
READINESS_APPLICATION_NAME = "{{ cookiecutter.project_slug }}-readiness"


def create_readiness_engine(settings: Settings, database_url: str) -> AsyncEngine:
    """One connection of its own for readiness probes, outside the request pool and its
    queue: a pod is unready because the database does not answer, never because every
    connection is busy serving requests. Behind a transaction pooler it connects per probe, with
    the same statement settings as the request engine."""
    connect_args: dict[str, object] = {
        "timeout": min(settings.DB_CONNECT_TIMEOUT_SECONDS, settings.HEALTH_CHECK_TIMEOUT_SECONDS),
        "server_settings": {"application_name": READINESS_APPLICATION_NAME},
    }
    pool: dict[str, object]
    if settings.DB_TRANSACTION_POOLER:
        connect_args |= TRANSACTION_POOLER_CONNECT_ARGS
        pool = {"poolclass": NullPool}
    else:
        pool = {
            "pool_size": 1,
            "max_overflow": 0,
            "pool_timeout": settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        }
    engine = create_async_engine(
        database_url, hide_parameters=True, connect_args=connect_args, **pool
    )
    replace_closed_connections(engine)
    return engine


def create_sessionmaker(
    engine: AsyncEngine, *, read_only: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; with `read_only`, sessions whose transactions PostgreSQL itself
    keeps from writing (BEGIN READ ONLY, in the same round trip as a plain BEGIN): for units of
    work that only read (see `unit_of_work`)."""
    if read_only:
        # The same pool: the setting is the connection's while the session holds it.
        engine = engine.execution_options(postgresql_readonly=True)
    # expire_on_commit=False: objects stay readable after the commit, while the response is built.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class ConnectionQueue:
    """Requests wait here for a database connection, first come, first served.

    SQLAlchemy's async pool hands a returned connection to whichever request asks next, and a
    waiter that was woken up for it but lost the race goes back to the end of the line. Under
    load, a few requests kept losing until their `DB_POOL_TIMEOUT_SECONDS` ran out (503s at
    256 clients, see docs/performance.md). With one slot per connection the pool can hold,
    requests queue here in order instead (asyncio's Semaphore is fair), and never wait in the
    pool.
    """

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.DB_POOL_TIMEOUT_SECONDS
        self._slots = asyncio.Semaphore(settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise DatabaseBusyError(
                f"Every database connection stayed busy for {self.timeout:g} s; try again.",
                retry_after_seconds=math.ceil(self.timeout),
            ) from None
        try:
            yield
        finally:
            self._slots.release()


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed at the end, or rolled back if anything raised. The
    only place in the service that commits. Work that must be kept even though the request then
    fails (a revoked token family) runs in a unit of work of its own, before the error.

    `read_only` marks work that must change nothing: an ORM write in it (a flush, an INSERT,
    UPDATE or DELETE) raises `ReadOnlyWorkError` before it reaches the database. Requests that
    only read use it with a read-only sessionmaker, so PostgreSQL refuses whatever SQL writes
    anyway. They still need their transaction: the caller that row-level security sees is set
    for one transaction, and would end with the first statement outside one."""
    async with sessionmaker() as db:
        db.info[READ_ONLY] = read_only
        try:
            yield db
        except BaseException:
            await db.rollback()
            raise
        await db.commit()


# The session.info key that marks a read-only unit of work.
READ_ONLY = "read_only"


class ReadOnlyWorkError(RuntimeError):
    """A write inside a read-only unit of work: a bug (a GET route that changes data), which
    must fail loudly, and before the database refuses it with a less telling error."""


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, *_: object) -> None:
    if session.info.get(READ_ONLY):
        raise ReadOnlyWorkError("A read-only unit of work cannot flush changes")


@event.listens_for(Session, "do_orm_execute")
def _refuse_write_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(READ_ONLY) and (
        state.is_insert or state.is_update or state.is_delete
    ):
        raise ReadOnlyWorkError("A read-only unit of work cannot run INSERT, UPDATE or DELETE")


class UnitsOfWork:
    """Opens units of work on one sessionmaker, for code that decides where its transactions
    begin and end: a refusal that must still record something (a revoked token family) commits
    that in a unit of work of its own and raises afterwards; a login checks the password
    between two; commands and jobs open their own.

        async with units() as db:
            ...

    With a `queue`, each unit of work waits for its turn for a connection, and gives it back
    when it ends: the time between two units holds none.

    Row-level security sees no caller in a new transaction (core/row_security.py): work for a
    user says so, `units(acting_for=user_id)`, and system work says what it does,
    `units(system=SystemWork.PURGE)`. Each costs the unit one statement.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        queue: ConnectionQueue | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._queue = queue

    def __call__(
        self, *, acting_for: uuid.UUID | None = None, system: SystemWork | None = None
    ) -> AbstractAsyncContextManager[AsyncSession]:
        return self._unit(acting_for, system)

    @asynccontextmanager
    async def _unit(
        self, acting_for: uuid.UUID | None, system: SystemWork | None
    ) -> AsyncIterator[AsyncSession]:
        turn = self._queue.turn() if self._queue is not None else nullcontext()
        async with turn, unit_of_work(self._sessionmaker) as db:
            if acting_for is not None:
                await act_for(db, acting_for)
            if system is not None:
                await act_as(db, system)
            yield db
{%- if cookiecutter.python_version == "3.11" %}


T = TypeVar("T")


def in_one_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
{%- else %}


def in_one_transaction[T](settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
{%- endif %}
    """Run `work` in one committed transaction on the configured database, from synchronous
    code (a command): its own engine, closed afterwards."""

    async def run() -> T:
        engine = create_engine(settings, resolve_database_url(settings))
        try:
            async with unit_of_work(create_sessionmaker(engine)) as db:
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(run())


logger = logging.getLogger(__name__)


def resolve_database_url(settings: Settings) -> str:
    """Where the service and the worker connect, as the application role: `DATABASE_URL` when
    set; otherwise the embedded PostgreSQL (never in production)."""
    if settings.DATABASE_URL is not None:
        return settings.DATABASE_URL
    return _embedded_database(settings).url


def application_role(settings: Settings) -> str | None:
    """The role the service connects as: DATABASE_URL's user (or the embedded server's)."""
    return make_url(resolve_database_url(settings)).username


def resolve_migration_url(settings: Settings) -> str:
    """Where the migrations run, as the role that owns the schema: `MIGRATION_DATABASE_URL`;
    without it `DATABASE_URL` (one role for both, with a warning in production); otherwise the
    embedded PostgreSQL's owner role."""
    if settings.MIGRATION_DATABASE_URL is not None:
        return settings.MIGRATION_DATABASE_URL
    if settings.DATABASE_URL is not None:
        if settings.is_production:
            logger.warning(
                "MIGRATION_DATABASE_URL is not set: the migrations run as DATABASE_URL's role, "
                "so the service's own role can change the schema (docs/deploy.md, 'Database "
                "roles', says how to give each its own)"
            )
        return settings.DATABASE_URL
    return _embedded_database(settings).migration_url


def _embedded_database(settings: Settings) -> "EmbeddedDatabase":
    if settings.is_production:
        raise RuntimeError("DATABASE_URL must be set in production")
    from {{ cookiecutter.package_name }}.core.embedded_db import start_embedded_database  # noqa: PLC0415

    return start_embedded_database(Path(settings.EMBEDDED_DB_DIR))


@asynccontextmanager
async def scratch_database(server_url: str, name: str) -> AsyncIterator[str]:
    """A new, empty database called `name` on the server at `server_url` (replacing any left
    over from an interrupted run), dropped afterwards; yields its URL. For tests and dev tools:
    the server's user needs the CREATEDB privilege."""
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        async with admin.connect() as connection:
            await connection.execute(drop)
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(drop)
    finally:
        await admin.dispose()
