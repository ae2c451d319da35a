"""The auth endpoints end to end: log in, rotate, reuse, log out, throttle (registering and
confirming an address: tests/accounts)."""

import json
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import bcrypt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.factories import DEFAULT_PASSWORD, age_rotations, create_user
from tests.support import TokenPairJson, bearer, forge_token, login

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
FORM = "application/x-www-form-urlencoded"
LOGOUT = "/api/v1/auth/logout"


def registration(**overrides: str) -> dict[str, str]:
    body = {"email": "new@example.com", "password": "a long enough secret", "full_name": "New"}
    body.update(overrides)
    return body


async def test_login_returns_a_token_pair(client: AsyncClient, user: User) -> None:
    tokens = await login(client, user.email)
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    me = await client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.json()["email"] == user.email


async def test_a_nul_in_the_login_form_is_a_422(client: AsyncClient) -> None:
    response = await client.post(LOGIN, data={"username": "a\x00b@example.com", "password": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "username"]


async def test_token_responses_are_never_cached(
    client: AsyncClient, user: User, user_tokens: TokenPairJson
) -> None:
    login_response = await client.post(
        LOGIN, data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    refreshed = await client.post(REFRESH, json={"refresh_token": user_tokens["refresh_token"]})
    for response in (login_response, refreshed):
        assert response.headers["cache-control"] == "no-store"


async def test_login_ignores_the_case_of_the_email(client: AsyncClient, user: User) -> None:
    await login(client, user.email.upper())


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive account"])
async def test_every_failed_login_gets_the_same_answer(
    client: AsyncClient, db: AsyncSession, case: str
) -> None:
    await create_user(db, email="known@example.com")
    await create_user(db, email="asleep@example.com", is_active=False)
    email, password = {
        "wrong password": ("known@example.com", "not the password"),
        "unknown email": ("nobody@example.com", DEFAULT_PASSWORD),
        "inactive account": ("asleep@example.com", DEFAULT_PASSWORD),
    }[case]
    response = await client.post(LOGIN, data={"username": email, "password": password})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert (body["code"], body["detail"]) == ("invalid_credentials", "Incorrect email or password")


async def test_login_upgrades_an_old_bcrypt_hash(client: AsyncClient, db: AsyncSession) -> None:
    legacy = bcrypt.hashpw(DEFAULT_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    user = await create_user(db, email="legacy@example.com", hashed_password=legacy)
    await login(client, user.email)
    await db.refresh(user)
    assert user.hashed_password.startswith("$argon2id$")


async def test_refresh_rotates_and_the_old_token_stops_working(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    rotated = await client.post(REFRESH, json={"refresh_token": user_tokens["refresh_token"]})
    assert rotated.status_code == 200
    new_tokens = rotated.json()
    assert new_tokens["refresh_token"] != user_tokens["refresh_token"]
    me = await client.get("/api/v1/users/me", headers=bearer(new_tokens["access_token"]))
    assert me.status_code == 200


async def test_reusing_a_refresh_token_ends_the_whole_session(
    client: AsyncClient, user_tokens: TokenPairJson, db: AsyncSession
) -> None:
    first = await client.post(REFRESH, json={"refresh_token": user_tokens["refresh_token"]})
    successor = first.json()["refresh_token"]
    await age_rotations(db)
    reused = await client.post(REFRESH, json={"refresh_token": user_tokens["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    # The revocation was committed although the request failed: the thief's successor token
    # and the legitimate one are both dead.
    after = await client.post(REFRESH, json={"refresh_token": successor})
    assert after.status_code == 401
    assert after.json()["code"] == "session_revoked"


async def test_reuse_does_not_end_the_users_other_sessions(
    client: AsyncClient, user: User, db: AsyncSession
) -> None:
    laptop = await login(client, user.email)
    phone = await login(client, user.email)
    await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
    await age_rotations(db)
    reused = await client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
    assert reused.json()["code"] == "refresh_token_reused"
    still = await client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    assert still.status_code == 200


async def test_an_access_token_cannot_refresh(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    response = await client.post(REFRESH, json={"refresh_token": user_tokens["access_token"]})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_a_refresh_token_cannot_authenticate_a_request(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    response = await client.get("/api/v1/users/me", headers=bearer(user_tokens["refresh_token"]))
    assert response.status_code == 401


async def test_logout_ends_the_session_and_can_be_repeated(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    body = {"refresh_token": user_tokens["refresh_token"]}
    assert (await client.post(LOGOUT, json=body)).status_code == 204
    assert (await client.post(LOGOUT, json=body)).status_code == 204
    response = await client.post(REFRESH, json=body)
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


async def test_logout_with_a_forged_token_is_a_401(client: AsyncClient) -> None:
    response = await client.post(LOGOUT, json={"refresh_token": "forged"})
    assert response.status_code == 401


async def test_a_missing_token_is_a_401_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


@pytest.fixture
def tight_limits(app: FastAPI) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={
            "LOGIN_RATE_LIMIT_PER_ACCOUNT": "2/minute",
            "LOGIN_RATE_LIMIT_PER_CLIENT": "3/minute",
            "REGISTER_RATE_LIMIT_PER_CLIENT": "2/minute",
            "REGISTER_RATE_LIMIT_PER_ACCOUNT": "1/minute",
            "REFRESH_RATE_LIMIT_PER_CLIENT": "2/minute",
        }
    )


@pytest.mark.usefixtures("tight_limits")
async def test_register_is_throttled_per_email(client: AsyncClient) -> None:
    first = await client.post(REGISTER, json=registration(email="same@example.com"))
    again = await client.post(REGISTER, json=registration(email="SAME@example.com"))
    assert (first.status_code, again.status_code) == (202, 429)


async def test_refresh_is_throttled_per_account_and_forgeries_do_not_count(
    app: FastAPI, client: AsyncClient, user: User, user_tokens: TokenPairJson
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"REFRESH_RATE_LIMIT_PER_ACCOUNT": "2/minute"}
    )
    # Forged tokens naming this user must not spend the user's budget...
    forged = forge_token(
        {"sub": str(user.id), "typ": "refresh", "exp": 4102444800}, key=b"attacker-key"
    )
    for _ in range(3):
        response = await client.post(REFRESH, json={"refresh_token": forged})
        assert response.status_code == 401
    # ...so the user's own refreshes still go through, up to the per-account budget.
    token = user_tokens["refresh_token"]
    statuses = []
    for _ in range(3):
        response = await client.post(REFRESH, json={"refresh_token": token})
        statuses.append(response.status_code)
        token = response.json().get("refresh_token", token)
    assert statuses == [200, 200, 429]


@pytest.mark.usefixtures("tight_limits")
async def test_login_is_throttled_per_account(client: AsyncClient, user: User) -> None:
    attempt = {"username": user.email, "password": "guess"}
    statuses = [(await client.post(LOGIN, data=attempt)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    # Even the right password waits: the budget is per account, not per failure.
    response = await client.post(LOGIN, data={"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.usefixtures("tight_limits")
async def test_login_is_throttled_per_client(client: AsyncClient) -> None:
    statuses = [
        (
            await client.post(LOGIN, data={"username": f"u{n}@example.com", "password": "x"})
        ).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


@pytest.mark.usefixtures("tight_limits")
@pytest.mark.parametrize(
    ("path", "malformed"),
    [
        (LOGIN, {"content": b"username=&password", "headers": {"Content-Type": FORM}}),
        (REGISTER, {"content": b'{"email": ', "headers": {"Content-Type": "application/json"}}),
        (REFRESH, {"content": b"[1, 2", "headers": {"Content-Type": "application/json"}}),
    ],
)
async def test_malformed_bodies_spend_the_client_budget_too(
    client: AsyncClient, path: str, malformed: dict[str, Any]
) -> None:
    # The budget is charged before the body is read: a flood of unparsable requests is
    # throttled like any other, and a well-formed one after it waits as well.
    limit = {LOGIN: 3, REGISTER: 2, REFRESH: 2}[path]
    statuses = [(await client.post(path, **malformed)).status_code for _ in range(limit + 1)]
    assert statuses == [422] * limit + [429]


@pytest.mark.usefixtures("tight_limits")
async def test_register_is_throttled_per_client(client: AsyncClient) -> None:
    statuses = [
        (await client.post(REGISTER, json=registration(email=f"r{n}@example.com"))).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]


@pytest.mark.usefixtures("tight_limits")
async def test_refresh_is_throttled_per_client(client: AsyncClient) -> None:
    statuses = [
        (await client.post(REFRESH, json={"refresh_token": "forged"})).status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 429]


async def test_passwords_hashes_and_tokens_never_reach_responses_or_logs(
    client: AsyncClient, log_lines: StringIO, db: AsyncSession
) -> None:
    password = "recognisable-Pa55word-7731"
    registered = await client.post(REGISTER, json=registration(password=password))
    users = UserRepository(db)
    account = await users.find_by_email("new@example.com")
    assert account is not None
    await users.update(account, {"email_verified_at": datetime.now(UTC)})
    tokens = await login(client, "new@example.com", password)
    refreshed = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    await age_rotations(db)
    reused = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    me = await client.get("/api/v1/users/me", headers=bearer(refreshed.json()["access_token"]))
    responses = [registered.text, refreshed.text, reused.text, me.text]
    logs = log_lines.getvalue()
    assert logs, "nothing was logged: the check below would prove nothing"
    for text in [*responses, logs]:
        assert password not in text
        assert "$argon2" not in text
        assert "hashed_password" not in text
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert token not in logs
    # The reuse was logged, with who and which session, but without the token.
    reuse = [json.loads(line) for line in logs.splitlines() if "reused" in line]
    assert reuse[0]["user_id"]


async def test_the_login_form_takes_the_oauth2_fields_and_refuses_another_grant(
    client: AsyncClient, user: User
) -> None:
    """What Swagger UI's "Authorize" sends: `grant_type=password` and empty client fields."""
    form = {"grant_type": "password", "username": user.email, "password": DEFAULT_PASSWORD}
    extra = {"scope": "", "client_id": "", "client_secret": ""}
    accepted = await client.post(LOGIN, data={**form, **extra})
    refused = await client.post(LOGIN, data={**form, "grant_type": "client_credentials"})
    assert accepted.status_code == 200
    assert refused.status_code == 422
