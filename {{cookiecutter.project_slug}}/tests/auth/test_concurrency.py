"""Refresh-token rotation under real concurrency: separate connections, real commits."""

import asyncio

import pytest
from httpx import AsyncClient, Response

from tests.support import bearer, sign_up

REFRESH = "/api/v1/auth/refresh"


async def race(client: AsyncClient, refresh_token: str) -> tuple[Response, Response]:
    """Two refreshes with one token at the same moment, as two tabs of one browser send them."""
    body = {"refresh_token": refresh_token}
    first, second = await asyncio.gather(
        client.post(REFRESH, json=body), client.post(REFRESH, json=body)
    )
    return first, second


async def test_two_tabs_refreshing_at_once_both_stay_logged_in(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    tokens = await sign_up(client, "two-tabs@example.com")

    first, second = await race(client, tokens["refresh_token"])

    # The row lock serialises them; the second comes within the grace window of the first's
    # rotation, so it gets a pair of its own in the same session instead of ending it.
    assert [first.status_code, second.status_code] == [200, 200]
    for pair in (first.json(), second.json()):
        me = await client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 200
        onward = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
        assert onward.status_code == 200
    sessions = await client.get(
        "/api/v1/auth/sessions", headers=bearer(first.json()["access_token"])
    )
    assert len(sessions.json()) == 1


@pytest.mark.parametrize("committing_overrides", [{"REFRESH_REUSE_GRACE_SECONDS": 0}])
async def test_outside_the_grace_window_the_race_ends_the_session(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    tokens = await sign_up(client, "racer@example.com")

    first, second = await race(client, tokens["refresh_token"])

    assert sorted([first.status_code, second.status_code]) == [200, 401]
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert loser.json()["code"] == "refresh_token_reused"
    # The reuse ended the whole session, including the pair the winner just received.
    after = await client.post(REFRESH, json={"refresh_token": winner.json()["refresh_token"]})
    assert after.status_code == 401
    me = await client.get("/api/v1/users/me", headers=bearer(winner.json()["access_token"]))
    assert me.status_code == 401
