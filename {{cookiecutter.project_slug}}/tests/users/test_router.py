"""The users endpoints: one's own account, and admin-only management of every account."""

import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.support import TokenPairJson, bearer, login

ME = "/api/v1/users/me"
USERS = "/api/v1/users"
REFRESH = "/api/v1/auth/refresh"


async def test_me_returns_the_callers_account(
    client: AsyncClient, user: User, user_tokens: TokenPairJson
) -> None:
    response = await client.get(ME, headers=bearer(user_tokens["access_token"]))
    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)
    assert "hashed_password" not in response.json()


async def test_a_user_can_change_their_name(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    response = await client.patch(
        ME, json={"full_name": "  Renamed  "}, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "Renamed"


async def test_a_user_cannot_change_their_own_role(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    response = await client.patch(
        ME, json={"role": "admin"}, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 422


async def test_a_new_password_needs_the_current_one(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    headers = bearer(user_tokens["access_token"])
    missing = await client.patch(ME, json={"password": "a new long secret"}, headers=headers)
    assert missing.status_code == 422
    wrong = await client.patch(
        ME,
        json={"password": "a new long secret", "current_password": "not it"},
        headers=headers,
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "invalid_current_password"


async def test_changing_the_password_ends_every_other_session(
    client: AsyncClient, user: User
) -> None:
    here = await login(client, user.email)
    elsewhere = await login(client, user.email)
    response = await client.patch(
        ME,
        json={"password": "a brand new secret", "current_password": DEFAULT_PASSWORD},
        headers=bearer(here["access_token"]),
    )
    assert response.status_code == 200
    other = await client.post(REFRESH, json={"refresh_token": elsewhere["refresh_token"]})
    assert other.status_code == 401
    this = await client.post(REFRESH, json={"refresh_token": here["refresh_token"]})
    assert this.status_code == 200
    await login(client, user.email, "a brand new secret")


async def test_admins_list_users_a_page_at_a_time(
    client: AsyncClient, db: AsyncSession, admin_tokens: TokenPairJson
) -> None:
    for _ in range(4):
        await create_user(db)
    headers = bearer(admin_tokens["access_token"])
    first = await client.get(USERS, params={"limit": 2}, headers=headers)
    second = await client.get(USERS, params={"limit": 2, "offset": 2}, headers=headers)
    assert first.status_code == 200
    assert first.json()["total"] == 5
    assert (first.json()["limit"], first.json()["offset"]) == (2, 0)
    ids = [item["id"] for page in (first, second) for item in page.json()["items"]]
    assert len(ids) == len(set(ids)) == 4


async def test_a_page_larger_than_the_cap_is_refused(
    client: AsyncClient, admin_tokens: TokenPairJson
) -> None:
    response = await client.get(
        USERS, params={"limit": 101}, headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_an_unknown_list_parameter_is_refused_not_ignored(
    client: AsyncClient, admin_tokens: TokenPairJson
) -> None:
    response = await client.get(
        USERS, params={"role": "admin"}, headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 422
    assert "unknown parameter role; allowed: limit, offset" in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", USERS), ("GET", "/{id}"), ("PATCH", "/{id}"), ("DELETE", "/{id}")],
)
async def test_admin_routes_are_403_for_users_and_401_for_strangers(
    client: AsyncClient, user: User, user_tokens: TokenPairJson, method: str, path: str
) -> None:
    url = path if path == USERS else f"{USERS}/{user.id}"
    body = {"full_name": "x"} if method == "PATCH" else None
    forbidden = await client.request(
        method, url, json=body, headers=bearer(user_tokens["access_token"])
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "permission_denied"
    anonymous = await client.request(method, url, json=body)
    assert anonymous.status_code == 401


async def test_an_admin_can_read_any_user(
    client: AsyncClient, user: User, admin_tokens: TokenPairJson
) -> None:
    response = await client.get(f"{USERS}/{user.id}", headers=bearer(admin_tokens["access_token"]))
    assert response.status_code == 200
    assert response.json()["email"] == user.email


async def test_an_unknown_user_and_a_path_that_is_no_user_id_are_404s(
    client: AsyncClient, admin_tokens: TokenPairJson
) -> None:
    headers = bearer(admin_tokens["access_token"])
    missing = await client.get(f"{USERS}/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    malformed = await client.get(f"{USERS}/not-a-uuid", headers=headers)
    assert malformed.status_code == 404
    # `/users/me` is not `/users/{user_id}` with "me" for the ID.
    me = await client.delete(f"{USERS}/me", headers=headers)
    assert me.status_code == 405
    assert me.headers["allow"] == "GET, PATCH"


async def test_an_admin_can_promote_and_deactivate(
    client: AsyncClient, user: User, admin_tokens: TokenPairJson
) -> None:
    headers = bearer(admin_tokens["access_token"])
    response = await client.patch(
        f"{USERS}/{user.id}", json={"role": "admin", "is_active": False}, headers=headers
    )
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["is_active"]) == ("admin", False)


async def test_deactivating_a_user_ends_their_sessions(
    client: AsyncClient, user: User, user_tokens: TokenPairJson, admin_tokens: TokenPairJson
) -> None:
    await client.patch(
        f"{USERS}/{user.id}",
        json={"is_active": False},
        headers=bearer(admin_tokens["access_token"]),
    )
    response = await client.post(REFRESH, json={"refresh_token": user_tokens["refresh_token"]})
    assert response.status_code == 401


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}])
async def test_an_admin_cannot_demote_or_deactivate_themselves(
    client: AsyncClient, admin: User, admin_tokens: TokenPairJson, change: dict[str, object]
) -> None:
    response = await client.patch(
        f"{USERS}/{admin.id}", json=change, headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 409
    assert response.json()["code"] == "self_modification"


async def test_an_admin_can_delete_a_user_but_not_themselves(
    client: AsyncClient, user: User, admin: User, admin_tokens: TokenPairJson
) -> None:
    headers = bearer(admin_tokens["access_token"])
    assert (await client.delete(f"{USERS}/{user.id}", headers=headers)).status_code == 204
    assert (await client.get(f"{USERS}/{user.id}", headers=headers)).status_code == 404
    assert (await client.delete(f"{USERS}/{admin.id}", headers=headers)).status_code == 409


async def test_password_changes_are_throttled_per_account(
    app: FastAPI, client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"PASSWORD_CHANGE_RATE_LIMIT_PER_ACCOUNT": "2/minute"}
    )
    guess = {"password": "a new long secret", "current_password": "a guess"}
    headers = bearer(user_tokens["access_token"])
    statuses = [(await client.patch(ME, json=guess, headers=headers)).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
    # Renaming is not a password guess and stays possible.
    renamed = await client.patch(ME, json={"full_name": "Still me"}, headers=headers)
    assert renamed.status_code == 200


@pytest.mark.parametrize("body", [{"full_name": None}, {"role": None}, {"is_active": None}])
async def test_an_admin_cannot_clear_required_fields(
    client: AsyncClient, user: User, admin_tokens: TokenPairJson, body: dict[str, None]
) -> None:
    response = await client.patch(
        f"{USERS}/{user.id}", json=body, headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 422
