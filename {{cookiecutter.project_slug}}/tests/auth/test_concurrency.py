"""Refresh-token rotation under real concurrency: separate connections, real commits."""

import asyncio

from httpx import AsyncClient

REFRESH = "/api/v1/auth/refresh"


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
