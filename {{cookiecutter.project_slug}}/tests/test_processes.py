"""Several processes, one database, one Redis: what one process decides about an account holds
in every other (login throttling, refresh-token reuse)."""

import uuid

from httpx import AsyncClient

from tests.factories import DEFAULT_PASSWORD
from tests.support import login

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


async def register(client: AsyncClient) -> str:
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        REGISTER, json={"email": email, "password": DEFAULT_PASSWORD, "full_name": "Replica"}
    )
    assert response.status_code == 202, response.text
    return email


async def test_the_login_budget_of_an_account_is_shared_by_every_process(
    three_processes: list[AsyncClient],
) -> None:
    first, second, third = three_processes
    email = await register(first)
    wrong = {"username": email, "password": "not the password"}

    # The budget is 3 a minute: one attempt on each process uses it up.
    attempts = [await client.post(LOGIN, data=wrong) for client in (first, second, third)]
    fourth = await first.post(LOGIN, data=wrong)
    even_right = await second.post(LOGIN, data={"username": email, "password": DEFAULT_PASSWORD})

    assert [response.status_code for response in attempts] == [401, 401, 401]
    assert fourth.status_code == 429
    assert int(fourth.headers["retry-after"]) > 0
    assert even_right.status_code == 429


async def test_a_refresh_token_reused_on_another_process_ends_the_session_everywhere(
    three_processes: list[AsyncClient],
) -> None:
    first, second, third = three_processes
    email = await register(first)
    original = await login(first, email)

    rotated = await second.post(REFRESH, json={"refresh_token": original["refresh_token"]})
    reused = await third.post(REFRESH, json={"refresh_token": original["refresh_token"]})
    after_reuse = await first.post(REFRESH, json={"refresh_token": rotated.json()["refresh_token"]})
    access = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    me = await second.get("/api/v1/users/me", headers=access)

    assert rotated.status_code == 200
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    # The whole family is revoked: the legitimate newest token is refused too.
    assert after_reuse.status_code == 401
    assert after_reuse.json()["code"] == "session_revoked"
    # And so is every access token of the session, on every process.
    assert me.status_code == 401
