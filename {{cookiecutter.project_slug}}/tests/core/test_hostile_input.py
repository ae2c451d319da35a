"""Bodies no client should send: each is refused with a 4xx problem, never a 500, and writes
nothing. Registration is the target because every generated service has it and it writes."""

import json
from typing import NamedTuple

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User

REGISTER = "/api/v1/auth/register"
VALID = {"email": "hostile@example.com", "password": "a long enough password", "full_name": "H"}
JSON_HEADERS = {"Content-Type": "application/json"}


def body(**changes: object) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


AS_TEXT = {"Content-Type": "text/plain"}


class Refusal(NamedTuple):
    content: bytes
    status: int
    code: str
    headers: dict[str, str] = JSON_HEADERS


def refused(
    content: bytes, status: int, code: str, *, headers: dict[str, str] = JSON_HEADERS
) -> Refusal:
    return Refusal(content, status, code, headers)


HOSTILE_BODIES = {
    "malformed JSON": refused(b'{"email": "a@example.com", ', 422, "validation_error"),
    "JSON that is not an object": refused(b'["a@example.com"]', 422, "validation_error"),
    # Latin-1, not UTF-8: JSON parsers differ on such bytes, so none may reach one.
    "a body that is not UTF-8": refused(
        body(full_name="cafe").replace(b"cafe", b"caf\xe9"), 400, "bad_request"
    ),
    "nesting a parser would recurse into": refused(
        b"[" * 100_000 + b"]" * 100_000, 400, "bad_request"
    ),
    "nesting past the depth limit": refused(
        body(full_name="x").replace(b'"x"', b"[" * 40 + b"]" * 40), 400, "bad_request"
    ),
    "tens of thousands of unknown keys": refused(
        json.dumps({f"k{n}": 0 for n in range(50_000)}).encode(), 400, "bad_request"
    ),
    "a lone surrogate, which cannot be stored as UTF-8": refused(
        body(full_name="x").replace(b'"x"', b'"\\ud800"'), 422, "validation_error"
    ),
    "a NUL character, which PostgreSQL cannot store in text": refused(
        body(full_name="a\u0000b"), 422, "validation_error"
    ),
    "a string over the column's length": refused(
        body(full_name="x" * 201), 422, "validation_error"
    ),
    "a number where text belongs": refused(body(full_name=12), 422, "validation_error"),
    "a JSON body labelled as plain text": refused(
        body(), 415, "unsupported_media_type", headers=AS_TEXT
    ),
    "a JSON body with no content type": refused(body(), 415, "unsupported_media_type", headers={}),
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
async def test_a_hostile_body_is_a_4xx_problem_and_writes_nothing(
    client: AsyncClient, db: AsyncSession, name: str
) -> None:
    refusal = HOSTILE_BODIES[name]
    response = await client.post(REGISTER, content=refusal.content, headers=refusal.headers)

    assert response.status_code == refusal.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == refusal.code
    assert await db.scalar(select(func.count()).select_from(User)) == 0


async def test_the_same_body_done_right_is_accepted(client: AsyncClient) -> None:
    # The control: every hostile body above differs from this one in one way only.
    response = await client.post(REGISTER, content=body(), headers=JSON_HEADERS)
    assert response.status_code == 202, response.text
