"""Sessions: a user sees and ends their own; another user's session is a 404, never a leak."""

import uuid

from httpx import AsyncClient

from {{ cookiecutter.package_name }}.users.models import User

from tests.support import TokenPairJson, bearer, login

SESSIONS = "/api/v1/auth/sessions"
REFRESH = "/api/v1/auth/refresh"


async def test_a_user_lists_their_live_sessions(client: AsyncClient, user: User) -> None:
    laptop = await login(client, user.email)
    phone = await login(client, user.email)
    ended = await login(client, user.email)
    await client.post("/api/v1/auth/logout", json={"refresh_token": ended["refresh_token"]})
    response = await client.get(SESSIONS, headers=bearer(laptop["access_token"]))
    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert [item["current"] for item in sessions].count(True) == 1
    me = await client.get(SESSIONS, headers=bearer(phone["access_token"]))
    assert {item["id"] for item in me.json()} == {item["id"] for item in sessions}


async def test_a_user_ends_one_session_and_keeps_the_others(
    client: AsyncClient, user: User
) -> None:
    laptop = await login(client, user.email)
    phone = await login(client, user.email)
    sessions = (await client.get(SESSIONS, headers=bearer(laptop["access_token"]))).json()
    phone_session = next(item["id"] for item in sessions if not item["current"])
    response = await client.delete(
        f"{SESSIONS}/{phone_session}", headers=bearer(laptop["access_token"])
    )
    assert response.status_code == 204
    dead = await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    assert dead.status_code == 401
    alive = await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
    assert alive.status_code == 200


async def test_another_users_session_is_not_found(
    client: AsyncClient, user_tokens: TokenPairJson, admin_tokens: TokenPairJson
) -> None:
    admin_sessions = await client.get(SESSIONS, headers=bearer(admin_tokens["access_token"]))
    victim = admin_sessions.json()[0]["id"]
    response = await client.delete(
        f"{SESSIONS}/{victim}", headers=bearer(user_tokens["access_token"])
    )
    never_existed = await client.delete(
        f"{SESSIONS}/{uuid.uuid4()}", headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == never_existed.status_code == 404
    assert response.json()["detail"] == f"Session {victim} not found"
    # ...and the admin's session is untouched.
    still = await client.post(REFRESH, json={"refresh_token": admin_tokens["refresh_token"]})
    assert still.status_code == 200


async def test_sessions_need_authentication(client: AsyncClient) -> None:
    assert (await client.get(SESSIONS)).status_code == 401
    assert (await client.delete(f"{SESSIONS}/{uuid.uuid4()}")).status_code == 401
