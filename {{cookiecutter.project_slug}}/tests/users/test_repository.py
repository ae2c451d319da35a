"""The generic repository base, exercised through the users table on real PostgreSQL."""

import uuid

import pytest
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.errors import NotFoundError
from {{ cookiecutter.package_name }}.users.errors import EmailTakenError
from {{ cookiecutter.package_name }}.users.models import User, UserRole
from {{ cookiecutter.package_name }}.users.repository import UserRepository

from tests.support import StatementCounter


async def add_users(db: AsyncSession, count: int, *, prefix: str = "user") -> list[User]:
    repository = UserRepository(db)
    return [
        await repository.create(
            User(email=f"{prefix}{index}@example.com", hashed_password="x", full_name=f"U {index}")
        )
        for index in range(count)
    ]


class ActiveUserRepository(UserRepository):
    """What a domain does to scope every read, e.g. to the current owner."""

    def base_statement(self) -> Select[User]:
        return super().base_statement().where(User.is_active.is_(True))


async def test_create_flushes_and_applies_defaults(db: AsyncSession) -> None:
    (user,) = await add_users(db, 1)
    assert isinstance(user.id, uuid.UUID)
    assert user.role is UserRole.USER
    assert user.is_active is True
    assert user.created_at is not None


async def test_get_returns_the_row_and_find_misses_quietly(db: AsyncSession) -> None:
    (user,) = await add_users(db, 1)
    repository = UserRepository(db)
    assert await repository.get(user.id) is user
    assert await repository.find(uuid.uuid4()) is None


async def test_get_of_a_missing_id_raises_not_found(db: AsyncSession) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError, match=f"User {missing} not found"):
        await UserRepository(db).get(missing)


async def test_paginate_counts_the_whole_filter_not_the_page(
    db: AsyncSession, statements: StatementCounter
) -> None:
    await add_users(db, 7)
    repository = UserRepository(db)
    statements.reset()
    statement = repository.base_statement().order_by(User.email)
    page, total = await repository.paginate(statement, limit=3, offset=3)
    assert total == 7
    assert [user.email for user in page] == [f"user{index}@example.com" for index in (3, 4, 5)]
    # One statement: the page, with the count of the whole filter as a subquery.
    assert statements.count == 1
    assert "count(*)" in statements.statements[0]


async def test_paginate_past_the_end_is_empty_with_the_true_total(
    db: AsyncSession, statements: StatementCounter
) -> None:
    await add_users(db, 2)
    repository = UserRepository(db)
    statements.reset()
    page, total = await repository.paginate(repository.base_statement(), limit=10, offset=50)
    assert list(page) == []
    assert total == 2
    # No row of the page could carry the total, so it was counted on its own.
    assert statements.count == 2


async def test_an_empty_first_page_has_a_total_of_zero_in_one_statement(
    db: AsyncSession, statements: StatementCounter
) -> None:
    await add_users(db, 2)
    repository = ActiveUserRepository(db)
    statement = repository.base_statement().where(User.full_name == "nobody")
    statements.reset()
    page, total = await repository.paginate(statement, limit=10, offset=0)
    assert (list(page), total) == ([], 0)
    assert statements.count == 1


async def test_base_statement_scopes_every_read(db: AsyncSession) -> None:
    active, inactive = await add_users(db, 2)
    await UserRepository(db).update(inactive, {"is_active": False})
    repository = ActiveUserRepository(db)
    assert await repository.find(inactive.id) is None
    page, total = await repository.paginate(repository.base_statement(), limit=10, offset=0)
    assert [user.id for user in page] == [active.id]
    assert total == 1


async def test_update_writes_the_given_fields(db: AsyncSession) -> None:
    (user,) = await add_users(db, 1)
    await UserRepository(db).update(user, {"full_name": "Renamed", "role": UserRole.ADMIN})
    await db.refresh(user)
    assert (user.full_name, user.role) == ("Renamed", UserRole.ADMIN)


async def test_delete_removes_the_row(db: AsyncSession) -> None:
    (user,) = await add_users(db, 1)
    repository = UserRepository(db)
    await repository.delete(user)
    assert await repository.find(user.id) is None


async def test_email_lookup_ignores_case(db: AsyncSession) -> None:
    await add_users(db, 1, prefix="Mixed.Case")
    found = await UserRepository(db).find_by_email("mixed.case0@EXAMPLE.com")
    assert found is not None


async def test_a_duplicate_email_is_a_conflict_and_the_transaction_goes_on(
    db: AsyncSession,
) -> None:
    await add_users(db, 1, prefix="dup")
    repository = UserRepository(db)
    with pytest.raises(EmailTakenError):
        await repository.create(User(email="DUP0@example.com", hashed_password="x", full_name="D"))
    # The INSERT failed inside a savepoint. Without it, PostgreSQL would refuse every further
    # statement of this transaction ("current transaction is aborted").
    assert await repository.find_by_email("dup0@example.com") is not None
