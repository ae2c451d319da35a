"""An account's address: the pattern the OpenAPI document gives for it refuses exactly the
addresses the server refuses for being on a special-use domain (RFC 6761)."""

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from {{ cookiecutter.package_name }}.users.schemas import (
    NOT_ON_A_SPECIAL_USE_DOMAIN,
    AccountEmail,
)

ADDRESS = TypeAdapter(AccountEmail)


def test_the_schema_of_an_address_carries_the_pattern_and_says_why() -> None:
    schema = ADDRESS.json_schema()
    assert schema["format"] == "email"
    assert schema["pattern"] == NOT_ON_A_SPECIAL_USE_DOMAIN
    assert ".test" in schema["description"]


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com",
        "ann@mail.test",
        "ann@MAIL.Test",
        "ann@test",
        "ann@test.example.com",
        "ann@testing.com",
        "ann@contest.org",
        "ann@sub.localhost",
        "ann@x.local",
        "ann@x.locals",
        "ann@onion.net",
        "ann@hidden.onion",
        "ann@10.in-addr.arpa",
        "ann@invalid.org",
        "ann@x.invalid",
    ],
)
def test_the_pattern_refuses_what_the_server_refuses(address: str) -> None:
    try:
        ADDRESS.validate_python(address)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert bool(re.search(NOT_ON_A_SPECIAL_USE_DOMAIN, address)) is accepted
