"""A program written against the typed client that `make client` generates, as a consumer of
the API would write it: an account's whole life and the example domain, every answer read
through the client's models.

`tests/test_typed_client.py` generates the client, type-checks it with this file
(`mypy --strict`: the project's own type check skips this folder, since the client is not
there until it is generated), and runs `run()` against a real server process.
"""

import uuid
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from {{ cookiecutter.package_name }}_client import AuthenticatedClient, Client
from {{ cookiecutter.package_name }}_client.api.auth import (
    list_sessions,
    login,
    logout,
    refresh_tokens,
    register,
    verify_email,
)
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}_client.api.projects import (
    create_project,
    get_project,
    update_project,
)
from {{ cookiecutter.package_name }}_client.api.tasks import create_task, list_tasks
{%- endif %}
from {{ cookiecutter.package_name }}_client.api.users import get_me
from {{ cookiecutter.package_name }}_client.models import (
    EmailVerification,
    LoginForm,
    Problem,
{%- if cookiecutter.include_example_domain == "yes" %}
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
{%- endif %}
    RefreshRequest,
{%- if cookiecutter.include_example_domain == "yes" %}
    TaskCreate,
    TaskRead,
    TaskSort,
    TaskStatus,
{%- endif %}
    TokenPair,
    UserCreate,
)
from {{ cookiecutter.package_name }}_client.types import Response

PASSWORD = "a typed client password"
# The token of the verification link mailed to an address: the test reads the caught mail.
TokenFor = Callable[[str], Awaitable[str]]


def problem(response: Response[Any], status: HTTPStatus) -> Problem:
    """The problem an answer carries, once it is the expected status."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, Problem), response.parsed
    return response.parsed


async def signed_up(anonymous: Client, name: str, email: str, token_for: TokenFor) -> TokenPair:
    """Register, confirm the address with the mailed token, log in."""
    account = UserCreate(email=email, password=PASSWORD, full_name=name)
    registered = await register.asyncio_detailed(client=anonymous, body=account)
    assert registered.status_code == HTTPStatus.ACCEPTED, registered.content
    # Before the address is confirmed, the right password is not enough.
    early = await login.asyncio_detailed(
        client=anonymous, body=LoginForm(username=email, password=PASSWORD)
    )
    assert problem(early, HTTPStatus.FORBIDDEN).code == "email_not_verified"
    confirmed = await verify_email.asyncio_detailed(
        client=anonymous, body=EmailVerification(token=await token_for(email))
    )
    assert confirmed.status_code == HTTPStatus.NO_CONTENT, confirmed.content
    tokens = await login.asyncio_detailed(
        client=anonymous, body=LoginForm(username=email, password=PASSWORD)
    )
    assert isinstance(tokens.parsed, TokenPair), tokens.content
    assert tokens.parsed.token_type == "bearer"
    return tokens.parsed


async def run(base_url: str, token_for: TokenFor) -> None:
    tag = uuid.uuid4().hex[:8]
    async with Client(base_url=base_url) as anonymous:
        tokens = await account(anonymous, f"ada-{tag}@example.com", token_for)
        async with AuthenticatedClient(base_url=base_url, token=tokens.access_token) as ada:
            me = await get_me.asyncio_detailed(client=ada)
            assert me.parsed is not None
            assert not isinstance(me.parsed, Problem)
            assert me.parsed.email == f"ada-{tag}@example.com"
{%- if cookiecutter.include_example_domain == "yes" %}
            grace = await signed_up(anonymous, "Grace", f"grace-{tag}@example.com", token_for)
            async with AuthenticatedClient(base_url=base_url, token=grace.access_token) as other:
                await projects_and_tasks(ada, other, key=tag)
{%- endif %}
            await sessions(anonymous, ada, tokens)


async def account(anonymous: Client, email: str, token_for: TokenFor) -> TokenPair:
    """Sign up, then refresh (the pair rotates); a registration the schema refuses."""
    first = await signed_up(anonymous, "Ada", email, token_for)
    refreshed = await refresh_tokens.asyncio_detailed(
        client=anonymous, body=RefreshRequest(refresh_token=first.refresh_token)
    )
    assert isinstance(refreshed.parsed, TokenPair), refreshed.content
    # A validation problem names each invalid input.
    weak = UserCreate(email=f"weak-{email}", password="short", full_name="Weak")
    invalid = await register.asyncio_detailed(client=anonymous, body=weak)
    refused = problem(invalid, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert refused.code == "validation_error"
    assert isinstance(refused.errors, list)
    assert [error.loc for error in refused.errors] == [["body", "password"]]
    return refreshed.parsed
{%- if cookiecutter.include_example_domain == "yes" %}


async def projects_and_tasks(
    ada: AuthenticatedClient, grace: AuthenticatedClient, key: str
) -> None:
    """Keyed creates, conditional updates, a filtered page, and another user's project."""
    # A keyed create, and its retry: one project, the same answer, marked as replayed.
    created = await create_project.asyncio_detailed(
        client=ada, body=ProjectCreate(name="Launch"), idempotency_key=key
    )
    assert created.status_code == HTTPStatus.CREATED, created.content
    assert isinstance(created.parsed, ProjectRead)
    project = created.parsed
    assert created.headers["Location"].endswith(f"/projects/{project.id}")
    replay = await create_project.asyncio_detailed(
        client=ada, body=ProjectCreate(name="Launch"), idempotency_key=key
    )
    assert isinstance(replay.parsed, ProjectRead)
    assert replay.parsed.id == project.id
    assert replay.headers["Idempotent-Replayed"] == "true"

    # Tasks, with exact decimal estimates; then a filtered, sorted page and its total.
    for title, estimate in (("Write copy", "3.5"), ("Book venue", "12"), ("Order food", "0.25")):
        task = await create_task.asyncio_detailed(
            project.id, client=ada, body=TaskCreate(title=title, estimate=estimate)
        )
        assert isinstance(task.parsed, TaskRead), task.content
    page = await list_tasks.asyncio_detailed(
        project.id, client=ada, status=TaskStatus.TODO, sort=TaskSort.TITLE, limit=2
    )
    assert page.parsed is not None
    assert not isinstance(page.parsed, Problem)
    assert page.parsed.total == 3
    assert [task.title for task in page.parsed.items] == ["Book venue", "Order food"]
    assert [task.estimate for task in page.parsed.items] == ["12.00", "0.25"]

    # The ETag of the create is good for the first update; the one before it no longer is.
    renamed = await update_project.asyncio_detailed(
        project.id,
        client=ada,
        body=ProjectUpdate(name="Launch day"),
        if_match=created.headers["ETag"],
    )
    assert isinstance(renamed.parsed, ProjectRead), renamed.content
    read = await get_project.asyncio_detailed(project.id, client=ada)
    assert read.headers["ETag"] == renamed.headers["ETag"] != created.headers["ETag"]
    stale = await update_project.asyncio_detailed(
        project.id, client=ada, body=ProjectUpdate(name="Late"), if_match=created.headers["ETag"]
    )
    assert problem(stale, HTTPStatus.PRECONDITION_FAILED).code == "precondition_failed"

    # Another user's project answers exactly like one that does not exist.
    hidden = await get_project.asyncio_detailed(project.id, client=grace)
    assert problem(hidden, HTTPStatus.NOT_FOUND).code == "not_found"

    # An estimate finer than a cent is refused, naming the field.
    invalid = await create_task.asyncio_detailed(
        project.id, client=ada, body=TaskCreate(title="t", estimate="1.005")
    )
    refused = problem(invalid, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert isinstance(refused.errors, list)
    assert [error.loc for error in refused.errors] == [["body", "estimate"]]
{%- endif %}


async def sessions(anonymous: Client, ada: AuthenticatedClient, tokens: TokenPair) -> None:
    """The current session is marked; logging out ends it, and its refresh token with it."""
    listed = await list_sessions.asyncio_detailed(client=ada)
    assert isinstance(listed.parsed, list)
    assert [session.current for session in listed.parsed] == [True]
    ended = await logout.asyncio_detailed(
        client=anonymous, body=RefreshRequest(refresh_token=tokens.refresh_token)
    )
    assert ended.status_code == HTTPStatus.NO_CONTENT, ended.content
    after = await refresh_tokens.asyncio_detailed(
        client=anonymous, body=RefreshRequest(refresh_token=tokens.refresh_token)
    )
    assert problem(after, HTTPStatus.UNAUTHORIZED).code == "session_revoked"
