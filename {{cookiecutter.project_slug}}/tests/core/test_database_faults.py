"""When PostgreSQL stops, restarts, or runs a statement too long, requests fail fast with a 503
problem and the same process serves again on its own once the database is back. And the engine
set up for a transaction pooler (PgBouncer) in front of it."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.embedded_db import embedded_server
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.web.dependencies import DbSession

from tests.core.test_errors import assert_problem
from tests.support import make_settings

probe = APIRouter(prefix="/_probe")
# Long enough to still be running when the test stops the server or the timeout fires.
SLOW_SECONDS = 30


@probe.get("/backend")
async def backend_pid(db: DbSession) -> dict[str, int]:
    """Which server process answered: a new one after a reconnect."""
    pid = (await db.execute(select(func.pg_backend_pid()))).scalar_one()
    return {"pid": pid}


@probe.get("/statement-timeout")
async def statement_timeout(db: DbSession) -> dict[str, str]:
    value = (await db.execute(text("SHOW statement_timeout"))).scalar_one()
    return {"statement_timeout": value}


@probe.get("/slow")
async def slow_query(db: DbSession) -> None:
    await db.execute(select(func.pg_sleep(SLOW_SECONDS)))


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """The app with its own pool (nothing overridden), started through its lifespan."""
    app = create_app(settings)
    app.include_router(probe)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


async def busy_pool(client: AsyncClient, requests: int) -> list[Response]:
    """Several requests at once, so that the pool holds several connections."""
    return await asyncio.gather(*(client.get("/_probe/backend") for _ in range(requests)))


async def test_the_service_recovers_by_itself_when_the_database_restarts(
    private_pgdata: Path,
) -> None:
    # A private server: stopping the shared one would break every other test.
    data_dir = private_pgdata
    server = embedded_server(data_dir, cleanup_mode="stop")
    settings = make_settings(server.get_uri(driver="asyncpg"), DB_CONNECT_TIMEOUT_SECONDS=2)
    try:
        async with serving(settings) as (_, client):
            before = await busy_pool(client, 5)
            in_flight = asyncio.create_task(client.get("/_probe/slow"))
            await asyncio.sleep(0.3)  # the slow query is running

            stopped_at = time.monotonic()
            server.cleanup()  # a fast shutdown: PostgreSQL ends every session
            cut_off = await in_flight
            cut_off_after = time.monotonic() - stopped_at
            down = await client.get("/_probe/backend")
            ready_while_down = await client.get("/health/ready")
            live_while_down = await client.get("/health/live")

            server = embedded_server(data_dir, cleanup_mode="stop")
            restarted_at = time.monotonic()
            after = await client.get("/_probe/backend")
            recovery = time.monotonic() - restarted_at
            # The pool's old connections all died with the server: every one is replaced.
            all_after = await busy_pool(client, 5)
            ready_after = await client.get("/health/ready")
    finally:
        server.cleanup()

    assert all(response.status_code == 200 for response in before)
    assert_problem(cut_off.json(), status=503, code="database_unavailable")
    assert cut_off_after < SLOW_SECONDS / 3
    assert_problem(down.json(), status=503, code="database_unavailable")
    assert down.headers["retry-after"] == "5"
    assert ready_while_down.status_code == 503
    assert live_while_down.status_code == 200
    assert after.status_code == 200, after.text
    assert recovery < 5
    assert all(response.status_code == 200 for response in all_after)
    old_backends = {response.json()["pid"] for response in before}
    assert old_backends.isdisjoint(response.json()["pid"] for response in all_after)
    assert ready_after.status_code == 200


async def test_connections_the_server_closed_are_replaced_before_a_request_uses_them(
    database_url: str, engine: AsyncEngine
) -> None:
    async with serving(make_settings(database_url)) as (app, client):
        before = await busy_pool(client, 5)
        pids = [response.json()["pid"] for response in before]
        # What a restart or an idle timeout does to every connection in the pool.
        async with engine.connect() as admin:
            for pid in pids:
                assert await admin.scalar(select(func.pg_terminate_backend(pid)))
        await asyncio.sleep(0.2)  # the server's goodbye reaches the event loop
        after = await busy_pool(client, 5)
        checked_out = app.state.shared.engine.pool.checkedout()

    assert all(response.status_code == 200 for response in before)
    # No request failed on a dead connection: each got a new one instead.
    assert [response.status_code for response in after] == [200] * 5
    assert set(pids).isdisjoint(response.json()["pid"] for response in after)
    assert checked_out == 0


async def test_a_statement_over_the_timeout_is_a_503_and_frees_its_connection(
    database_url: str,
) -> None:
    settings = make_settings(
        database_url, DB_STATEMENT_TIMEOUT_MS=200, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0
    )
    async with serving(settings) as (app, client):
        started = time.monotonic()
        cancelled = await client.get("/_probe/slow")
        elapsed = time.monotonic() - started
        # The pool's only connection came back, and works.
        after = await client.get("/_probe/backend")
        pool_status = app.state.shared.engine.pool.checkedout()

    assert_problem(cancelled.json(), status=503, code="database_timeout")
    assert "0.2 s" in cancelled.json()["detail"]
    assert cancelled.headers["retry-after"] == "1"
    assert elapsed < 5
    assert after.status_code == 200
    assert pool_status == 0


async def test_behind_a_transaction_pooler_the_service_keeps_no_pool_and_no_startup_timeout(
    database_url: str,
) -> None:
    settings = make_settings(database_url, DB_TRANSACTION_POOLER=True)
    async with serving(settings) as (app, client):
        first = await client.get("/_probe/backend")
        second = await client.get("/_probe/backend")
        timeout = await client.get("/_probe/statement-timeout")
        ready = await client.get("/health/ready")
        pool = app.state.shared.engine.pool
        readiness_pool = app.state.shared.readiness_engine.pool

    assert isinstance(pool, NullPool)
    # The readiness probe too connects per probe, and answers through the pooler.
    assert isinstance(readiness_pool, NullPool)
    assert ready.status_code == 200
    # Every request gets its own server connection from the pooler, none kept here.
    assert first.json()["pid"] != second.json()["pid"]
    # PgBouncer refuses statement_timeout as a startup parameter: it is the role's to set.
    assert timeout.json() == {"statement_timeout": "0"}
