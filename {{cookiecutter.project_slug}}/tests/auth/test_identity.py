"""One account per address however it is written, and no account that only looks like another.
Addresses with letters beyond ASCII are written with escapes, so the reader sees which."""

import asyncio

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.users.emails import email_key, lookalike_key

from tests.support import login

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
PASSWORD = "a long enough password"
DOTTED_CAPITAL_I = "\u0130van@example.com"  # İvan: Turkish capital I with a dot
FULL_WIDTH = "\uff41dmin@example.com"  # full-width a, then "dmin"
CYRILLIC_A = "\u0430dmin@example.com"  # Cyrillic a, then "dmin"
DOTLESS_I = "adm\u0131n@example.com"  # "adm", dotless i, "n"
NFC = "caf\u00e9@example.org"  # é as one code point
NFD = "cafe\u0301@example.org"  # e, then a combining acute accent


async def register(client: AsyncClient, email: str) -> int:
    account = {"email": email, "password": PASSWORD, "full_name": "Someone"}
    return (await client.post(REGISTER, json=account)).status_code


async def register_code(client: AsyncClient, email: str) -> str:
    account = {"email": email, "password": PASSWORD, "full_name": "Someone"}
    response = await client.post(REGISTER, json=account)
    return str(response.json().get("code", response.status_code))


def test_the_key_unifies_case_width_and_normalization() -> None:
    assert email_key("Ivan@EXAMPLE.com") == "ivan@example.com"
    assert email_key(FULL_WIDTH) == "admin@example.com"
    assert email_key(NFD) == email_key(NFC)
    assert lookalike_key(email_key(CYRILLIC_A)) == "admin@example.com"
    assert lookalike_key(email_key(DOTLESS_I)) == "admin@example.com"
    # Plain ASCII is never folded: "rn" is not an "m" here.
    assert lookalike_key("arnie@example.com") != lookalike_key("amie@example.com")


async def test_an_address_logs_in_exactly_as_it_was_registered(client: AsyncClient) -> None:
    assert await register(client, DOTTED_CAPITAL_I) == 201
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
    client: AsyncClient, registered: str, typed: str
) -> None:
    assert await register(client, registered) == 201
    assert await register_code(client, typed) == "email_taken"
    assert (await login(client, typed, PASSWORD))["token_type"] == "bearer"


@pytest.mark.parametrize("lookalike", [CYRILLIC_A, DOTLESS_I])
async def test_a_lookalike_of_a_registered_address_is_refused(
    client: AsyncClient, lookalike: str
) -> None:
    assert await register(client, "admin@example.com") == 201
    assert await register_code(client, lookalike) == "email_lookalike"


async def test_the_lookalike_check_works_both_ways(client: AsyncClient) -> None:
    assert await register(client, CYRILLIC_A) == 201
    assert await register_code(client, "admin@example.com") == "email_lookalike"


async def test_distinct_ascii_addresses_are_never_lookalikes(client: AsyncClient) -> None:
    assert await register(client, "arnie@example.com") == 201
    assert await register(client, "amie@example.com") == 201


async def test_the_lookalike_check_can_be_turned_off(app: FastAPI, client: AsyncClient) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"REFUSE_LOOKALIKE_EMAILS": False}
    )
    assert await register(client, "admin@example.com") == 201
    assert await register(client, CYRILLIC_A) == 201


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
    codes = await asyncio.gather(
        register_code(committing_client, "admin@example.com"),
        register_code(committing_client, CYRILLIC_A),
    )
    # The lock on their shared look-alike key makes the second wait, then see the first.
    assert sorted(codes) == ["201", "email_lookalike"]
