"""Refresh-token rotation under real concurrency: separate connections, real commits."""

import asyncio

from httpx import AsyncClient

from tests.support import sign_up

REFRESH = "/api/v1/auth/refresh"


async def test_two_simultaneous_refreshes_with_one_token_cannot_both_win(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    tokens = await sign_up(client, "racer@example.com")
    body = {"refresh_token": tokens["refresh_token"]}

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
