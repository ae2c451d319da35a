"""Row-level security: the database shows a transaction the rows of the caller it names, and
refuses to write others', whatever the query says (core/row_security.py).

The probe routes below are the planted bug: queries with no owner filter at all, as a
repository that forgot its filter would send them."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import APIRouter
from httpx import AsyncClient
from sqlalchemy import Select, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.auth.repository import RefreshTokenRepository
from {{ cookiecutter.package_name }}.core.row_security import (
    SystemWork,
    act_as,
    act_for,
    present_token,
)
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.idempotency.models import IdempotencyKey
{%- endif %}
from {{ cookiecutter.package_name }}.policies import OWNED_TABLES
{%- if cookiecutter.include_example_domain == "yes" %}
from {{ cookiecutter.package_name }}.projects.models import Project
from {{ cookiecutter.package_name }}.tasks.models import Task
{%- endif %}
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.web.dependencies import DbSession

from tests.factories import create_user
{%- if cookiecutter.include_example_domain == "yes" %}
from tests.projects.factories import create_project, create_task
{%- endif %}
from tests.support import bearer, login

probe = APIRouter(prefix="/_probe")


# The owner of every row of each table this service started with: no WHERE, no owner filter.
# (A domain added later tests its own policy: see its test_repository.py.)
OWNERS: dict[str, Select[uuid.UUID]] = {
    "refresh_tokens": select(RefreshToken.user_id),
    "account_tokens": select(AccountToken.user_id),
{%- if cookiecutter.include_example_domain == "yes" %}
    "idempotency_keys": select(IdempotencyKey.user_id),
    "projects": select(Project.owner_id),
    "tasks": select(Project.owner_id).join_from(Task, Project),
{%- endif %}
}


def _owners(table: str) -> Select[uuid.UUID]:
    return OWNERS[table]


@probe.get("/owners/{table}")
async def owners_seen_by_the_caller(table: str, user: CurrentUser, db: DbSession) -> list[str]:
    return sorted({str(owner) for owner in await db.scalars(_owners(table))})


@probe.get("/anonymous/owners/{table}")
async def owners_seen_without_a_caller(table: str, db: DbSession) -> list[str]:
    return sorted({str(owner) for owner in await db.scalars(_owners(table))})


@probe.post("/revoke-every-session", status_code=204)
async def revoke_every_session(user: CurrentUser, db: DbSession) -> None:
    # The planted bug in a write: an UPDATE with no owner filter.
    await db.execute(update(RefreshToken).values(revoked_at=datetime.now(UTC)))


@probe.post("/sessions-for/{owner_id}", status_code=201)
async def start_someone_elses_session(
    owner_id: uuid.UUID, user: CurrentUser, db: DbSession
) -> None:
    # The planted bug: a row written for an owner who is not the caller.
    await RefreshTokenRepository(db).create(
        RefreshToken(
            family_id=uuid.uuid4(), user_id=owner_id, expires_at=datetime.now(UTC) + timedelta(1)
        )
    )


@pytest.fixture(autouse=True)
async def bound_by_policies(db: AsyncSession) -> None:
    # A superuser, or a role with BYPASSRLS, skips every policy: DATABASE_URL should name
    # neither (docs/deploy.md, "Database roles"), but a test server may.
    bypasses = await db.scalar(
        text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    )
    if bypasses:
        pytest.skip("DATABASE_URL's role bypasses row-level security (a superuser?)")


@pytest.fixture
def extra_routers() -> list[APIRouter]:
    return [probe]


@pytest.fixture
async def ann(db: AsyncSession) -> User:
    return await create_user(db, email="ann@example.com")


@pytest.fixture
async def bob(db: AsyncSession) -> User:
    return await create_user(db, email="bob@example.com")


async def give_rows(db: AsyncSession, owner: User) -> None:
    """A row of `owner` in every table that holds a user's rows (a session comes with login)."""
    await act_for(db, owner.id)
{%- if cookiecutter.include_example_domain == "yes" %}
    project = await create_project(db, owner=owner)
    await create_task(db, project=project)
{%- endif %}
    db.add_all(
        [
            AccountToken(
                user_id=owner.id,
                purpose=TokenPurpose.VERIFY_EMAIL,
                email=owner.email,
                token_hash=uuid.uuid4().hex,
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            ),
{%- if cookiecutter.include_example_domain == "yes" %}
            IdempotencyKey(
                user_id=owner.id,
                key=f"key-{owner.id}",
                fingerprint="f",
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            ),
{%- endif %}
        ]
    )
    await db.flush()


@pytest.mark.parametrize("table", sorted(OWNERS))
async def test_a_query_without_its_owner_filter_still_shows_a_user_only_their_rows(
    client: AsyncClient, db: AsyncSession, ann: User, bob: User, table: str
) -> None:
    await give_rows(db, ann)
    await give_rows(db, bob)
    for caller in (ann, bob):
        tokens = await login(client, caller.email)
        response = await client.get(
            f"/_probe/owners/{table}", headers=bearer(tokens["access_token"])
        )
        assert response.json() == [str(caller.id)]


# An admin's view: every user's projects (and so their tasks), and sessions (deactivating an
# account ends them); the rest stays each user's own.
ADMIN_SEES_ALL = {"projects", "tasks", "refresh_tokens"}


@pytest.mark.parametrize("table", sorted(OWNERS))
async def test_an_admin_sees_every_users_rows_where_admin_paths_need_them(
    client: AsyncClient, db: AsyncSession, ann: User, bob: User, table: str
) -> None:
    admin = await create_user(db, email="root@example.com", role=UserRole.ADMIN)
    for owner in (ann, bob, admin):
        await give_rows(db, owner)
    await login(client, ann.email)
    await login(client, bob.email)
    tokens = await login(client, admin.email)
    response = await client.get(f"/_probe/owners/{table}", headers=bearer(tokens["access_token"]))
    everyone = {str(ann.id), str(bob.id), str(admin.id)}
    assert set(response.json()) == (everyone if table in ADMIN_SEES_ALL else {str(admin.id)})


@pytest.mark.parametrize("table", sorted(OWNERS))
async def test_a_request_with_no_caller_sees_no_owned_rows(
    client: AsyncClient, db: AsyncSession, ann: User, table: str
) -> None:
    await give_rows(db, ann)
    await login(client, ann.email)
    response = await client.get(f"/_probe/anonymous/owners/{table}")
    assert response.json() == []


async def test_an_unfiltered_update_changes_only_the_callers_rows(
    client: AsyncClient, ann: User, bob: User
) -> None:
    anns, bobs = await login(client, ann.email), await login(client, bob.email)
    response = await client.post(
        "/_probe/revoke-every-session", headers=bearer(anns["access_token"])
    )
    assert response.status_code == 204
    # Ann's session ended, as the UPDATE said; Bob's is untouched.
    me = "/api/v1/users/me"
    assert (await client.get(me, headers=bearer(anns["access_token"]))).status_code == 401
    assert (await client.get(me, headers=bearer(bobs["access_token"]))).status_code == 200


async def test_a_row_written_for_someone_else_is_refused_and_nothing_is_kept(
    client: AsyncClient, db: AsyncSession, ann: User, bob: User
) -> None:
    tokens = await login(client, ann.email)
    response = await client.post(
        f"/_probe/sessions-for/{bob.id}", headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 409
    assert response.json()["code"] == "reference_deleted"
    await act_for(db, bob.id)
    assert (await db.scalars(select(RefreshToken.id))).all() == []


async def test_the_purge_sees_and_deletes_expired_rows_only(db: AsyncSession, ann: User) -> None:
    now = datetime.now(UTC)
    await act_for(db, ann.id)
    expired, live = (
        RefreshToken(family_id=uuid.uuid4(), user_id=ann.id, expires_at=now + offset)
        for offset in (timedelta(hours=-1), timedelta(hours=1))
    )
    db.add_all([expired, live])
    await db.flush()
    await act_for(db, uuid.uuid4())  # nobody in particular: the purge acts for no user
    await act_as(db, SystemWork.PURGE)
    assert (await db.scalars(select(RefreshToken.id))).all() == [expired.id]
    # It may delete; it may not change a row, even an expired one.
    changed = await db.execute(update(RefreshToken).values(revoked_at=now))
    assert changed.rowcount == 0  # type: ignore[attr-defined]
    assert await RefreshTokenRepository(db).delete_expired(now=now + timedelta(days=30)) == 1
    await act_for(db, ann.id)
    assert (await db.scalars(select(RefreshToken.id))).all() == [live.id]


async def test_a_presented_token_shows_its_own_row_and_no_other(
    db: AsyncSession, ann: User
) -> None:
    await act_for(db, ann.id)
    digests = [uuid.uuid4().hex, uuid.uuid4().hex]
    for digest in digests:
        db.add(
            AccountToken(
                user_id=ann.id,
                purpose=TokenPurpose.RESET_PASSWORD,
                email=ann.email,
                token_hash=digest,
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
    await db.flush()
    await act_for(db, uuid.uuid4())
    await present_token(db, digests[0])
    assert (await db.scalars(select(AccountToken.token_hash))).all() == [digests[0]]


# Plans PostgreSQL could choose for the caller's statement: each must set the caller before
# it reads a session (core/row_security.py, `caller_context`).
PLANNER_SETTINGS = [
    {},
    {"enable_nestloop": "off"},
    {"enable_hashjoin": "off", "enable_mergejoin": "off"},
    {"enable_seqscan": "off"},
    {"enable_indexscan": "off", "enable_bitmapscan": "off"},
]


@pytest.mark.parametrize("settings", PLANNER_SETTINGS)
async def test_the_callers_statement_sets_the_caller_before_it_reads_their_session(
    db: AsyncSession, ann: User, settings: dict[str, str]
) -> None:
    await act_for(db, ann.id)
    session_id = uuid.uuid4()
    db.add(
        RefreshToken(
            family_id=session_id, user_id=ann.id, expires_at=datetime.now(UTC) + timedelta(1)
        )
    )
    await db.flush()
    await act_for(db, uuid.uuid4())  # someone else, until the statement says otherwise
    for name, value in settings.items():
        await db.execute(text(f"SET LOCAL {name} = {value}"))
    found = await RefreshTokenRepository(db).find_session_user(
        ann.id, session_id, now=datetime.now(UTC)
    )
    assert found is ann


async def test_every_table_that_holds_a_users_rows_forces_row_level_security(
    db: AsyncSession,
) -> None:
    tables = await db.execute(
        text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
            "AND relname NOT LIKE 'procrastinate%'"
        )
    )
    secured = {name: (enabled, forced) for name, enabled, forced in tables}
    # The rest on purpose: a login looks its user up with no caller yet, and the service may
    # read which revision it runs.
    assert {name for name, state in secured.items() if state != (True, True)} == {
        "users",
        "alembic_version",
    }
    assert sorted(name for name, state in secured.items() if state == (True, True)) == (
        OWNED_TABLES
    )
