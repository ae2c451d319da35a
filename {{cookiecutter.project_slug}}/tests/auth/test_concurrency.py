"""Refresh-token rotation under real concurrency: separate connections, real commits.

The other tests share one rolled-back connection, which serialises everything; these run the
app with its own connection pool against a scratch database.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.core import migrations
from {{ cookiecutter.package_name }}.main import create_app

from tests.support import make_settings, scratch_database

REFRESH = "/api/v1/auth/refresh"


@pytest.fixture
async def committing_client(server_url: str, database_url: str) -> AsyncIterator[AsyncClient]:
    name = f"{make_url(database_url).database}_concurrency"
    async with scratch_database(server_url, name) as url:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(migrations.upgrade)
        await engine.dispose()
        app = create_app(make_settings(url))
        async with app.router.lifespan_context(app):
            transport = ASGITransport(app=app)
            async with AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client


async def test_two_simultaneous_refreshes_with_one_token_cannot_both_win(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    account = {"email": "racer@example.com", "password": "a long enough secret", "full_name": "R"}
    assert (await client.post("/api/v1/auth/register", json=account)).status_code == 201
    login = await client.post(
        "/api/v1/auth/login", data={"username": account["email"], "password": account["password"]}
    )
    body = {"refresh_token": login.json()["refresh_token"]}

    first, second = await asyncio.gather(
        client.post(REFRESH, json=body), client.post(REFRESH, json=body)
    )

    # The row lock serialises them: one rotates, the other sees a used token.
    assert sorted([first.status_code, second.status_code]) == [200, 401]
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert loser.json()["code"] == "refresh_token_reused"
    # The reuse ended the whole session, including the token the winner just received.
    after = await client.post(REFRESH, json={"refresh_token": winner.json()["refresh_token"]})
    assert after.status_code == 401
