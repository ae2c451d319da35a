"""Readiness tells the truth when the database stops or stops answering; liveness stays up."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.embedded_db import embedded_server
from {{ cookiecutter.package_name }}.main import create_app

from tests.support import make_settings


@contextlib.asynccontextmanager
async def running_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    connections: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    yield port
    for writer in connections:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_readiness_turns_503_when_the_database_is_stopped(private_pgdata: Path) -> None:
    # A private server: stopping the shared one would break every other test.
    server = embedded_server(private_pgdata, cleanup_mode="delete")
    settings = make_settings(server.get_uri(driver="asyncpg"))
    async with running_client(settings) as client:
        before = await client.get("/health/ready")
        server.cleanup()
        after = await client.get("/health/ready")
        live = await client.get("/health/live")
    assert before.status_code == 200
    assert after.status_code == 503
    assert after.headers["content-type"] == "application/problem+json"
    assert after.json()["code"] == "database_unavailable"
    assert live.status_code == 200


async def test_readiness_gives_up_on_a_database_that_does_not_answer(silent_server: int) -> None:
    settings = make_settings(
        f"postgresql://user:secret@127.0.0.1:{silent_server}/app",
        HEALTH_CHECK_TIMEOUT_SECONDS=0.3,
        DB_CONNECT_TIMEOUT_SECONDS=30,
    )
    async with running_client(settings) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["detail"] == "The database did not answer within 0.3 s."
    assert "secret" not in response.text
