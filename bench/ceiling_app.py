"""The ceiling: the task list and the task create of the benchmark written as plainly as the
stack allows, to put Keel's figures in proportion. Minimal FastAPI, raw asyncpg (no ORM), the
same SQL statements Keel sends for the same requests (the text SQLAlchemy renders, with the
same columns), and the same JWT checks:

    list:   token decode -> BEGIN READ ONLY
                         -> the caller (active, session live) with the project (visible to
                            them), which also makes them row-level security's caller
                         -> the page with its assignees and, in the same statement, the total
                         -> COMMIT
    create: token decode -> BEGIN, the caller with the project, as for the list
                         -> the INSERT returning its timestamps, COMMIT

It connects as the service does (DATABASE_URL, the application role), so the same policies
apply to its statements.

Run by bench/run.py with the baked project's interpreter (which has FastAPI, asyncpg,
python-jose and uvicorn):

    python ceiling_app.py --port 8001
"""

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jose import JWTError, jwt
from pydantic import BaseModel, ConfigDict, StringConstraints

SECRET_KEY = os.environ["SECRET_KEY"]
ISSUER = os.environ.get("JWT_ISSUER", "my-service")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "my-service-api")
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10")) + int(os.environ.get("DB_MAX_OVERFLOW", "10"))

# Keel's caller-with-project statement: it makes the token's user the caller row-level security
# sees (set_config), then reads the session and the project in LATERAL subqueries, after it.
CALLER_AND_PROJECT = """
SELECT "session_user".email, "session_user".email_key, "session_user".email_lookalike,
       "session_user".hashed_password, "session_user".full_name, "session_user".role,
       "session_user".is_active, "session_user".email_verified_at, "session_user".created_at,
       "session_user".updated_at, "session_user".id, visible_project.owner_id,
       visible_project.name, visible_project.description, visible_project.version,
       visible_project.created_at AS created_at_1, visible_project.updated_at AS updated_at_1,
       visible_project.id AS id_1
FROM (SELECT set_config($1::VARCHAR, CAST($2::UUID AS VARCHAR), $3::BOOLEAN) AS user_id)
  AS caller_context
JOIN LATERAL (SELECT users.email AS email, users.email_key AS email_key,
       users.email_lookalike AS email_lookalike, users.hashed_password AS hashed_password,
       users.full_name AS full_name, users.role AS role, users.is_active AS is_active,
       users.email_verified_at AS email_verified_at, users.created_at AS created_at,
       users.updated_at AS updated_at, users.id AS id
  FROM users
  WHERE users.id = CAST(caller_context.user_id AS UUID) AND users.is_active
    AND (EXISTS (SELECT * FROM refresh_tokens
      WHERE refresh_tokens.family_id = $4::UUID AND refresh_tokens.user_id = users.id
        AND refresh_tokens.revoked_at IS NULL
        AND refresh_tokens.expires_at > $5::TIMESTAMP WITH TIME ZONE))
  LIMIT ALL OFFSET $6::INTEGER) AS "session_user" ON true
LEFT OUTER JOIN LATERAL (SELECT projects.owner_id AS owner_id, projects.name AS name,
       projects.description AS description, projects.version AS version,
       projects.created_at AS created_at, projects.updated_at AS updated_at, projects.id AS id
  FROM projects
  WHERE projects.id = $7::UUID
    AND (projects.owner_id = "session_user".id OR "session_user".role = $8)
  LIMIT ALL OFFSET $9::INTEGER) AS visible_project ON true
"""
PAGE_WITH_TOTAL = """
SELECT tasks.id, tasks.version, tasks.project_id, tasks.title, tasks.description, tasks.status,
       tasks.due_date, tasks.estimate, tasks.created_at, tasks.updated_at, tasks.assignee_id,
       users.full_name,
       (SELECT count(*) AS count_1 FROM (
          SELECT tasks.id AS id, tasks.version AS version, tasks.project_id AS project_id,
                 tasks.title AS title, tasks.description AS description, tasks.status AS status,
                 tasks.due_date AS due_date, tasks.estimate AS estimate,
                 tasks.created_at AS created_at, tasks.updated_at AS updated_at,
                 tasks.assignee_id AS assignee_id, users.full_name AS full_name
          FROM tasks LEFT OUTER JOIN users ON users.id = tasks.assignee_id
          WHERE tasks.project_id = $1::UUID AND tasks.status = $2) AS anon_1
       ) AS total
FROM tasks LEFT OUTER JOIN users ON users.id = tasks.assignee_id
WHERE tasks.project_id = $1::UUID AND tasks.status = $2
ORDER BY tasks.created_at DESC, tasks.id
LIMIT $3::INTEGER OFFSET $4::INTEGER
"""
# Keel's create sends every column but the timestamps, which the server fills in.
INSERT_TASK = """
INSERT INTO tasks (project_id, title, description, status, due_date, assignee_id, estimate,
                   version, id)
VALUES ($1::UUID, $2::VARCHAR, $3::VARCHAR, $4, $5::DATE, $6::UUID, $7::NUMERIC(12, 2),
        $8::INTEGER, $9::UUID)
RETURNING tasks.created_at, tasks.updated_at
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


def unauthorized() -> JSONResponse:
    return JSONResponse({"code": "not_authenticated"}, status_code=401)


def access_claims(request: Request) -> dict[str, Any] | None:
    """The claims of the request's access token, or None when it has no valid one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        claims: dict[str, Any] = jwt.decode(
            token, SECRET_KEY, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
        )
    except JWTError:
        return None
    return claims if claims.get("typ") == "access" else None


async def refusal(
    connection: asyncpg.Connection, claims: dict[str, Any] | None, project_id: uuid.UUID
) -> JSONResponse | None:
    """Why the caller may not touch the project's tasks (401, 404), or None when they may."""
    if claims is None:
        return unauthorized()
    caller = await connection.fetchrow(
        CALLER_AND_PROJECT,
        "app.user_id",
        uuid.UUID(claims["sub"]),
        True,
        uuid.UUID(claims["sid"]),
        datetime.now(UTC),
        0,
        project_id,
        "admin",
        0,
    )
    if caller is None:
        return unauthorized()
    if caller["id_1"] is None:
        return JSONResponse({"code": "not_found"}, status_code=404)
    return None


@app.get("/health/live")
@app.get("/health/ready")
async def health() -> dict[str, str]:
    """Keel's liveness answer (no database), so that its tail latency has a baseline."""
    return {"status": "ok"}


@app.get("/api/v1/projects/{project_id}/tasks")
async def list_tasks(
    project_id: uuid.UUID,
    request: Request,
    status: str = "todo",
    limit: int = 20,
    offset: int = 0,
) -> JSONResponse:
    claims = access_claims(request)
    # As Keel: a read-only transaction, which the caller set by the first statement lasts for.
    async with (
        request.app.state.pool.acquire() as connection,
        connection.transaction(readonly=True),
    ):
        refused = await refusal(connection, claims, project_id)
        if refused is not None:
            return refused
        rows = await connection.fetch(PAGE_WITH_TOTAL, project_id, status, limit, offset)
    # Past the last page no row carries the total; Keel counts it apart then (not benchmarked).
    total = rows[0]["total"] if rows else 0
    return JSONResponse(
        {"items": [task(row) for row in rows], "total": total, "limit": limit, "offset": offset}
    )


class TaskCreate(BaseModel):
    """The fields the benchmark's create sends, checked as Keel checks them."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None


@app.post("/api/v1/projects/{project_id}/tasks", status_code=201)
async def create_task(project_id: uuid.UUID, data: TaskCreate, request: Request) -> JSONResponse:
    """Add a task: Keel's statements, its 201, its body, its ETag and its Location."""
    claims = access_claims(request)
    task_id = uuid.uuid4()
    # As Keel: the caller and the INSERT in one transaction, which the caller lasts for.
    async with request.app.state.pool.acquire() as connection, connection.transaction():
        refused = await refusal(connection, claims, project_id)
        if refused is not None:
            return refused
        stamps = await connection.fetchrow(
            INSERT_TASK, project_id, data.title, data.description, "todo", None, None, None,
            1, task_id,
        )  # fmt: skip
    created = {
        "id": str(task_id),
        "version": 1,
        "project_id": str(project_id),
        "title": data.title,
        "description": data.description,
        "status": "todo",
        "due_date": None,
        "assignee": None,
        "estimate": None,
        "created_at": stamps["created_at"].isoformat(),
        "updated_at": stamps["updated_at"].isoformat(),
    }
    headers = {"ETag": '"1"', "Location": f"{request.url.path}/{task_id}"}
    return JSONResponse(created, status_code=201, headers=headers)


def task(row: asyncpg.Record) -> dict[str, Any]:
    assignee = row["assignee_id"]
    return {
        "id": str(row["id"]),
        "project_id": str(row["project_id"]),
        "title": row["title"],
        "description": row["description"],
        "status": row["status"],
        "due_date": row["due_date"].isoformat() if row["due_date"] else None,
        "assignee": {"id": str(assignee), "full_name": row["full_name"]} if assignee else None,
        "estimate": str(row["estimate"]) if row["estimate"] is not None else None,
        "version": row["version"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    arguments = parser.parse_args()
    uvicorn.run(
        "ceiling_app:app",
        host="127.0.0.1",
        port=arguments.port,
        workers=arguments.workers,
        log_level="warning",
        access_log=False,
    )
