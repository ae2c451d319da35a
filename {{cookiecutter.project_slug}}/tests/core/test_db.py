"""The session dependency: one transaction per request, committed before the response is sent,
rolled back when the route fails; requests that only read run without one, and cannot write."""

import asyncio
from typing import Any

import pytest
from fastapi import APIRouter
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import ConflictError
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository
from {{ cookiecutter.package_name }}.web.dependencies import DbSession

from tests.support import make_settings

probe = APIRouter(prefix="/_probe")


class ChangedMindError(ConflictError):
    """The probe route's refusal."""

    code = "changed_mind"
    title = "Changed mind"


def _user(email: str) -> User:
    return User(email=email, hashed_password="not-a-real-hash", full_name="Probe")


@probe.post("/users/{email}", status_code=201)
async def create_probe_user(email: str, db: DbSession) -> dict[str, str]:
    user = await UserRepository(db).create(_user(email))
    return {"id": str(user.id)}


@probe.post("/users/{email}/then-fail")
async def create_probe_user_then_fail(email: str, db: DbSession) -> None:
    await UserRepository(db).create(_user(email))
    raise ChangedMindError("changed my mind")


@probe.post("/users/{email}/twice-unflushed", status_code=201)
async def create_probe_user_twice(email: str, db: DbSession) -> dict[str, str]:
    # Nothing is flushed here: the duplicate only fails at COMMIT, after the route returned.
    db.add_all([_user(email), _user(email.upper())])
    return {"status": "created"}


@probe.get("/users/{email}")
async def read_probe_user(email: str, db: DbSession) -> dict[str, bool]:
    return {"found": await UserRepository(db).find_by_email(email) is not None}


@probe.get("/users/{email}/sneaky-write")
async def write_in_a_get(email: str, db: DbSession) -> None:
    await UserRepository(db).create(_user(email))


@probe.get("/users/{email}/sneaky-update")
async def update_in_a_get(email: str, db: DbSession) -> None:
    await db.execute(update(User).where(User.email == email).values(full_name="Changed"))


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    """This module's tests call the probe routes, so they get an app of their own."""
    return [probe]


async def test_a_successful_request_commits(client: AsyncClient, db: AsyncSession) -> None:
    response = await client.post("/_probe/users/kept@example.com")
    assert response.status_code == 201
    assert await UserRepository(db).find_by_email("kept@example.com") is not None


async def test_a_failed_request_rolls_back_everything_it_wrote(
    client: AsyncClient, db: AsyncSession
) -> None:
    response = await client.post("/_probe/users/gone@example.com/then-fail")
    assert response.status_code == 409
    assert await UserRepository(db).find_by_email("gone@example.com") is None


async def test_a_failing_commit_is_reported_not_hidden_behind_a_success(
    client: AsyncClient, db: AsyncSession
) -> None:
    response = await client.post("/_probe/users/twin@example.com/twice-unflushed")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "uq_users_email_key" not in response.text
    assert await UserRepository(db).find_by_email("twin@example.com") is None


async def test_a_get_that_writes_fails_loudly_and_writes_nothing(
    client: AsyncClient, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    created = await client.post("/_probe/users/kept@example.com")
    assert created.status_code == 201
    inserting = await client.get("/_probe/users/new@example.com/sneaky-write")
    updating = await client.get("/_probe/users/kept@example.com/sneaky-update")

    assert (inserting.status_code, updating.status_code) == (500, 500)
    refusals = [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    assert refusals == [
        "A read-only unit of work cannot flush changes",
        "A read-only unit of work cannot run INSERT, UPDATE or DELETE",
    ]
    assert await UserRepository(db).find_by_email("new@example.com") is None
    kept = await UserRepository(db).find_by_email("kept@example.com")
    assert kept is not None
    assert kept.full_name == "Probe"


async def test_a_read_runs_in_a_read_only_transaction_and_a_write_in_a_writable_one(
    database_url: str,
) -> None:
    # The app's own pool (nothing overridden), with every round trip to the server logged.
    app = create_app(make_settings(database_url))
    app.include_router(probe)
    sent: list[str] = []

    def log_queries(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda query: sent.append(query.query))

    def log_statements(*arguments: Any) -> None:
        sent.append(arguments[2])

    async with app.router.lifespan_context(app):
        engine = app.state.shared.engine.sync_engine
        event.listen(engine, "connect", log_queries)
        event.listen(engine, "before_cursor_execute", log_statements)
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            read = await client.get("/_probe/users/nobody@example.com")
            await asyncio.sleep(0.1)  # asyncpg calls its query loggers soon, not at once
            reads = sorted(query for query in sent if not query.startswith("SELECT"))
            sent.clear()
            # A write that fails: it runs, and is rolled back, so nothing stays behind.
            failed = await client.post("/_probe/users/nobody@example.com/then-fail")
            await asyncio.sleep(0.1)
            writes = sorted(query.split()[0] for query in sent)

    assert read.json() == {"found": False}
    # A transaction (the caller that row-level security sees lasts for one), which PostgreSQL
    # keeps from writing; asked for in the BEGIN itself, no extra round trip.
    assert reads == ["BEGIN READ ONLY;", "COMMIT;"]
    assert failed.status_code == 409
    # Sorted: asyncpg's loggers and SQLAlchemy's events report in their own order.
    # Plain BEGIN: the read's READ ONLY stayed with the read, on the same pooled connection.
    assert writes == ["BEGIN;", "INSERT", "RELEASE", "ROLLBACK;", "SAVEPOINT"]
