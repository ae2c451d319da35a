"""The soak's clients, run with the *baked project's* interpreter (it has httpx): N concurrent
clients mixing reads and writes against one project until the time or the request budget runs
out. Prints one JSON line: answers by status, the IDs every original 201 created, and every
check that failed on the way.

    python soak_client.py URL TOKEN PROJECT_ID CLIENTS SECONDS MAX_REQUESTS
"""

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    created: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def fail(self, message: str) -> None:
        if len(self.failures) < 20:  # enough to diagnose, never a flood
            self.failures.append(message)


class Client:
    """One simulated user session: reads and writes on the project, checking every answer."""

    def __init__(self, http: httpx.AsyncClient, tasks: str, tally: Tally, seed: int) -> None:
        self.http = http
        self.tasks = tasks
        self.tally = tally
        self.random = random.Random(seed)  # noqa: S311 - a reproducible mix, not a secret
        self.mine: list[str] = []

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            waited = time.monotonic() - started
            self.tally.fail(f"{method} {url}: {type(error).__name__} after {waited:.2f} s")
            raise
        self.tally.requests += 1
        self.tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.tally.fail(f"{method} {url}: {response.status_code} {response.text[:200]}")
        return response

    async def step(self) -> None:
        roll = self.random.random()
        if roll < 0.40:
            await self.list_page()
        elif roll < 0.50 and self.mine:
            await self.read_one()
        elif roll < 0.75:
            await self.create(key=None)
        elif roll < 0.95:
            await self.create(key=str(uuid.uuid4()))
        elif self.mine:
            await self.update_one()

    async def list_page(self) -> None:
        params = {"limit": 20, "offset": self.random.choice([0, 20, 40]), "sort": "-created_at"}
        response = await self.send("GET", self.tasks, params=params)
        if response.status_code != 200:
            self.tally.fail(f"list: {response.status_code}")

    async def read_one(self) -> None:
        task_id = self.random.choice(self.mine)
        response = await self.send("GET", f"{self.tasks}/{task_id}")
        if response.status_code != 200:
            self.tally.fail(f"read {task_id}: {response.status_code}")

    async def update_one(self) -> None:
        task_id = self.random.choice(self.mine)
        body = {"status": self.random.choice(["todo", "doing", "done"])}
        response = await self.send("PATCH", f"{self.tasks}/{task_id}", json=body)
        if response.status_code != 200:
            self.tally.fail(f"update {task_id}: {response.status_code}")

    async def create(self, key: str | None) -> None:
        body = {"title": f"soak {uuid.uuid4().hex[:12]}", "estimate": "1.50"}
        headers = {} if key is None else {"Idempotency-Key": key}
        response = await self.send("POST", self.tasks, json=body, headers=headers)
        if response.status_code != 201:
            self.tally.fail(f"create: {response.status_code} {response.text[:200]}")
            return
        task_id = response.json()["id"]
        self.tally.created.append(task_id)
        self.mine.append(task_id)
        if key is not None:
            # A retry of the same request: the same task back, replayed, and no second row.
            again = await self.send("POST", self.tasks, json=body, headers=headers)
            replayed = again.headers.get("idempotent-replayed") == "true"
            if again.status_code != 201 or again.json().get("id") != task_id or not replayed:
                self.tally.fail(f"replay of {key}: {again.status_code} {again.text[:200]}")


async def main(argv: list[str]) -> None:
    url, token, project_id = argv[0], argv[1], argv[2]
    clients, seconds, max_requests = int(argv[3]), float(argv[4]), int(argv[5])
    tally = Tally()
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:
        tasks = f"/api/v1/projects/{project_id}/tasks"

        async def run(seed: int) -> None:
            client = Client(http, tasks, tally, seed)
            while time.monotonic() < deadline and tally.requests < max_requests:
                # A transport error is recorded where it happened; the client carries on.
                with contextlib.suppress(httpx.TransportError):
                    await client.step()

        await asyncio.gather(*(run(seed) for seed in range(clients)))
    output = {
        "requests": tally.requests,
        "statuses": {str(code): count for code, count in sorted(tally.statuses.items())},
        "created": tally.created,
        "failures": tally.failures,
    }
    sys.stdout.write(json.dumps(output) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
