"""Changing one's address: the current password first, a notice to the current address, and
the change only when the link mailed to the new one is used."""

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.support import Deliver, TokenPairJson, bearer, login, token_from

CHANGE = "/api/v1/users/me/email"
VERIFY = "/api/v1/auth/verify-email"
LOGIN = "/api/v1/auth/login"


async def request_change(
    client: AsyncClient, tokens: TokenPairJson, new_email: str, password: str = DEFAULT_PASSWORD
) -> int:
    body = {"new_email": new_email, "current_password": password}
    response = await client.post(CHANGE, json=body, headers=bearer(tokens["access_token"]))
    return response.status_code


async def test_the_address_changes_when_the_new_one_confirms_it(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson, deliver: Deliver
) -> None:
    old_email = user.email
    assert await request_change(client, user_tokens, "moved@example.net") == 202
    mails = {mail.recipients[0]: mail for mail in await deliver()}
    still = await client.get("/api/v1/users/me", headers=bearer(user_tokens["access_token"]))

    notice = mails[old_email]
    assert notice.subject.endswith("Your email address is being changed")
    assert "moved@example.net" not in notice.part("plain")
    assert still.json()["email"] == old_email
    confirmed = await client.post(
        VERIFY, json={"token": token_from(mails["moved@example.net"], "verify-email")}
    )
    assert confirmed.status_code == 204
    me = await client.get("/api/v1/users/me", headers=bearer(user_tokens["access_token"]))
    assert me.json()["email"] == "moved@example.net"
    old = await client.post(LOGIN, data={"username": old_email, "password": DEFAULT_PASSWORD})
    new = await client.post(
        LOGIN, data={"username": "moved@example.net", "password": DEFAULT_PASSWORD}
    )
    assert (old.status_code, new.status_code) == (401, 200)


async def test_a_wrong_current_password_changes_nothing(
    client: AsyncClient, user_tokens: TokenPairJson, deliver: Deliver
) -> None:
    response = await client.post(
        CHANGE,
        json={"new_email": "moved@example.net", "current_password": "a wrong guess"},
        headers=bearer(user_tokens["access_token"]),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_current_password"
    assert await deliver() == []


async def test_a_taken_new_address_is_not_revealed_to_the_requester(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson, deliver: Deliver
) -> None:
    await create_user(db, email="taken@example.net")
    other = await create_user(db, email="other@example.com")
    other_tokens = await login(client, other.email)
    answers = [
        await client.post(
            CHANGE,
            json={"new_email": new_email, "current_password": DEFAULT_PASSWORD},
            headers=bearer(tokens["access_token"]),
        )
        for tokens, new_email in (
            (user_tokens, "taken@example.net"),
            (other_tokens, "free@example.net"),
        )
    ]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert answers[0].text == answers[1].text
    # Only the holder of the new mailbox learns it has an account, by using the link.
    [link] = [m for m in await deliver() if m.recipients == ["taken@example.net"]]
    response = await client.post(VERIFY, json={"token": token_from(link, "verify-email")})
    assert response.json()["code"] == "email_taken"


async def test_only_the_latest_change_request_can_be_confirmed(
    client: AsyncClient, user_tokens: TokenPairJson, deliver: Deliver
) -> None:
    await request_change(client, user_tokens, "first@example.net")
    first = [m for m in await deliver() if m.recipients == ["first@example.net"]]
    await request_change(client, user_tokens, "second@example.net")
    second = [m for m in await deliver() if m.recipients == ["second@example.net"]]
    stale = await client.post(VERIFY, json={"token": token_from(first[0], "verify-email")})
    fresh = await client.post(VERIFY, json={"token": token_from(second[0], "verify-email")})
    assert (stale.status_code, fresh.status_code) == (403, 204)


async def test_a_confirmation_of_a_taken_address_is_a_conflict(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson, deliver: Deliver
) -> None:
    assert await request_change(client, user_tokens, "contested@example.net") == 202
    [link] = [m for m in await deliver() if m.recipients == ["contested@example.net"]]
    await create_user(db, email="Contested@example.net")
    response = await client.post(VERIFY, json={"token": token_from(link, "verify-email")})
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


async def test_changing_the_address_shares_the_password_guessing_budget(
    app: FastAPI, client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"PASSWORD_CHANGE_RATE_LIMIT_PER_ACCOUNT": "2/minute"}
    )
    headers = bearer(user_tokens["access_token"])
    guess = {"current_password": "guess", "password": "a new long password"}
    first = await client.patch("/api/v1/users/me", json=guess, headers=headers)
    second = await request_change(client, user_tokens, "moved@example.net", "guess")
    third = await request_change(client, user_tokens, "moved@example.net", "guess")
    assert (first.status_code, second, third) == (403, 403, 429)


async def test_changing_the_address_needs_a_login(client: AsyncClient) -> None:
    response = await client.post(
        CHANGE, json={"new_email": "x@example.net", "current_password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 401
