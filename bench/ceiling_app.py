"""The ceiling: the task list of the benchmark written as plainly as the stack allows, to put
Keel's figures in proportion. Minimal FastAPI, raw asyncpg (no ORM, no transaction), the same
SQL Keel sends for the same request, and the same JWT checks:

    token decode -> the user (active?) -> the project (owned?) -> the total -> the page

Run by bench/run.py with the baked project's interpreter (which has FastAPI, asyncpg,
python-jose and uvicorn):

    python ceiling_app.py --port 8001
"""

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jose import JWTError, jwt

SECRET_KEY = os.environ["SECRET_KEY"]
ISSUER = os.environ.get("JWT_ISSUER", "my-service")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "my-service-api")
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10")) + int(os.environ.get("DB_MAX_OVERFLOW", "10"))

USER = "SELECT id, is_active FROM users WHERE id = $1"
PROJECT = "SELECT id FROM projects WHERE id = $1 AND owner_id = $2"
TOTAL = "SELECT count(*) FROM tasks WHERE project_id = $1 AND status = $2"
PAGE = """
SELECT t.id, t.project_id, t.title, t.description, t.status, t.due_date, t.estimate,
       t.version, t.created_at, t.updated_at, u.id AS assignee_id, u.full_name
FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
WHERE t.project_id = $1 AND t.status = $2
ORDER BY t.created_at DESC, t.id
LIMIT $3 OFFSET $4
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


@app.get("/health/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/projects/{project_id}/tasks")
async def list_tasks(
    project_id: uuid.UUID,
    request: Request,
    status: str = "todo",
    limit: int = 20,
    offset: int = 0,
) -> JSONResponse:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return unauthorized()
    try:
        claims = jwt.decode(
            token, SECRET_KEY, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
        )
    except JWTError:
        return unauthorized()
    if claims.get("typ") != "access":
        return unauthorized()
    async with request.app.state.pool.acquire() as connection:
        user = await connection.fetchrow(USER, uuid.UUID(claims["sub"]))
        if user is None or not user["is_active"]:
            return unauthorized()
        if await connection.fetchval(PROJECT, project_id, user["id"]) is None:
            return JSONResponse({"code": "not_found"}, status_code=404)
        total = await connection.fetchval(TOTAL, project_id, status)
        rows = await connection.fetch(PAGE, project_id, status, limit, offset)
    return JSONResponse(
        {"items": [task(row) for row in rows], "total": total, "limit": limit, "offset": offset}
    )


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
