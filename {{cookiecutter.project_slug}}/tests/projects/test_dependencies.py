"""`VisibleProject`: the caller and the project in the path, found in one statement, with a
401 for a dead session before any project is looked at, and the caller reused by
`CurrentUser`."""

import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project
from tests.support import StatementCounter, TokenPairJson, bearer


@pytest.fixture
async def project(db: AsyncSession, user: User) -> Project:
    """The caller's own project; the routes under it are its tasks'."""
    return await create_project(db, owner=user)


def under(project: Project, path: str = "") -> str:
    return f"/api/v1/projects/{project.id}/tasks{path}"


async def test_the_caller_and_the_project_are_one_statement_for_owner_admin_and_stranger(
    client: AsyncClient,
    db: AsyncSession,
    project: Project,
    user_tokens: TokenPairJson,
    admin_tokens: TokenPairJson,
    statements: StatementCounter,
) -> None:
    stranger = await create_user(db)
    strangers_project = await create_project(db, owner=stranger)
    found = {}
    for name, tokens, target in (
        ("owner", user_tokens, project),
        ("admin", admin_tokens, project),
        ("stranger's", user_tokens, strangers_project),
    ):
        statements.reset()
        # No such task: the project's lookup decides what the request can see.
        response = await client.get(
            under(target, f"/{uuid.uuid4()}"), headers=bearer(tokens["access_token"])
        )
        found[name] = (response.json()["detail"].split()[0], statements.count)
    assert found == {
        # The caller with the project in one statement, then the (missing) task.
        "owner": ("Task", 2),
        "admin": ("Task", 2),
        # Someone else's project is as missing as one that does not exist: one statement.
        "stranger's": ("Project", 1),
    }


async def test_a_route_needing_the_caller_and_the_project_loads_them_once(
    client: AsyncClient,
    project: Project,
    user_tokens: TokenPairJson,
    statements: StatementCounter,
) -> None:
    statements.reset()
    response = await client.post(
        under(project), json={"title": "Once"}, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 201
    # CurrentUser (for the Idempotency-Key's scope) reuses the caller VisibleProject loaded.
    assert [sql.split()[0] for sql in statements.statements] == ["SELECT", "INSERT"]


async def test_a_token_whose_session_ended_is_a_401_before_any_project_is_looked_at(
    client: AsyncClient, project: Project, user_tokens: TokenPairJson
) -> None:
    logout = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": user_tokens["refresh_token"]}
    )
    assert logout.status_code == 204
    headers = bearer(user_tokens["access_token"])
    own = await client.get(under(project), headers=headers)
    missing = await client.get(f"/api/v1/projects/{uuid.uuid4()}/tasks", headers=headers)
    assert (own.status_code, own.json()["code"]) == (401, "invalid_token")
    assert (missing.status_code, missing.json()["code"]) == (401, "invalid_token")
