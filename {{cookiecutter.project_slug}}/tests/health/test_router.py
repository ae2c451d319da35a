"""The probes: liveness without the database, readiness on a connection of its own."""

import contextlib

from fastapi import FastAPI
from httpx import AsyncClient

from tests.support import TokenPairJson, bearer


async def test_liveness_answers_ok_without_the_database(client: AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_answers_ok_when_the_database_answers(client: AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_answers_while_every_request_connection_is_taken(
    app: FastAPI, client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    state = app.state.shared
    queue = state.connection_queue
    queue.timeout = 0.2
    async with contextlib.AsyncExitStack() as held:
        # Every turn for a request connection is taken, as under a burst of slow requests.
        for _ in range(state.settings.DB_POOL_SIZE + state.settings.DB_MAX_OVERFLOW):
            await held.enter_async_context(queue.turn())
        busy = await client.get("/api/v1/users/me", headers=bearer(user_tokens["access_token"]))
        ready = await client.get("/health/ready")
    assert (busy.status_code, busy.json()["code"]) == (503, "database_busy")
    assert ready.status_code == 200
