"""Requests wait for a database connection in arrival order, for at most
`DB_POOL_TIMEOUT_SECONDS`, and then get a 503 instead of piling up."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI
from httpx import AsyncClient
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import ConnectionQueue
from {{ cookiecutter.package_name }}.core.errors import DatabaseBusyError
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.web.dependencies import DbSession

from tests.core.test_errors import assert_problem
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.support import make_settings

probe = APIRouter(prefix="/_probe")
holding = asyncio.Event()
released = asyncio.Event()


@probe.post("/hold")
async def hold_a_connection(db: DbSession) -> dict[str, int]:
    """Keeps its turn (and its connection) until the test releases it."""
    holding.set()
    await released.wait()
    result = await db.execute(select(literal(1)))
    return {"answer": result.scalar_one()}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT_SECONDS=0.2
    )


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    """This module's tests call the probe routes, so they get an app of their own."""
    return [probe]


@pytest.fixture
async def probe_client(client: AsyncClient) -> AsyncIterator[AsyncClient]:
    holding.clear()
    released.clear()
    yield client
    released.set()


async def test_a_request_waits_its_turn_then_gets_a_503(probe_client: AsyncClient) -> None:
    holder = asyncio.create_task(probe_client.post("/_probe/hold"))
    await holding.wait()  # the holder has the only turn

    refused = await probe_client.post("/_probe/hold")

    assert_problem(refused.json(), status=503, code="database_busy")
    assert refused.headers["retry-after"] == "1"
    assert "0.2 s" in refused.json()["detail"]
    released.set()
    held = await holder
    assert held.status_code == 200
    assert held.json() == {"answer": 1}


async def test_turns_are_given_in_arrival_order_even_to_late_comers(settings: Settings) -> None:
    # SQLAlchemy's pool would let a late comer take a connection that was just returned, ahead
    # of the requests woken up for it: the queue must not.
    queue = ConnectionQueue(settings.model_copy(update={"DB_POOL_TIMEOUT_SECONDS": 5.0}))
    order: list[str] = []

    async def request(name: str, work: asyncio.Event | None = None) -> None:
        async with queue.turn():
            order.append(name)
            if work is not None:
                await work.wait()

    first_done = asyncio.Event()
    first = asyncio.create_task(request("first", first_done))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(request(f"waiter {n}")) for n in range(3)]
    await asyncio.sleep(0)
    first_done.set()
    late = asyncio.create_task(request("late comer"))  # arrives as the turn is handed over
    await asyncio.gather(first, *waiting, late)

    assert order == ["first", "waiter 0", "waiter 1", "waiter 2", "late comer"]


async def test_a_turn_is_given_back_when_the_request_fails(settings: Settings) -> None:
    queue = ConnectionQueue(settings)
    with pytest.raises(RuntimeError):
        async with queue.turn():
            raise RuntimeError
    async with asyncio.timeout(1), queue.turn():
        pass


async def test_a_login_holds_no_connection_while_it_checks_the_password(
    app: FastAPI, probe_client: AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await create_user(db)
    hasher: PasswordHasher = app.state.shared.passwords
    checking, checked = asyncio.Event(), asyncio.Event()
    verify = hasher.verify

    async def slow_verify(password: str, hashed: str) -> tuple[bool, str | None]:
        checking.set()
        await checked.wait()
        return await verify(password, hashed)

    monkeypatch.setattr(hasher, "verify", slow_verify)
    form = {"username": user.email, "password": DEFAULT_PASSWORD}
    login = asyncio.create_task(probe_client.post("/api/v1/auth/login", data=form))
    await checking.wait()  # the login is hashing
    released.set()
    # The only connection is free meanwhile: another request has it at once, no 503.
    other = await probe_client.post("/_probe/hold")
    checked.set()

    assert other.status_code == 200
    assert (await login).status_code == 200


def test_the_busy_error_is_a_503_with_a_retry_after() -> None:
    error = DatabaseBusyError("busy", retry_after_seconds=0)
    assert error.status_code == 503
    assert error.headers() == {"Retry-After": "1"}
