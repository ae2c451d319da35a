"""One account per address however it is written, and no account that only looks like another.
Addresses with letters beyond ASCII are written with escapes, so the reader sees which."""

import asyncio
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.users.emails import email_key, lookalike_key
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.support import login, make_settings, queued_jobs

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PASSWORD = "a long enough password"
DOTTED_CAPITAL_I = "\u0130van@example.com"  # İvan: Turkish capital I with a dot
FULL_WIDTH = "\uff41dmin@example.com"  # full-width a, then "dmin"
CYRILLIC_A = "\u0430dmin@example.com"  # Cyrillic a, then "dmin"
DOTLESS_I = "adm\u0131n@example.com"  # "adm", dotless i, "n"
NFC = "caf\u00e9@example.org"  # é as one code point
NFD = "cafe\u0301@example.org"  # e, then a combining acute accent


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Confirming the address is not what this module is about (tests/accounts covers it).
    return make_settings(database_url, EMAIL_VERIFICATION_REQUIRED=False)


async def register(client: AsyncClient, email: str) -> None:
    """Register; the answer is the same whatever happens, so tests look at the outcome."""
    account = {"email": email, "password": PASSWORD, "full_name": "Someone"}
    response = await client.post(REGISTER, json=account)
    assert response.status_code == 202, response.text


async def account_id(db: AsyncSession, email: str) -> uuid.UUID | None:
    user = await UserRepository(db).find_by_email(email)
    return user.id if user is not None else None


async def mails_queued(db: AsyncSession) -> list[tuple[str, object]]:
    return [(job.task_name, job.arguments["user_id"]) for job in await queued_jobs(db)]


def test_the_key_unifies_case_width_and_normalization() -> None:
    assert email_key("Ivan@EXAMPLE.com") == "ivan@example.com"
    assert email_key(FULL_WIDTH) == "admin@example.com"
    assert email_key(NFD) == email_key(NFC)
    assert lookalike_key(email_key(CYRILLIC_A)) == "admin@example.com"
    assert lookalike_key(email_key(DOTLESS_I)) == "admin@example.com"
    # Plain ASCII is never folded: "rn" is not an "m" here.
    assert lookalike_key("arnie@example.com") != lookalike_key("amie@example.com")


async def test_an_address_logs_in_exactly_as_it_was_registered(client: AsyncClient) -> None:
    await register(client, DOTTED_CAPITAL_I)
    tokens = await login(client, DOTTED_CAPITAL_I, PASSWORD)
    assert tokens["token_type"] == "bearer"


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        (NFC, NFD),
        ("admin@example.com", FULL_WIDTH),
        ("admin@example.com", "admin@\uff45xample.com"),  # a full-width e in the domain
        ("Admin@Example.com", "ADMIN@example.COM"),
    ],
)
async def test_one_address_in_any_form_is_one_account(
    client: AsyncClient, db: AsyncSession, registered: str, typed: str
) -> None:
    await register(client, registered)
    await register(client, typed)
    owner = str(await account_id(db, registered))
    # The second registration made no account: its owner is told someone tried.
    assert await mails_queued(db) == [
        ("accounts.send_verification", owner),
        ("accounts.send_account_exists", owner),
    ]
    assert (await login(client, typed, PASSWORD))["token_type"] == "bearer"


@pytest.mark.parametrize("lookalike", [CYRILLIC_A, DOTLESS_I])
async def test_a_lookalike_of_a_registered_address_is_refused(
    client: AsyncClient, db: AsyncSession, lookalike: str
) -> None:
    await register(client, "admin@example.com")
    await register(client, lookalike)
    assert await account_id(db, lookalike) is None
    # Nobody is mailed about it, yet a job is queued as for any registration (no timing tell).
    owner = str(await account_id(db, "admin@example.com"))
    assert await mails_queued(db) == [
        ("accounts.send_verification", owner),
        ("accounts.send_verification", None),
    ]


async def test_the_lookalike_check_works_both_ways(client: AsyncClient, db: AsyncSession) -> None:
    await register(client, CYRILLIC_A)
    await register(client, "admin@example.com")
    assert await account_id(db, CYRILLIC_A) is not None
    assert await account_id(db, "admin@example.com") is None


async def test_distinct_ascii_addresses_are_never_lookalikes(
    client: AsyncClient, db: AsyncSession
) -> None:
    await register(client, "arnie@example.com")
    await register(client, "amie@example.com")
    assert None not in {
        await account_id(db, "arnie@example.com"),
        await account_id(db, "amie@example.com"),
    }


async def test_the_lookalike_check_can_be_turned_off(
    app: FastAPI, client: AsyncClient, db: AsyncSession
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"REFUSE_LOOKALIKE_EMAILS": False}
    )
    await register(client, "admin@example.com")
    await register(client, CYRILLIC_A)
    assert await account_id(db, CYRILLIC_A) is not None


async def test_an_address_no_account_can_have_is_a_422(client: AsyncClient) -> None:
    response = await client.post(
        REGISTER,
        json={"email": "\u2170van@example.com", "password": PASSWORD, "full_name": "Roman"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "email"]


async def test_every_form_of_an_address_shares_its_login_budget(
    app: FastAPI, client: AsyncClient
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"LOGIN_RATE_LIMIT_PER_ACCOUNT": "2/minute"}
    )
    forms = ["admin@example.com", "ADMIN@example.com", FULL_WIDTH]
    statuses = [
        (await client.post(LOGIN, data={"username": form, "password": "guess"})).status_code
        for form in forms
    ]
    assert statuses == [401, 401, 429]


async def test_two_lookalikes_registering_at_once_cannot_both_succeed(
    committing_client: AsyncClient,
) -> None:
    await asyncio.gather(
        register(committing_client, "admin@example.com"),
        register(committing_client, CYRILLIC_A),
    )
    # The lock on their shared look-alike key makes the second wait, then see the first: one
    # of the two has an account (its app does not require a confirmed address to log in).
    logins = [
        await committing_client.post(LOGIN, data={"username": email, "password": PASSWORD})
        for email in ("admin@example.com", CYRILLIC_A)
    ]
    assert sorted(response.status_code for response in logins) == [200, 401]
