"""The session dependency: one transaction per request, committed before the response is sent,
rolled back when the route fails."""

import pytest
from fastapi import APIRouter
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import ConflictError
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository
from {{ cookiecutter.package_name }}.web.dependencies import DbSession

probe = APIRouter(prefix="/_probe")


class ChangedMindError(ConflictError):
    """The probe route's refusal."""

    code = "changed_mind"
    title = "Changed mind"


def _user(email: str) -> User:
    return User(email=email, hashed_password="not-a-real-hash", full_name="Probe")


@probe.post("/users/{email}", status_code=201)
async def create_probe_user(email: str, db: DbSession) -> dict[str, str]:
    user = await UserRepository(db).create(_user(email))
    return {"id": str(user.id)}


@probe.post("/users/{email}/then-fail")
async def create_probe_user_then_fail(email: str, db: DbSession) -> None:
    await UserRepository(db).create(_user(email))
    raise ChangedMindError("changed my mind")


@probe.post("/users/{email}/twice-unflushed", status_code=201)
async def create_probe_user_twice(email: str, db: DbSession) -> dict[str, str]:
    # Nothing is flushed here: the duplicate only fails at COMMIT, after the route returned.
    db.add_all([_user(email), _user(email.upper())])
    return {"status": "created"}


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    """This module's tests call the probe routes, so they get an app of their own."""
    return [probe]


async def test_a_successful_request_commits(client: AsyncClient, db: AsyncSession) -> None:
    response = await client.post("/_probe/users/kept@example.com")
    assert response.status_code == 201
    assert await UserRepository(db).find_by_email("kept@example.com") is not None


async def test_a_failed_request_rolls_back_everything_it_wrote(
    client: AsyncClient, db: AsyncSession
) -> None:
    response = await client.post("/_probe/users/gone@example.com/then-fail")
    assert response.status_code == 409
    assert await UserRepository(db).find_by_email("gone@example.com") is None


async def test_a_failing_commit_is_reported_not_hidden_behind_a_success(
    client: AsyncClient, db: AsyncSession
) -> None:
    response = await client.post("/_probe/users/twin@example.com/twice-unflushed")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "uq_users_email_key" not in response.text
    assert await UserRepository(db).find_by_email("twin@example.com") is None
