"""Registering and confirming an address, end to end: the request, the job it deferred, the
mail over SMTP, the link in it, and the login afterwards."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts.models import AccountToken
from {{ cookiecutter.package_name }}.accounts.tokens import token_digest
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.support import Deliver, bearer, queued_jobs, token_from

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"
LOGIN = "/api/v1/auth/login"
PASSWORD = "a long enough secret"


def registration(**overrides: str) -> dict[str, str]:
    body = {"email": "new@example.com", "password": PASSWORD, "full_name": "New"}
    body.update(overrides)
    return body


async def log_in(client: AsyncClient, email: str, password: str = PASSWORD) -> Response:
    return await client.post(LOGIN, data={"username": email, "password": password})


def the_answer(response: Response) -> tuple[int, str, tuple[tuple[str, str], ...]]:
    """What a caller can compare between two answers: the status, the body and the headers
    (but those that differ on every request)."""
    varying = {"date", "x-request-id", "traceparent"}
    headers = tuple(
        (name, value) for name, value in response.headers.items() if name not in varying
    )
    return response.status_code, response.text, headers


async def test_a_new_account_logs_in_once_the_mailed_link_confirms_its_address(
    client: AsyncClient, deliver: Deliver
) -> None:
    registered = await client.post(REGISTER, json=registration(email="Ann@Example.org"))
    before = await log_in(client, "ann@example.org")
    [mail] = await deliver()
    confirmed = await client.post(VERIFY, json={"token": token_from(mail, "verify-email")})
    after = await log_in(client, "ann@example.org")

    assert registered.status_code == 202
    assert set(registered.json()) == {"detail"}
    assert before.status_code == 403
    assert before.json()["code"] == "email_not_verified"
    # As typed (the domain in lower case: domains are case-blind and EmailStr lowers it).
    assert mail.recipients == ["Ann@example.org"]
    assert mail.subject.endswith("Confirm your email address")
    assert mail.links[0].startswith("http://localhost:3000/verify-email?token=")
    assert confirmed.status_code == 204
    assert after.status_code == 200
    me = await client.get("/api/v1/users/me", headers=bearer(after.json()["access_token"]))
    assert me.json()["email_verified_at"] is not None


async def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    owner = await create_user(db, email="owner@example.com", full_name="Owner")
    new = await client.post(REGISTER, json=registration(email="fresh@example.com"))
    taken = await client.post(REGISTER, json=registration(email="OWNER@example.com"))
    mails = {mail.recipients[0]: mail for mail in await deliver()}

    assert the_answer(taken) == the_answer(new)
    notice = mails["owner@example.com"]
    assert notice.subject.endswith("You already have an account")
    assert notice.links == ["http://localhost:3000/reset-password"]
    # Nothing about the account changed: not its name, not its password.
    await db.refresh(owner)
    assert owner.full_name == "Owner"
    assert (await log_in(client, owner.email, DEFAULT_PASSWORD)).status_code == 200


async def test_every_registration_defers_exactly_one_job_and_hashes_once(
    app: FastAPI, client: AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work behind a taken address's answer is the work behind a new one's: a password
    hash and one job. (How long each takes is measured by `make bench-login`.)"""
    hashes: list[str] = []
    passwords: PasswordHasher = app.state.shared.passwords
    original = passwords.hash

    async def counting_hash(password: str) -> str:
        hashes.append(password)
        return await original(password)

    monkeypatch.setattr(passwords, "hash", counting_hash)
    await create_user(db, email="taken@example.com")
    await create_user(db, email="admin@example.com")
    for email in ("new@example.com", "TAKEN@example.com", "\u0430dmin@example.com"):
        await client.post(REGISTER, json=registration(email=email))
    assert len(hashes) == 3
    assert [job.task_name for job in await queued_jobs(db)] == [
        "accounts.send_verification",
        "accounts.send_account_exists",
        "accounts.send_verification",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (registration(password="short"), "password"),
        (registration(password="x" * 129), "password"),
        (registration(email="not-an-email"), "email"),
        (registration(full_name="   "), "full_name"),
        (registration(full_name="Nul\u0000"), "full_name"),
        ({**registration(), "role": "admin"}, "role"),
    ],
)
async def test_invalid_registrations_are_422_naming_the_field(
    client: AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await client.post(REGISTER, json=body)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["errors"]] == [field]


async def test_a_wrong_password_for_an_unconfirmed_account_is_invalid_credentials(
    client: AsyncClient, db: AsyncSession
) -> None:
    await create_user(db, email="pending@example.com", verified=False)
    response = await log_in(client, "pending@example.com", "not the password")
    # The 403 would tell a guesser the account exists: only the right password gets it.
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_login_without_a_confirmed_address_can_be_allowed(
    app: FastAPI, client: AsyncClient, db: AsyncSession
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"EMAIL_VERIFICATION_REQUIRED": False}
    )
    await create_user(db, email="pending@example.com", verified=False)
    assert (await log_in(client, "pending@example.com", DEFAULT_PASSWORD)).status_code == 200


async def test_a_confirmation_link_works_once(client: AsyncClient, deliver: Deliver) -> None:
    await client.post(REGISTER, json=registration())
    [mail] = await deliver()
    token = token_from(mail, "verify-email")
    first = await client.post(VERIFY, json={"token": token})
    again = await client.post(VERIFY, json={"token": token})
    assert first.status_code == 204
    assert again.status_code == 403
    assert again.json()["code"] == "invalid_account_token"


async def test_an_expired_confirmation_link_is_refused(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await client.post(REGISTER, json=registration())
    [mail] = await deliver()
    await db.execute(
        update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    response = await client.post(VERIFY, json={"token": token_from(mail, "verify-email")})
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_account_token"
    assert (await log_in(client, "new@example.com")).status_code == 403


@pytest.mark.parametrize(
    ("token", "status"),
    [("A" * 43, 403), ("not a token!", 422), ("", 422), ("A" * 129, 422)],
)
async def test_a_token_that_was_never_minted_is_refused(
    client: AsyncClient, token: str, status: int
) -> None:
    response = await client.post(VERIFY, json={"token": token})
    assert response.status_code == status


async def test_only_the_digest_of_a_token_is_stored(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await client.post(REGISTER, json=registration())
    [mail] = await deliver()
    token = token_from(mail, "verify-email")
    stored = (await db.execute(select(AccountToken.token_hash))).scalars().all()
    assert stored == [token_digest(token)]
    assert token not in str([job.arguments for job in await queued_jobs(db)])


async def test_a_new_link_goes_only_to_an_account_waiting_for_one(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await create_user(db, email="pending@example.com", verified=False)
    await create_user(db, email="done@example.com")
    answers = [
        await client.post(RESEND, json={"email": email})
        for email in ("pending@example.com", "done@example.com", "nobody@example.com")
    ]
    mails = await deliver()

    assert len({the_answer(answer) for answer in answers}) == 1
    assert answers[0].status_code == 202
    assert [mail.recipients for mail in mails] == [["pending@example.com"]]
    confirmed = await client.post(VERIFY, json={"token": token_from(mails[0], "verify-email")})
    assert confirmed.status_code == 204
    assert (await log_in(client, "pending@example.com", DEFAULT_PASSWORD)).status_code == 200


async def test_a_deactivated_account_gets_no_link_and_cannot_use_one(
    client: AsyncClient, db: AsyncSession, deliver: Deliver
) -> None:
    await client.post(REGISTER, json=registration())
    [mail] = await deliver()
    user = await UserRepository(db).find_by_email("new@example.com")
    assert user is not None
    await UserRepository(db).update(user, {"is_active": False})
    resent = await client.post(RESEND, json={"email": "new@example.com"})
    used = await client.post(VERIFY, json={"token": token_from(mail, "verify-email")})
    assert resent.status_code == 202
    assert await deliver() == []
    assert used.status_code == 403


async def test_mail_is_written_from_settings_never_from_the_request(
    client: AsyncClient, deliver: Deliver
) -> None:
    """Password-reset poisoning: a caller who picks the Host (or forwarded headers) must not
    pick where the links in the mail point."""
    hostile = {
        "Host": "evil.example",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http",
        "Forwarded": "host=evil.example",
    }
    await client.post(REGISTER, json=registration(full_name="<b>Prize</b> & more"), headers=hostile)
    [mail] = await deliver()
    assert mail.links
    assert all(link.startswith("http://localhost:3000/") for link in mail.links)
    assert "evil.example" not in mail.part("plain") + mail.part("html")
    # The name arrives as text: escaped in the HTML part, as typed in the plain text.
    html = mail.part("html")
    assert "&lt;b&gt;Prize&lt;/b&gt; &amp; more" in html
    assert "<b>Prize</b> & more" in mail.part("plain")
    assert "<b>" not in html
