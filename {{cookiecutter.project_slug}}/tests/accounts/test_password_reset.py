"""Resetting a forgotten password with a mailed link: single use, the newest link only, and
every session of the account ends."""

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts.models import AccountToken

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.support import Deliver, bearer, login, token_from

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY = "/api/v1/auth/verify-email"
LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a brand new passphrase"


async def reset_token(client: AsyncClient, deliver: Deliver, email: str) -> str:
    assert (await client.post(RESET, json={"email": email})).status_code == 202
    [mail] = await deliver()
    assert mail.subject.endswith("Reset your password")
    return token_from(mail, "reset-password")


async def test_a_reset_sets_the_password_and_ends_every_session(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="forgetful@example.com")
    laptop = await login(client, "forgetful@example.com")
    token = await reset_token(client, deliver, "forgetful@example.com")
    confirmed = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert confirmed.status_code == 204
    # Whoever held a session (say, the one who learnt the old password) is out, at once:
    # the refresh token and the access token alike.
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
    )
    me = await client.get("/api/v1/users/me", headers=bearer(laptop["access_token"]))
    assert (refreshed.status_code, me.status_code) == (401, 401)
    old = await client.post(
        LOGIN, data={"username": "forgetful@example.com", "password": DEFAULT_PASSWORD}
    )
    assert old.status_code == 401
    assert (await login(client, "forgetful@example.com", NEW_PASSWORD))["access_token"]


async def test_a_reset_link_works_once(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="once@example.com")
    token = await reset_token(client, deliver, "once@example.com")
    body = {"token": token, "new_password": NEW_PASSWORD}
    first = await client.post(CONFIRM, json=body)
    again = await client.post(CONFIRM, json={**body, "new_password": "and yet another one"})
    assert (first.status_code, again.status_code) == (204, 403)
    assert again.json()["code"] == "invalid_account_token"
    assert (await login(client, "once@example.com", NEW_PASSWORD))["access_token"]


async def test_only_the_newest_reset_link_works(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="twice@example.com")
    older = await reset_token(client, deliver, "twice@example.com")
    newer = await reset_token(client, deliver, "twice@example.com")
    refused = await client.post(CONFIRM, json={"token": older, "new_password": NEW_PASSWORD})
    accepted = await client.post(CONFIRM, json={"token": newer, "new_password": NEW_PASSWORD})
    assert (refused.status_code, accepted.status_code) == (403, 204)


async def test_an_expired_reset_link_is_refused(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="late@example.com")
    token = await reset_token(client, deliver, "late@example.com")
    # The link lives 30 minutes (PASSWORD_RESET_TOKEN_LIFETIME_MINUTES).
    await db.execute(
        update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    response = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 403


async def test_a_token_is_bound_to_its_purpose(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="pending@example.com", verified=False)
    reset = await reset_token(client, deliver, "pending@example.com")
    await client.post("/api/v1/auth/verify-email/resend", json={"email": "pending@example.com"})
    [mail] = await deliver()
    verification = token_from(mail, "verify-email")

    as_verification = await client.post(VERIFY, json={"token": reset})
    as_reset = await client.post(CONFIRM, json={"token": verification, "new_password": "x" * 12})
    assert (as_verification.status_code, as_reset.status_code) == (403, 403)
    assert {as_verification.json()["code"], as_reset.json()["code"]} == {"invalid_account_token"}


async def test_a_reset_confirms_the_address_it_was_mailed_to(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="pending@example.com", verified=False)
    token = await reset_token(client, deliver, "pending@example.com")
    await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert (await login(client, "pending@example.com", NEW_PASSWORD))["access_token"]


async def test_every_address_gets_the_same_answer_and_only_an_account_a_mail(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="member@example.com")
    await create_user(db, email="gone@example.com", is_active=False)
    answers = [
        await client.post(RESET, json={"email": email})
        for email in ("member@example.com", "gone@example.com", "nobody@example.com")
    ]
    mails = await deliver()
    assert len({(answer.status_code, answer.text) for answer in answers}) == 1
    assert [mail.recipients for mail in mails] == [["member@example.com"]]


async def test_a_weak_new_password_is_a_422_and_spends_no_token(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="weak@example.com")
    token = await reset_token(client, deliver, "weak@example.com")
    weak = await client.post(CONFIRM, json={"token": token, "new_password": "short"})
    strong = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert (weak.status_code, strong.status_code) == (422, 204)


async def test_the_per_address_budget_is_charged_alike_for_every_address(
    app: FastAPI, client: AsyncClient, db: AsyncSession
) -> None:
    """Running out of it says nothing about whether the address has an account."""
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={
            "ACCOUNT_MAIL_RATE_LIMIT_PER_ADDRESS": "2/minute",
            "ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT": "100/minute",
        }
    )
    await create_user(db, email="member@example.com")
    statuses = {
        email: [
            (await client.post(path, json={"email": email})).status_code
            for path in (RESET, "/api/v1/auth/verify-email/resend", RESET)
        ]
        for email in ("member@example.com", "nobody@example.com")
    }
    # One budget for both kinds of mail, and for every spelling of the address.
    assert statuses == {
        "member@example.com": [202, 202, 429],
        "nobody@example.com": [202, 202, 429],
    }
    again = await client.post(RESET, json={"email": "MEMBER@Example.com"})
    assert again.status_code == 429


async def test_the_per_client_budget_is_charged_before_the_body_is_read(
    app: FastAPI, client: AsyncClient
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"ACCOUNT_MAIL_RATE_LIMIT_PER_CLIENT": "2/minute"}
    )
    broken = {"content": b'{"email": ', "headers": {"Content-Type": "application/json"}}
    statuses = [(await client.post(RESET, **broken)).status_code for _ in range(2)]  # type: ignore[arg-type]
    after = await client.post(RESET, json={"email": "someone@example.com"})
    assert statuses == [422, 422]
    assert after.status_code == 429
