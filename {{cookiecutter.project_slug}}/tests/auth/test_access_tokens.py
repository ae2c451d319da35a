"""Access tokens die with their session: every way of ending a session ends its access tokens
at once, not when they expire. Each test is an attack that worked before: a token kept after
the event, and used."""

import uuid

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import age_rotations
from tests.support import (
    TEST_SECRET_KEY,
    StatementCounter,
    TokenPairJson,
    bearer,
    claims_for,
    forge_token,
    login,
)

ME = "/api/v1/users/me"
REFRESH = "/api/v1/auth/refresh"


async def status_of(client: AsyncClient, tokens: TokenPairJson) -> int:
    return (await client.get(ME, headers=bearer(tokens["access_token"]))).status_code


async def test_logout_ends_the_access_token_of_the_session(client: AsyncClient, user: User) -> None:
    tokens = await login(client, user.email)
    other = await login(client, user.email)
    await client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    response = await client.get(ME, headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert await status_of(client, other) == 200


async def test_ending_a_session_from_another_device_ends_its_access_token(
    client: AsyncClient, user: User
) -> None:
    stolen_laptop = await login(client, user.email)
    phone = await login(client, user.email)
    sessions = await client.get("/api/v1/auth/sessions", headers=bearer(phone["access_token"]))
    laptop_session = next(item["id"] for item in sessions.json() if not item["current"])
    ended = await client.delete(
        f"/api/v1/auth/sessions/{laptop_session}", headers=bearer(phone["access_token"])
    )
    assert ended.status_code == 204
    assert await status_of(client, stolen_laptop) == 401
    assert await status_of(client, phone) == 200


async def test_a_password_change_ends_the_access_tokens_of_the_other_sessions(
    client: AsyncClient, user: User
) -> None:
    attacker = await login(client, user.email)
    owner = await login(client, user.email)
    changed = await client.patch(
        ME,
        headers=bearer(owner["access_token"]),
        json={
            "password": "a brand new passphrase",
            "current_password": "correct horse battery staple",
        },
    )
    assert changed.status_code == 200
    assert await status_of(client, attacker) == 401
    assert await status_of(client, owner) == 200


async def test_refresh_token_reuse_ends_every_access_token_of_the_family(
    client: AsyncClient, user: User, db: AsyncSession
) -> None:
    original = await login(client, user.email)
    rotated = (await client.post(REFRESH, json={"refresh_token": original["refresh_token"]})).json()
    await age_rotations(db)
    reused = await client.post(REFRESH, json={"refresh_token": original["refresh_token"]})
    assert reused.json()["code"] == "refresh_token_reused"
    assert await status_of(client, original) == 401
    assert await status_of(client, rotated) == 401


async def test_reactivating_an_account_does_not_revive_tokens_from_before(
    client: AsyncClient, user: User, admin_tokens: TokenPairJson
) -> None:
    before = await login(client, user.email)
    admin = bearer(admin_tokens["access_token"])
    await client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"is_active": False})
    assert await status_of(client, before) == 401
    await client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"is_active": True})
    assert await status_of(client, before) == 401
    # The account itself works again: a new login gets a new session.
    assert await status_of(client, await login(client, user.email)) == 200


async def test_a_deleted_accounts_token_is_refused(
    client: AsyncClient, user: User, admin_tokens: TokenPairJson
) -> None:
    tokens = await login(client, user.email)
    admin = bearer(admin_tokens["access_token"])
    assert (await client.delete(f"/api/v1/users/{user.id}", headers=admin)).status_code == 204
    assert await status_of(client, tokens) == 401


async def test_a_signed_token_naming_another_users_session_is_refused(
    client: AsyncClient, user: User, admin_tokens: TokenPairJson, settings: Settings
) -> None:
    # Even with the signing key, a session must belong to the token's subject.
    admin_sessions = await client.get(
        "/api/v1/auth/sessions", headers=bearer(admin_tokens["access_token"])
    )
    admin_session = admin_sessions.json()[0]["id"]
    key = TEST_SECRET_KEY.encode()
    borrowed = forge_token(claims_for(settings, sub=str(user.id), sid=admin_session), key=key)
    invented = forge_token(claims_for(settings, sub=str(user.id), sid=str(uuid.uuid4())), key=key)
    for token in (borrowed, invented):
        assert (await client.get(ME, headers=bearer(token))).status_code == 401


async def test_checking_the_session_costs_no_extra_statement(
    client: AsyncClient, user_tokens: TokenPairJson, statements: StatementCounter
) -> None:
    statements.reset()
    response = await client.get(ME, headers=bearer(user_tokens["access_token"]))
    assert response.status_code == 200
    # One query loads the user and checks the session together.
    assert statements.count == 1, statements.statements
