"""Two admins acting on each other at the same moment, with real commits: whatever the order,
at least one active admin remains."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.users.models import User, UserRole

from tests.support import TokenPairJson, bearer, sign_up

Action = Callable[[AsyncClient, TokenPairJson, str], Awaitable[Response]]


async def demote(client: AsyncClient, actor: TokenPairJson, user_id: str) -> Response:
    return await client.patch(
        f"/api/v1/users/{user_id}", json={"role": "user"}, headers=bearer(actor["access_token"])
    )


async def deactivate(client: AsyncClient, actor: TokenPairJson, user_id: str) -> Response:
    return await client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": False}, headers=bearer(actor["access_token"])
    )


async def delete(client: AsyncClient, actor: TokenPairJson, user_id: str) -> Response:
    return await client.delete(f"/api/v1/users/{user_id}", headers=bearer(actor["access_token"]))


@pytest.mark.parametrize("action", [demote, deactivate, delete])
async def test_two_admins_removing_each_other_at_once_leave_one_admin(
    committing_client: AsyncClient, committing_database_url: str, action: Action
) -> None:
    client = committing_client
    first, second = [await sign_up(client, f"{name}@example.com") for name in ("ann", "bob")]
    engine = create_async_engine(committing_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(User).values(role=UserRole.ADMIN))
        first_id, second_id = [
            (await client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))).json()[
                "id"
            ]
            for tokens in (first, second)
        ]

        outcomes = await asyncio.gather(
            action(client, first, second_id), action(client, second, first_id)
        )

        async with engine.connect() as connection:
            admins = await connection.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == UserRole.ADMIN, User.is_active)
            )
    finally:
        await engine.dispose()

    # The admin rows are locked: one change wins, and the other finds its actor no longer admin
    # (403), or no longer there at all (401, deleted or deactivated before it authenticated).
    statuses = sorted(outcome.status_code for outcome in outcomes)
    assert statuses[1] in {401, 403}, [outcome.text for outcome in outcomes]
    assert statuses[0] in {200, 204}
    assert admins == 1
