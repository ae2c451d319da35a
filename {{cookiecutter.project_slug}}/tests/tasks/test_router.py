"""Tasks over HTTP: scoped to a project the caller may see, validated foreign IDs, exact
decimals, filters and sorting from a whitelist, and no N+1 for assignees."""

import uuid
from datetime import date

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.tasks.models import Task, TaskStatus
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import create_user
from tests.projects.factories import create_project, create_task
from tests.support import StatementCounter, TokenPairJson, bearer


@pytest.fixture
async def project(db: AsyncSession, user: User) -> Project:
    return await create_project(db, owner=user, name="Launch")


def tasks_url(project: Project) -> str:
    return f"/api/v1/projects/{project.id}/tasks"


async def task_count(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(Task)) or 0


async def test_create_returns_the_task_with_location_and_exact_decimal(
    client: AsyncClient, project: Project, user: User, user_tokens: TokenPairJson
) -> None:
    response = await client.post(
        tasks_url(project),
        json={
            "title": "Write copy",
            "due_date": "2030-01-31",
            "assignee_id": str(user.id),
            "estimate": "19.99",
        },
        headers=bearer(user_tokens["access_token"]),
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{tasks_url(project)}/{body['id']}"
    assert body["estimate"] == "19.99"
    assert body["status"] == "todo"
    assert body["assignee"] == {"id": str(user.id), "full_name": "Member"}


async def test_assigning_a_task_queues_the_assignees_notification_in_the_same_transaction(
    client: AsyncClient, db: AsyncSession, project: Project, user: User, user_tokens: TokenPairJson
) -> None:
    response = await client.post(
        tasks_url(project),
        json={"title": "Write copy", "assignee_id": str(user.id)},
        headers=bearer(user_tokens["access_token"]),
    )
    jobs = await db.execute(
        text("SELECT task_name, args FROM procrastinate_jobs WHERE args->>'task_id' = :id"),
        {"id": response.json()["id"]},
    )
    assert [tuple(job) for job in jobs] == [
        (
            "tasks.notify_assignee",
            {
                "owner_id": str(user.id),
                "project_id": str(project.id),
                "task_id": response.json()["id"],
                "assignee_id": str(user.id),
            },
        )
    ]


@pytest.mark.parametrize(
    ("estimate", "stored"),
    [("0.1", "0.10"), ("12", "12.00"), ("0", "0.00"), ("9999999999.99", "9999999999.99")],
)
async def test_estimates_round_trip_as_exact_strings(
    client: AsyncClient, project: Project, user_tokens: TokenPairJson, estimate: str, stored: str
) -> None:
    headers = bearer(user_tokens["access_token"])
    created = await client.post(
        tasks_url(project), json={"title": "t", "estimate": estimate}, headers=headers
    )
    read = await client.get(f"{tasks_url(project)}/{created.json()['id']}", headers=headers)
    assert created.json()["estimate"] == read.json()["estimate"] == stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "t", "estimate": "1.005"}, "estimate"),
        ({"title": "t", "estimate": "-1"}, "estimate"),
        ({"title": "t", "estimate": "1e12"}, "estimate"),
        # Exactly what the schema's pattern allows: no number (a float would round), sign,
        # exponent, padding or non-ASCII digit.
        ({"title": "t", "estimate": 19.99}, "estimate"),
        ({"title": "t", "estimate": 12}, "estimate"),
        ({"title": "t", "estimate": "-0"}, "estimate"),
        ({"title": "t", "estimate": "+1"}, "estimate"),
        ({"title": "t", "estimate": "1.5e1"}, "estimate"),
        ({"title": "t", "estimate": " 1"}, "estimate"),
        ({"title": "t", "estimate": "1."}, "estimate"),
        ({"title": "t", "estimate": "\u0661"}, "estimate"),
        ({"title": "t", "estimate": "10000000000"}, "estimate"),
        ({"title": "t", "status": "blocked"}, "status"),
        ({"title": "t", "due_date": "31/01/2030"}, "due_date"),
        ({"title": "t", "assignee_id": "not-a-uuid"}, "assignee_id"),
        ({"title": " "}, "title"),
        # PostgreSQL cannot store NUL in text: refused here rather than a 500 from the driver.
        ({"title": "a\u0000b"}, "title"),
        ({"title": "t", "description": "a\u0000b"}, "description"),
        # One character over the column's length.
        ({"title": "x" * 201}, "title"),
        ({"title": "t", "description": "x" * 5001}, "description"),
        ({"title": "t", "estimate": "NaN"}, "estimate"),
        ({"title": "t", "estimate": "Infinity"}, "estimate"),
        ({"title": "t", "estimate": "1e400"}, "estimate"),
        ({"title": "t", "estimate": 10**40}, "estimate"),
        ({"title": "t", "due_date": "2030-02-30"}, "due_date"),
        ({"title": "t", "due_date": "0"}, "due_date"),
    ],
)
async def test_invalid_tasks_are_422_and_nothing_is_written(
    client: AsyncClient,
    db: AsyncSession,
    project: Project,
    user_tokens: TokenPairJson,
    body: dict[str, str],
    field: str,
) -> None:
    response = await client.post(
        tasks_url(project), json=body, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["errors"]] == [field]
    assert await task_count(db) == 0


@pytest.mark.parametrize("assignee", ["unknown", "another active user", "inactive owner"])
async def test_only_someone_who_can_see_the_project_can_be_assigned(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    project: Project,
    admin_tokens: TokenPairJson,
    assignee: str,
) -> None:
    # An admin acts on the member's project, so the member can be deactivated meanwhile.
    stranger = await create_user(db, full_name="Stranger")
    if assignee == "inactive owner":
        user.is_active = False
        await db.flush()
    assignee_id = {
        "unknown": uuid.uuid4(),
        "another active user": stranger.id,
        "inactive owner": user.id,
    }[assignee]
    response = await client.post(
        tasks_url(project),
        json={"title": "t", "assignee_id": str(assignee_id)},
        headers=bearer(admin_tokens["access_token"]),
    )
    # The same answer whatever the ID names, and nothing about the user it may name.
    assert response.status_code == 404
    assert response.json()["code"] == "assignee_not_found"
    assert "Stranger" not in response.text
    assert await task_count(db) == 0


async def test_a_task_of_another_project_is_a_404(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    project: Project,
    user_tokens: TokenPairJson,
) -> None:
    other_project = await create_project(db, owner=user)
    task = await create_task(db, project=other_project)
    response = await client.get(
        f"{tasks_url(project)}/{task.id}", headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 404
    assert response.json()["detail"] == f"Task {task.id} not found"


async def test_filters_combine_and_sort_applies(
    client: AsyncClient, db: AsyncSession, project: Project, user_tokens: TokenPairJson
) -> None:
    await create_task(db, project=project, title="B report", due_date=date(2030, 1, 10))
    await create_task(db, project=project, title="A report", due_date=date(2030, 1, 5))
    await create_task(db, project=project, title="C report", due_date=date(2030, 3, 1))
    await create_task(db, project=project, title="A memo", status=TaskStatus.DONE)
    await create_task(db, project=project, title="Untitled", description="the yearly REPORT")
    headers = bearer(user_tokens["access_token"])
    response = await client.get(
        tasks_url(project),
        params={"q": "report", "status": "todo", "due_before": "2030-02-01", "sort": "title"},
        headers=headers,
    )
    assert [item["title"] for item in response.json()["items"]] == ["A report", "B report"]
    assert response.json()["total"] == 2
    by_due = await client.get(tasks_url(project), params={"sort": "due_date"}, headers=headers)
    titles = [item["title"] for item in by_due.json()["items"]]
    assert titles[:3] == ["A report", "B report", "C report"]
    by_text = await client.get(tasks_url(project), params={"q": "yearly"}, headers=headers)
    assert [item["title"] for item in by_text.json()["items"]] == ["Untitled"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "estimate"}, "'created_at', '-created_at', 'due_date' or 'title'"),
        ({"status": "blocked"}, "'todo', 'doing' or 'done'"),
        ({"due_before": "soon"}, "YYYY-MM-DD"),
        # Pydantic alone would read "0" as a number of seconds: 1970-01-01.
        ({"due_before": "0"}, "YYYY-MM-DD"),
        ({"assignee": "me"}, "allowed: limit, offset, status, due_before, q, sort"),
        ({"q": "a\u0000b"}, "NUL"),
        ({"limit": str(2**63)}, "less than or equal to 100"),
        ({"offset": "-1"}, "greater than or equal to 0"),
    ],
)
async def test_list_parameters_outside_the_whitelist_are_refused(
    client: AsyncClient,
    project: Project,
    user_tokens: TokenPairJson,
    params: dict[str, str],
    message: str,
) -> None:
    response = await client.get(
        tasks_url(project), params=params, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("tasks", [1, 50])
async def test_listing_tasks_with_assignees_takes_the_same_statements_for_any_page(
    client: AsyncClient,
    db: AsyncSession,
    project: Project,
    user_tokens: TokenPairJson,
    statements: StatementCounter,
    tasks: int,
) -> None:
    # A different assignee per task (the factory writes through the repository, below the
    # service's assignment rule): a per-row lookup would show up as one statement per task.
    for _ in range(tasks):
        await create_task(db, project=project, assignee=await create_user(db))
    headers = bearer(user_tokens["access_token"])
    statements.reset()
    response = await client.get(tasks_url(project), params={"limit": 50}, headers=headers)
    items = response.json()["items"]
    assert len(items) == tasks
    assert all(item["assignee"] is not None for item in items)
    # The caller with the project, then the page with its assignees (one JOIN) and its total.
    assert statements.count == 2, statements.statements


async def test_patch_changes_only_what_is_sent_and_can_clear_fields(
    client: AsyncClient,
    db: AsyncSession,
    project: Project,
    user: User,
    user_tokens: TokenPairJson,
) -> None:
    task = await create_task(db, project=project, assignee=user, due_date=date(2030, 1, 1))
    url = f"{tasks_url(project)}/{task.id}"
    headers = bearer(user_tokens["access_token"])
    response = await client.patch(
        url,
        json={"status": "doing", "assignee_id": None, "due_date": None},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"], body["due_date"]) == ("doing", None, None)
    assert body["title"] == task.title
    assert response.headers["etag"] == '"2"'


async def test_patch_assigns_the_owner_and_refuses_anyone_else(
    client: AsyncClient,
    db: AsyncSession,
    user: User,
    project: Project,
    user_tokens: TokenPairJson,
) -> None:
    task = await create_task(db, project=project)
    colleague = await create_user(db, full_name="Colleague")
    url = f"{tasks_url(project)}/{task.id}"
    headers = bearer(user_tokens["access_token"])
    assigned = await client.patch(url, json={"assignee_id": str(user.id)}, headers=headers)
    assert assigned.json()["assignee"]["full_name"] == "Member"
    refused = await client.patch(url, json={"assignee_id": str(colleague.id)}, headers=headers)
    assert refused.status_code == 404
    still = await client.get(url, headers=headers)
    assert still.json()["assignee"]["full_name"] == "Member"


@pytest.mark.parametrize("body", [{"title": None}, {"status": None}])
async def test_required_fields_cannot_be_cleared(
    client: AsyncClient,
    db: AsyncSession,
    project: Project,
    user_tokens: TokenPairJson,
    body: dict[str, None],
) -> None:
    task = await create_task(db, project=project)
    response = await client.patch(
        f"{tasks_url(project)}/{task.id}", json=body, headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", *body]
    assert "leave the field out" in error["message"]


async def test_stale_if_match_is_a_412_and_delete_with_the_current_one_works(
    client: AsyncClient, db: AsyncSession, project: Project, user_tokens: TokenPairJson
) -> None:
    task = await create_task(db, project=project)
    url = f"{tasks_url(project)}/{task.id}"
    headers = bearer(user_tokens["access_token"])
    await client.patch(url, json={"title": "v2"}, headers=headers)
    stale = await client.patch(url, json={"title": "v3"}, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    gone = await client.delete(url, headers={**headers, "If-Match": '"2"'})
    assert gone.status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_non_standard_json_numbers_are_refused(
    client: AsyncClient, db: AsyncSession, project: Project, user_tokens: TokenPairJson
) -> None:
    # Python's JSON parser accepts NaN and Infinity, which are not JSON.
    headers = {"Content-Type": "application/json", **bearer(user_tokens["access_token"])}
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        response = await client.post(
            tasks_url(project),
            content=b'{"title": "t", "estimate": ' + literal + b"}",
            headers=headers,
        )
        assert response.status_code == 422, response.text
    assert await task_count(db) == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/projects/not-a-uuid/tasks", "{tasks}/not-a-uuid", "{tasks}/12"]
)
async def test_an_id_that_is_not_a_uuid_is_a_422_naming_the_path(
    client: AsyncClient, project: Project, user_tokens: TokenPairJson, path: str
) -> None:
    response = await client.get(
        path.format(tasks=tasks_url(project)), headers=bearer(user_tokens["access_token"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][0] == "path"


@pytest.mark.parametrize(
    "search", ["100%", "a_b", "it's", "'; DROP TABLE tasks; --", "back\\slash", "%", "_"]
)
async def test_search_text_is_matched_literally_never_as_sql_or_a_pattern(
    client: AsyncClient,
    db: AsyncSession,
    project: Project,
    user_tokens: TokenPairJson,
    search: str,
) -> None:
    titles = ["100% done", "100 done", "a_b", "axb", "it's", "its", "'; DROP TABLE tasks; --"]
    titles += ["back\\slash", "backslash"]
    for title in titles:
        await create_task(db, project=project, title=title)

    response = await client.get(
        tasks_url(project), params={"q": search}, headers=bearer(user_tokens["access_token"])
    )

    assert response.status_code == 200
    found = sorted(item["title"] for item in response.json()["items"])
    assert found == sorted(title for title in titles if search.lower() in title.lower())
    assert await task_count(db) == len(titles)
