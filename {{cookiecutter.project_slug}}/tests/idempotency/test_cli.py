"""The purge command deletes the stored keys past their lifetime, and only those."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, make_url, select
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.idempotency.models import IdempotencyKey
from {{ cookiecutter.package_name }}.users.models import User

from tests.support import scratch_database


@pytest.fixture
async def empty_database(server_url: str, database_url: str) -> AsyncIterator[str]:
    async with scratch_database(server_url, f"{make_url(database_url).database}_purge") as url:
        yield url


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def add_keys(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        user_id = uuid.uuid4()
        await connection.execute(
            insert(User).values(
                id=user_id, email="k@example.com", hashed_password="x", full_name="K"
            )
        )
        now = datetime.now(UTC)
        for key, expires_at in (
            ("expired", now - timedelta(minutes=1)),
            ("live", now + timedelta(hours=1)),
        ):
            await connection.execute(
                insert(IdempotencyKey).values(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    key=key,
                    fingerprint="f",
                    expires_at=expires_at,
                )
            )
    await engine.dispose()


async def remaining_keys(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        keys = list((await connection.execute(select(IdempotencyKey.key))).scalars())
    await engine.dispose()
    return keys


def test_purge_deletes_only_expired_keys(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database)
    main(["migrate"])
    asyncio.run(add_keys(empty_database))
    main(["purge-idempotency-keys"])
    assert capsys.readouterr().out.endswith("Deleted 1 expired idempotency keys\n")
    assert asyncio.run(remaining_keys(empty_database)) == ["live"]
