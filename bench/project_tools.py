"""Helpers the benchmark runs with the *baked project's* interpreter, so they use its own code:
seeding the database, issuing tokens, and counting the SQL statements of each scenario.

    python project_tools.py seed         prints the seeded IDs as JSON
    python project_tools.py tokens N     prints an access token and N refresh tokens as JSON
    python project_tools.py statements   prints the statements per request of each scenario
    python project_tools.py task_ids P   prints the IDs of project P's tasks
    python project_tools.py activity     prints the service's server connections by state

Settings come from the environment, as for the service (DATABASE_URL, SECRET_KEY...).
"""

import asyncio
import itertools
import json
import random
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import ASGITransport, AsyncClient
from my_service.auth import service as auth_service
from my_service.core.config import get_settings
from my_service.core.db import UnitsOfWork, create_engine, create_sessionmaker, unit_of_work
from my_service.core.passwords import PasswordHasher
from my_service.core.row_security import act_for
from my_service.core.security import TokenCodec, TokenLifetimes
from my_service.main import create_app
from my_service.projects.models import Project
from my_service.tasks.models import Task, TaskStatus
from my_service.users.models import User
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession

BENCH_EMAIL = "bench@example.com"
BENCH_PASSWORD = "a benchmark password"  # noqa: S105 - a throwaway account on a throwaway database
PROJECTS = 50
TASKS = 2_000
# The project the task list reads: a quarter of all tasks, so a filtered page is full.
BIG_PROJECT_TASKS = 500
ASSIGNEES = 20


async def in_transaction(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    settings = get_settings()
    engine = create_engine(settings, settings.DATABASE_URL or "")
    try:
        async with unit_of_work(create_sessionmaker(engine)) as db:
            return await work(db)
    finally:
        await engine.dispose()


async def seed(db: AsyncSession) -> dict[str, str]:
    """One benchmark user owning 50 projects with 2,000 tasks, assigned among 20 other users."""
    generator = random.Random(2026)  # noqa: S311 - test data, not secrets
    hasher = PasswordHasher()
    try:
        hashed = await hasher.hash(BENCH_PASSWORD)
    finally:
        hasher.close()
    # Confirmed addresses: a service that requires them lets these accounts log in.
    confirmed = datetime.now(UTC)
    owner = User(
        email=BENCH_EMAIL,
        hashed_password=hashed,
        full_name="Bench Owner",
        email_verified_at=confirmed,
    )
    assignees = [
        User(
            email=f"assignee{n}@example.com",
            hashed_password=hashed,
            full_name=f"Assignee {n}",
            email_verified_at=confirmed,
        )
        for n in range(ASSIGNEES)
    ]
    db.add_all([owner, *assignees])
    await db.flush()
    # The rows below are the owner's: row-level security lets only their caller write them.
    await act_for(db, owner.id)
    projects = [Project(owner_id=owner.id, name=f"Project {n}") for n in range(PROJECTS)]
    db.add_all(projects)
    await db.flush()
    big, others = projects[0], itertools.cycle(projects[1:])
    statuses = [TaskStatus.TODO] * 6 + [TaskStatus.DOING] * 2 + [TaskStatus.DONE] * 2
    today = date(2026, 11, 22)
    db.add_all(
        Task(
            project_id=big.id if n < BIG_PROJECT_TASKS else next(others).id,
            title=f"Task {n}",
            description=f"Seeded task number {n}" if n % 3 else None,
            status=generator.choice(statuses),
            due_date=today + timedelta(days=generator.randint(-30, 90)) if n % 4 else None,
            assignee_id=generator.choice(assignees).id if n % 5 else None,
        )
        for n in range(TASKS)
    )
    await db.flush()
    return {"project_id": str(big.id), "email": BENCH_EMAIL, "password": BENCH_PASSWORD}


async def tokens(count: int) -> dict[str, Any]:
    """An access token, and `count` refresh tokens each from its own login (its own session),
    so that every benchmark connection rotates a chain of its own."""
    settings = get_settings()
    codec = TokenCodec(settings)
    lifetimes = TokenLifetimes.from_settings(settings)
    hasher = PasswordHasher()
    refresh_tokens = []
    access = ""
    engine = create_engine(settings, settings.DATABASE_URL or "")
    units = UnitsOfWork(create_sessionmaker(engine))
    try:
        for _ in range(count):
            pair = await auth_service.login(
                units,
                email=BENCH_EMAIL,
                password=BENCH_PASSWORD,
                tokens=codec,
                lifetimes=lifetimes,
                passwords=hasher,
                require_verified_email=settings.EMAIL_VERIFICATION_REQUIRED,
            )
            access = pair.access_token
            refresh_tokens.append(pair.refresh_token)
    finally:
        hasher.close()
        await engine.dispose()
    return {"access_token": access, "refresh_tokens": refresh_tokens}


async def statements(project_id: str) -> dict[str, dict[str, int]]:
    """What one request of each scenario sends to PostgreSQL, counted on the app's engine: its
    SQL statements, and its round trips (the statements, and BEGIN, COMMIT, ROLLBACK and any
    pool ping, which asyncpg sends without SQLAlchemy's cursor)."""
    app = create_app()
    counted: list[str] = []
    sent: list[object] = []
    async with app.router.lifespan_context(app):
        engine = app.state.shared.engine.sync_engine

        def count(*args: Any) -> None:
            counted.append(args[2])

        def log_queries(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.driver_connection.add_query_logger(sent.append)

        event.listen(engine, "before_cursor_execute", count)
        event.listen(engine, "connect", log_queries)
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://bench") as client:
            form = {"username": BENCH_EMAIL, "password": BENCH_PASSWORD}
            login = await client.post("/api/v1/auth/login", data=form)
            pair = login.json()
            headers = {"Authorization": f"Bearer {pair['access_token']}"}
            tasks = f"/api/v1/projects/{project_id}/tasks"
            requests: dict[str, Callable[[], Awaitable[Any]]] = {
                "health": lambda: client.get("/health/live"),
                "tasks": lambda: client.get(
                    tasks, params={"status": "todo", "sort": "-created_at"}, headers=headers
                ),
                "projects": lambda: client.get("/api/v1/projects", headers=headers),
                "create": lambda: client.post(tasks, json={"title": "counted"}, headers=headers),
                "create_idempotent": lambda: client.post(
                    tasks,
                    json={"title": "counted"},
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                ),
                "login": lambda: client.post("/api/v1/auth/login", data=form),
                "refresh": lambda: client.post(
                    "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
                ),
            }
            result: dict[str, dict[str, int]] = {"statements": {}, "round_trips": {}}
            for name, send in requests.items():
                counted.clear()
                sent.clear()
                response = await send()
                await asyncio.sleep(0.05)  # asyncpg calls its query loggers soon, not at once
                if response.status_code >= 400:
                    raise SystemExit(f"{name}: {response.status_code} {response.text}")
                result["statements"][name] = len(counted)
                # asyncpg logs what it sends outside prepared statements (BEGIN, COMMIT, ...).
                result["round_trips"][name] = len(counted) + len(sent)
        event.remove(engine, "before_cursor_execute", count)
    return result


async def act_for_bench_owner(db: AsyncSession) -> None:
    """Make the benchmark's user the caller row-level security sees, as their requests do."""
    owner_id = await db.scalar(select(User.id).where(User.email == BENCH_EMAIL))
    if owner_id is None:
        raise SystemExit("the database is not seeded")
    await act_for(db, owner_id)


async def task_ids(db: AsyncSession, project_id: str) -> list[str]:
    await act_for_bench_owner(db)
    rows = await db.scalars(select(Task.id).where(Task.project_id == uuid.UUID(project_id)))
    return [str(task_id) for task_id in rows]


async def activity(db: AsyncSession) -> dict[str, int]:
    """The service's connections on the server by state (idle, active, idle in transaction),
    from pg_stat_activity; this tool's own connection left out."""
    query = text(
        "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity"
        " WHERE application_name = :name AND pid <> pg_backend_pid() GROUP BY 1"
    )
    rows = await db.execute(query, {"name": "my-service"})
    return {state: count for state, count in rows.tuples()}


async def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "seed":
        output: Any = await in_transaction(seed)
    elif command == "tokens":
        output = await tokens(int(argv[1]))
    elif command == "task_ids":
        output = await in_transaction(lambda db: task_ids(db, argv[1]))
    elif command == "activity":
        output = await in_transaction(activity)
    elif command == "statements":

        async def project_id(db: AsyncSession) -> str:
            await act_for_bench_owner(db)
            owner = select(User.id).where(User.email == BENCH_EMAIL).scalar_subquery()
            found = await db.scalar(
                select(Project.id).where(Project.owner_id == owner, Project.name == "Project 0")
            )
            return str(found)

        output = await statements(await in_transaction(project_id))
    else:
        raise SystemExit(f"unknown command {command}")
    sys.stdout.write(json.dumps(output) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
