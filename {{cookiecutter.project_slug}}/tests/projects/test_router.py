"""Projects over HTTP: ownership, pagination, filters, counts, conflicts and conditional writes."""

import asyncio
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task
from tests.support import StatementCounter, TokenPairJson, bearer, sign_up

PROJECTS = "/api/v1/projects"


async def test_create_returns_201_with_location_and_zero_counts(
    client: AsyncClient, user: User, user_tokens: TokenPairJson
) -> None:
    response = await client.post(
        PROJECTS,
        json={"name": "  Website  ", "description": "Relaunch"},
        headers=bearer(user_tokens["access_token"]),
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{PROJECTS}/{body['id']}"
    assert "idempotent-replayed" not in response.headers
    assert (body["name"], body["owner_id"], body["version"]) == ("Website", str(user.id), 1)
    assert body["task_counts"] == {"todo": 0, "doing": 0, "done": 0}


async def test_projects_need_authentication(client: AsyncClient) -> None:
    assert (await client.get(PROJECTS)).status_code == 401
    assert (await client.post(PROJECTS, json={"name": "x"})).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "description": "x" * 2001}, "description"),
        ({"name": "ok", "owner_id": str(uuid.uuid4())}, "owner_id"),
        ({}, "name"),
        ({"name": "nul\u0000byte"}, "name"),
        ({"name": "ok", "description": "\u0000"}, "description"),
    ],
)
async def test_invalid_projects_are_422_naming_the_field(
    client: AsyncClient, user_tokens: TokenPairJson, body: dict[str, str], field: str
) -> None:
    response = await client.post(PROJECTS, json=body, headers=bearer(user_tokens["access_token"]))
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["errors"]] == [field]


async def test_a_duplicate_name_is_a_409_for_the_same_owner_only(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    await create_project(db, owner=user, name="Website")
    other = await create_user(db)
    await create_project(db, owner=other, name="Shared name")
    headers = bearer(user_tokens["access_token"])
    duplicate = await client.post(PROJECTS, json={"name": "Website"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "project_name_taken"
    allowed = await client.post(PROJECTS, json={"name": "Shared name"}, headers=headers)
    assert allowed.status_code == 201


async def test_a_user_lists_only_their_projects_and_an_admin_all(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    user_tokens: TokenPairJson,
    admin_tokens: TokenPairJson,
) -> None:
    mine = await create_project(db, owner=user)
    theirs = await create_project(db, owner=await create_user(db))
    as_user = await client.get(PROJECTS, headers=bearer(user_tokens["access_token"]))
    assert [item["id"] for item in as_user.json()["items"]] == [str(mine.id)]
    assert as_user.json()["total"] == 1
    as_admin = await client.get(PROJECTS, headers=bearer(admin_tokens["access_token"]))
    assert {item["id"] for item in as_admin.json()["items"]} == {str(mine.id), str(theirs.id)}


async def test_the_total_counts_every_match_not_just_the_page(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    for index in range(5):
        await create_project(db, owner=user, name=f"P{index}")
    response = await client.get(
        PROJECTS,
        params={"limit": 2, "offset": 2, "sort": "name"},
        headers=bearer(user_tokens["access_token"]),
    )
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
    assert [item["name"] for item in body["items"]] == ["P2", "P3"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "101"}, "less than or equal to 100"),
        ({"sort": "owner_id"}, "'created_at', '-created_at' or 'name'"),
        ({"colour": "red"}, "unknown parameter colour; allowed: limit, offset, q, sort"),
        ({"offset": "99999999999999999999"}, "less than or equal to 1000000"),
        ({"q": "a\u0000b"}, "must not contain NUL"),
    ],
)
async def test_list_parameters_outside_the_whitelist_are_refused(
    client: AsyncClient, user_tokens: TokenPairJson, params: dict[str, str], message: str
) -> None:
    response = await client.get(
        PROJECTS, params=params, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][0]["message"]


async def test_search_matches_wildcards_and_quotes_literally(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    for name in ("100% done", "1000 done", "Bob's; DROP TABLE projects;--", "a_b", "axb"):
        await create_project(db, owner=user, name=name)
    headers = bearer(user_tokens["access_token"])

    async def names(q: str) -> set[str]:
        response = await client.get(PROJECTS, params={"q": q}, headers=headers)
        assert response.status_code == 200
        return {item["name"] for item in response.json()["items"]}

    assert await names("0%") == {"100% done"}
    assert await names("_") == {"a_b"}
    assert await names("'s; drop table") == {"Bob's; DROP TABLE projects;--"}
    assert await names("DONE") == {"100% done", "1000 done"}


async def test_the_list_counts_tasks_per_status(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    project = await create_project(db, owner=user)
    empty = await create_project(db, owner=user)
    for status in (TaskStatus.TODO, TaskStatus.TODO, TaskStatus.DONE):
        await create_task(db, project=project, status=status)
    response = await client.get(PROJECTS, headers=bearer(user_tokens["access_token"]))
    counts = {item["id"]: item["task_counts"] for item in response.json()["items"]}
    assert counts[str(project.id)] == {"todo": 2, "doing": 0, "done": 1}
    assert counts[str(empty.id)] == {"todo": 0, "doing": 0, "done": 0}


@pytest.mark.parametrize("projects", [1, 50])
async def test_listing_projects_with_counts_takes_the_same_statements_for_any_page(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    user_tokens: TokenPairJson,
    statements: StatementCounter,
    projects: int,
) -> None:
    for _ in range(projects):
        await create_task(db, project=await create_project(db, owner=user))
    headers = bearer(user_tokens["access_token"])
    statements.reset()
    response = await client.get(PROJECTS, params={"limit": 50}, headers=headers)
    assert len(response.json()["items"]) == projects
    # The caller's user row, then the page with its counts (one aggregate query) and its total.
    assert statements.count == 2, statements.statements


async def test_another_users_project_is_a_404_everywhere(
    client: AsyncClient, db: AsyncSession, user_tokens: TokenPairJson
) -> None:
    theirs = await create_project(db, owner=await create_user(db))
    headers = bearer(user_tokens["access_token"])
    url = f"{PROJECTS}/{theirs.id}"
    responses = [
        await client.get(url, headers=headers),
        await client.patch(url, json={"name": "Mine now"}, headers=headers),
        await client.delete(url, headers=headers),
        await client.get(f"{url}/tasks", headers=headers),
        await client.post(f"{url}/tasks", json={"title": "x"}, headers=headers),
    ]
    assert [response.status_code for response in responses] == [404] * 5
    missing = await client.get(f"{PROJECTS}/{uuid.uuid4()}", headers=headers)
    assert missing.json()["detail"].endswith("not found")
    assert responses[0].json()["detail"] == f"Project {theirs.id} not found"


async def test_an_admin_reads_any_project(
    client: AsyncClient, db: AsyncSession, user: User, admin_tokens: TokenPairJson
) -> None:
    project = await create_project(db, owner=user)
    response = await client.get(
        f"{PROJECTS}/{project.id}", headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 200


async def test_get_returns_an_etag_and_patch_with_it_succeeds(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    project = await create_project(db, owner=user)
    headers = bearer(user_tokens["access_token"])
    url = f"{PROJECTS}/{project.id}"
    read = await client.get(url, headers=headers)
    assert read.headers["etag"] == '"1"'
    updated = await client.patch(
        url, json={"description": "Now with scope"}, headers={**headers, "If-Match": '"1"'}
    )
    assert updated.status_code == 200
    assert updated.headers["etag"] == '"2"'
    assert updated.json()["description"] == "Now with scope"


@pytest.mark.parametrize("if_match", ['"1"', 'W/"2"', '"not-a-version"'])
async def test_a_write_against_a_stale_etag_is_a_412(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    user_tokens: TokenPairJson,
    if_match: str,
) -> None:
    project = await create_project(db, owner=user)
    headers = bearer(user_tokens["access_token"])
    url = f"{PROJECTS}/{project.id}"
    await client.patch(url, json={"name": "Renamed"}, headers=headers)  # now version 2
    stale = {**headers, "If-Match": if_match}
    patched = await client.patch(url, json={"name": "Lost update"}, headers=stale)
    deleted = await client.delete(url, headers=stale)
    assert (patched.status_code, deleted.status_code) == (412, 412)
    assert patched.json()["code"] == "precondition_failed"
    assert (await client.get(url, headers=headers)).json()["name"] == "Renamed"


async def test_if_match_star_and_a_list_of_etags_are_honoured(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    project = await create_project(db, owner=user)
    headers = bearer(user_tokens["access_token"])
    url = f"{PROJECTS}/{project.id}"
    star = await client.patch(url, json={"name": "A"}, headers={**headers, "If-Match": "*"})
    assert star.status_code == 200
    listed = await client.patch(
        url, json={"name": "B"}, headers={**headers, "If-Match": '"7", "2"'}
    )
    assert listed.status_code == 200


async def test_if_match_can_be_required(
    app: FastAPI, client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    app.state.shared.settings = app.state.shared.settings.model_copy(
        update={"REQUIRE_IF_MATCH": True}
    )
    project = await create_project(db, owner=user)
    response = await client.patch(
        f"{PROJECTS}/{project.id}", json={"name": "x"}, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"


@pytest.mark.parametrize(("body", "status"), [({"name": None}, 422), ({"name": "Taken"}, 409)])
async def test_a_rename_must_be_to_a_free_non_empty_name(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    user_tokens: TokenPairJson,
    body: dict[str, str | None],
    status: int,
) -> None:
    await create_project(db, owner=user, name="Taken")
    project = await create_project(db, owner=user)
    response = await client.patch(
        f"{PROJECTS}/{project.id}", json=body, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == status


async def test_deleting_a_project_deletes_its_tasks_in_the_database(
    client: AsyncClient, db: AsyncSession, user: User, user_tokens: TokenPairJson
) -> None:
    project = await create_project(db, owner=user)
    for _ in range(3):
        await create_task(db, project=project)
    response = await client.delete(
        f"{PROJECTS}/{project.id}", headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 204
    remaining = await db.scalar(
        select(func.count()).select_from(Task).where(Task.project_id == project.id)
    )
    assert remaining == 0


async def test_concurrent_creates_of_one_name_make_exactly_one_project(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    headers = bearer((await sign_up(client, "racer@example.com"))["access_token"])
    responses = await asyncio.gather(
        *(client.post(PROJECTS, json={"name": "Launch"}, headers=headers) for _ in range(8))
    )
    assert sorted(response.status_code for response in responses) == [201] + [409] * 7
    listed = await client.get(PROJECTS, headers=headers)
    assert listed.json()["total"] == 1


async def test_concurrent_unconditional_updates_never_claim_a_failed_precondition(
    committing_client: AsyncClient,
) -> None:
    client = committing_client
    headers = bearer((await sign_up(client, "editor@example.com"))["access_token"])
    created = await client.post(PROJECTS, json={"name": "Draft"}, headers=headers)
    url = created.headers["location"]
    responses = await asyncio.gather(
        *(client.patch(url, json={"name": f"Edit {n}"}, headers=headers) for n in range(6))
    )
    statuses = [response.status_code for response in responses]
    # No If-Match was sent, so no 412: a write that lost the race is a 409 to retry.
    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    conflicts = [response.json()["code"] for response in responses if response.status_code == 409]
    assert set(conflicts) <= {"concurrent_update"}
