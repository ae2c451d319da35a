"""Several processes, one database: an Idempotency-Key and an ETag mean the same thing to every
process, even when the requests race each other."""

import asyncio
import uuid

from httpx import AsyncClient

from tests.support import bearer, login
from tests.test_processes import register


async def owner_with_a_project(client: AsyncClient) -> tuple[dict[str, str], str]:
    tokens = await login(client, await register(client))
    headers = bearer(tokens["access_token"])
    project = await client.post("/api/v1/projects", json={"name": "Replicated"}, headers=headers)
    assert project.status_code == 201, project.text
    return headers, f"/api/v1/projects/{project.json()['id']}/tasks"


async def test_an_idempotency_key_replays_on_another_process(
    three_processes: list[AsyncClient],
) -> None:
    first, second, third = three_processes
    headers, tasks = await owner_with_a_project(first)
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}

    created = await first.post(tasks, json={"title": "Once"}, headers=keyed)
    replayed = await second.post(tasks, json={"title": "Once"}, headers=keyed)
    listed = await third.get(tasks, headers=headers)

    assert created.status_code == replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert replayed.headers["location"] == created.headers["location"]
    assert listed.json()["total"] == 1


async def test_racing_duplicates_on_three_processes_create_one_task(
    three_processes: list[AsyncClient],
) -> None:
    headers, tasks = await owner_with_a_project(three_processes[0])
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}

    responses = await asyncio.gather(
        *(client.post(tasks, json={"title": "Race"}, headers=keyed) for client in three_processes)
    )
    listed = await three_processes[0].get(tasks, headers=headers)

    assert [response.status_code for response in responses] == [201, 201, 201]
    assert len({response.json()["id"] for response in responses}) == 1
    originals = [r for r in responses if "idempotent-replayed" not in r.headers]
    assert len(originals) == 1
    assert listed.json()["total"] == 1


async def test_an_etag_from_one_process_guards_a_write_on_another(
    three_processes: list[AsyncClient],
) -> None:
    first, second, third = three_processes
    headers, tasks = await owner_with_a_project(first)
    task = await first.post(tasks, json={"title": "Versioned"}, headers=headers)
    url = f"{tasks}/{task.json()['id']}"
    etag = (await first.get(url, headers=headers)).headers["etag"]

    updated = await second.patch(url, json={"title": "Mine"}, headers={**headers, "If-Match": etag})
    stale = await third.patch(url, json={"title": "Theirs"}, headers={**headers, "If-Match": etag})
    final = await first.get(url, headers=headers)

    assert updated.status_code == 200
    assert stale.status_code == 412
    assert final.json()["title"] == "Mine"
    assert final.headers["etag"] == updated.headers["etag"] != etag
