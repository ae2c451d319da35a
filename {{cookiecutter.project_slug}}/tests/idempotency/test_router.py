"""Idempotency-Key on creating POSTs: a retry replays the first response, a different request
with the same key is refused, and concurrent retries create exactly one resource."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from {{ cookiecutter.package_name }}.core.row_security import act_for
from {{ cookiecutter.package_name }}.idempotency.models import IdempotencyKey
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project
from tests.support import TokenPairJson, bearer, login, sign_up

PROJECTS = "/api/v1/projects"


def with_key(tokens: TokenPairJson, key: str) -> dict[str, str]:
    return {**bearer(tokens["access_token"]), "Idempotency-Key": key}


async def count_projects(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(Project)) or 0


async def test_a_retry_replays_the_first_response(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson
) -> None:
    headers = with_key(user_tokens, "create-website-1")
    first = await client.post(PROJECTS, json={"name": "Website"}, headers=headers)
    retry = await client.post(PROJECTS, json={"name": "Website"}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["etag"] == first.headers["etag"] == '"1"'
    assert await count_projects(db) == 1


async def test_the_etag_of_a_create_is_good_for_the_first_update_and_a_replay_keeps_it(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    headers = with_key(user_tokens, "create-then-update")
    created = await client.post(PROJECTS, json={"name": "Website"}, headers=headers)
    url = created.headers["location"]
    auth = bearer(user_tokens["access_token"])
    updated = await client.patch(
        url, json={"name": "Site"}, headers={**auth, "If-Match": created.headers["etag"]}
    )
    assert updated.status_code == 200
    # The replay is the representation first created, with its ETag: now a stale one.
    replay = await client.post(PROJECTS, json={"name": "Website"}, headers=headers)
    assert replay.headers["etag"] == created.headers["etag"]
    stale = await client.patch(
        url, json={"name": "Again"}, headers={**auth, "If-Match": replay.headers["etag"]}
    )
    assert stale.status_code == 412


async def test_the_same_body_in_another_key_order_is_the_same_request(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    headers = {**with_key(user_tokens, "k-order"), "content-type": "application/json"}
    await client.post(PROJECTS, content=b'{"name": "A", "description": "d"}', headers=headers)
    retry = await client.post(
        PROJECTS, content=b'{ "description":"d","name":"A" }', headers=headers
    )
    assert retry.headers["idempotent-replayed"] == "true"


async def test_the_same_key_with_a_different_body_is_a_422(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson
) -> None:
    headers = with_key(user_tokens, "create-1")
    await client.post(PROJECTS, json={"name": "Website"}, headers=headers)
    other = await client.post(PROJECTS, json={"name": "Shop"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert await count_projects(db) == 1


async def test_keys_belong_to_their_user(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson
) -> None:
    stranger = await create_user(db)
    stranger_tokens = await login(client, stranger.email)
    mine = await client.post(PROJECTS, json={"name": "W"}, headers=with_key(user_tokens, "k"))
    theirs = await client.post(PROJECTS, json={"name": "W"}, headers=with_key(stranger_tokens, "k"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


async def test_a_failed_create_is_not_stored_so_a_retry_runs_again(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    taken = await create_project(db, owner=user, name="Taken")
    headers = with_key(user_tokens, "retry-after-conflict")
    assert (await client.post(PROJECTS, json={"name": "Taken"}, headers=headers)).status_code == 409
    await db.delete(taken)
    await db.flush()
    retry = await client.post(PROJECTS, json={"name": "Taken"}, headers=headers)
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers


async def test_an_expired_key_can_be_used_afresh(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson
) -> None:
    headers = with_key(user_tokens, "old-key")
    first = await client.post(PROJECTS, json={"name": "First"}, headers=headers)
    await db.execute(
        update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    second = await client.post(PROJECTS, json={"name": "Second"}, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


@pytest.mark.parametrize("key", [b"", b"x" * 256, b"has space", "naïve".encode()])
async def test_a_malformed_key_is_a_422(
    client: AsyncClient, user_tokens: TokenPairJson, key: bytes
) -> None:
    response = await client.post(
        PROJECTS,
        json={"name": "W"},
        headers={
            b"Authorization": f"Bearer {user_tokens['access_token']}".encode(),
            b"Idempotency-Key": key,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_task_creation_is_idempotent_too(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    project = await create_project(db, owner=user)
    url = f"{PROJECTS}/{project.id}/tasks"
    headers = with_key(user_tokens, "task-1")
    first = await client.post(url, json={"title": "Once", "estimate": "1.50"}, headers=headers)
    retry = await client.post(url, json={"title": "Once", "estimate": "1.50"}, headers=headers)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()


async def test_concurrent_retries_create_exactly_one_project(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    tokens = await sign_up(client, "retrier@example.com")
    headers = with_key(tokens, "flaky-network-1")
    responses = await asyncio.gather(
        *(client.post(PROJECTS, json={"name": "Once"}, headers=headers) for _ in range(10))
    )
    assert [response.status_code for response in responses] == [201] * 10
    assert len({response.json()["id"] for response in responses}) == 1
    replayed = [response.headers.get("idempotent-replayed") for response in responses]
    assert replayed.count("true") == 9
    listed = await client.get(PROJECTS, headers=bearer(tokens["access_token"]))
    assert listed.json()["total"] == 1


async def test_concurrent_retries_with_an_expired_key_create_once_and_replay(
    committing_client: AsyncClient, committing_database_url: str
) -> None:
    client = committing_client
    tokens = await sign_up(client, "late@example.com")
    headers = with_key(tokens, "reused-after-a-day")
    await client.post(PROJECTS, json={"name": "First"}, headers=headers)
    engine = create_async_engine(committing_database_url)
    async with engine.begin() as connection:
        # As the key's owner: row-level security shows nobody else their keys.
        owner_id = await connection.scalar(select(User.id).where(User.email == "late@example.com"))
        assert owner_id is not None
        await act_for(connection, owner_id)
        await connection.execute(
            update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await engine.dispose()

    responses = await asyncio.gather(
        *(client.post(PROJECTS, json={"name": "Second"}, headers=headers) for _ in range(6))
    )

    assert [response.status_code for response in responses] == [201] * 6
    assert len({response.json()["id"] for response in responses}) == 1
    replayed = [response.headers.get("idempotent-replayed") for response in responses]
    assert replayed.count("true") == 5


async def wait_for_a_lock_wait(connection: AsyncConnection) -> None:
    """Until some other backend is waiting on a row lock (bounded: 10 s)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        " AND pid <> pg_backend_pid()"
    )
    for _ in range(1000):
        if await connection.scalar(waiting):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the keyed create never waited for the deletion")


async def test_a_keyed_create_racing_the_deletion_of_its_user_is_a_conflict_not_a_500(
    committing_client: AsyncClient, committing_database_url: str
) -> None:
    client = committing_client
    tokens = await sign_up(client, "doomed@example.com")
    engine = create_async_engine(committing_database_url)
    try:
        async with engine.connect() as deleter, engine.connect() as watcher:
            # The account is deleted in a transaction that stays open: the request below
            # authenticates (the row is still visible), then its key claim must wait for it.
            await deleter.execute(delete(User).where(User.email == "doomed@example.com"))
            request = asyncio.create_task(
                client.post(PROJECTS, json={"name": "Late"}, headers=with_key(tokens, "k-1"))
            )
            await wait_for_a_lock_wait(watcher)
            await deleter.commit()
            response = await request
    finally:
        await engine.dispose()

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "reference_deleted"
