"""Every write goes through a repository and is flushed there, inside the request: a failing
write becomes the right problem, never a 500 at COMMIT. Each test plants the failure in the
database itself (inside the test's rolled-back transaction)."""

from collections.abc import AsyncIterator

import bcrypt
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.support import TokenPairJson, bearer


@pytest.fixture(scope="module")
async def engine(migration_database_url: str) -> AsyncIterator[AsyncEngine]:
    """Planting a trigger or a table takes the privileges of the role that owns the schema,
    which the service's role does not have: these tests connect as the migrations' role."""
    engine = create_async_engine(migration_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def users_updates_are_skipped(db: AsyncSession) -> AsyncIterator[None]:
    """A trigger that silently skips every UPDATE of `users`: the row looks gone, as if another
    request deleted it between our read and our write."""
    await db.execute(
        text(
            "CREATE FUNCTION planted_skip() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NULL; END $$"
        )
    )
    await db.execute(
        text(
            "CREATE TRIGGER planted_skip BEFORE UPDATE ON users "
            "FOR EACH ROW EXECUTE FUNCTION planted_skip()"
        )
    )
    yield


@pytest.mark.usefixtures("users_updates_are_skipped")
async def test_a_login_whose_hash_upgrade_cannot_be_written_is_a_409_not_a_500(
    client: AsyncClient, db: AsyncSession
) -> None:
    legacy = bcrypt.hashpw(DEFAULT_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    user = await create_user(db, hashed_password=legacy)
    response = await client.post(
        "/api/v1/auth/login", data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "concurrent_update"


@pytest.mark.usefixtures("users_updates_are_skipped")
async def test_a_profile_change_that_cannot_be_written_is_a_409_not_a_500(
    client: AsyncClient, user_tokens: TokenPairJson
) -> None:
    response = await client.patch(
        "/api/v1/users/me",
        json={"full_name": "Renamed"},
        headers=bearer(user_tokens["access_token"]),
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "concurrent_update"


async def test_deleting_a_row_that_is_still_referred_to_is_a_409_still_referenced(
    client: AsyncClient, db: AsyncSession, user: User, admin_tokens: TokenPairJson
) -> None:
    await db.execute(
        text("CREATE TABLE planted_references (user_id uuid REFERENCES users ON DELETE RESTRICT)")
    )
    await db.execute(text("INSERT INTO planted_references VALUES (:id)"), {"id": user.id})
    response = await client.delete(
        f"/api/v1/users/{user.id}", headers=bearer(admin_tokens["access_token"])
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "still_referenced"
    # The savepoint kept the transaction usable, and the user is still there.
    count = select(func.count()).select_from(User).where(User.id == user.id)
    assert (await db.execute(count)).scalar_one() == 1


async def test_update_refuses_a_key_that_is_not_a_mapped_attribute(
    db: AsyncSession, user: User
) -> None:
    with pytest.raises(TypeError, match="User has no mapped attribute full_nmae"):
        await UserRepository(db).update(user, {"full_name": "Typo", "full_nmae": "Typo"})
    await db.refresh(user)
    assert user.full_name == "Member"
