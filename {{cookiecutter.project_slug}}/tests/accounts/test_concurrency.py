"""Registrations racing each other, on an app whose requests commit for real."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

REGISTER = "/api/v1/auth/register"


@pytest.fixture
async def engine(committing_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committing_database_url)
    yield engine
    await engine.dispose()


async def test_two_registrations_of_one_new_address_at_once_make_one_account(
    committing_client: AsyncClient, engine: AsyncEngine
) -> None:
    body = {"email": "twice@example.com", "password": "a long enough secret", "full_name": "T"}
    first, second = await asyncio.gather(
        committing_client.post(REGISTER, json=body), committing_client.post(REGISTER, json=body)
    )

    # The second waits for the first (its look-alike lock, then the unique key), then finds
    # the address taken: the same answer, and a notice instead of a second account.
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.text == second.text
    async with engine.connect() as connection:
        accounts = await connection.scalar(
            text("SELECT count(*) FROM users WHERE email_key = 'twice@example.com'")
        )
        jobs = await connection.execute(
            text("SELECT task_name FROM procrastinate_jobs ORDER BY task_name")
        )
        task_names = jobs.scalars().all()
    assert accounts == 1
    assert task_names == ["accounts.send_account_exists", "accounts.send_verification"]
