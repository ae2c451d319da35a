"""Throttling: the budget is enforced with Retry-After, shared through Redis across app
instances, and an unreachable store fails open rather than locking everyone out."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from limits.aio.storage import MemoryStorage

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import RateLimitedError
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter, create_rate_limiter

from tests.servers import redis_server
from tests.support import free_port, make_settings


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real redis-server on 127.0.0.1 for this module, stopped afterwards."""
    with redis_server() as url:
        yield url


async def test_the_limit_holds_and_says_when_to_retry() -> None:
    limiter = RateLimiter(MemoryStorage())
    for _ in range(3):
        await limiter.hit("3/minute", scope="test", key="alice")
    with pytest.raises(RateLimitedError) as error:
        await limiter.hit("3/minute", scope="test", key="alice")
    assert error.value.status_code == 429
    assert 1 <= int(error.value.headers()["Retry-After"]) <= 60


async def test_budgets_are_kept_per_key_and_per_scope() -> None:
    limiter = RateLimiter(MemoryStorage())
    await limiter.hit("1/minute", scope="login", key="alice")
    await limiter.hit("1/minute", scope="login", key="bob")
    await limiter.hit("1/minute", scope="register", key="alice")
    with pytest.raises(RateLimitedError):
        await limiter.hit("1/minute", scope="login", key="alice")


@pytest.fixture
async def two_redis_limiters(redis_url: str, database_url: str) -> AsyncIterator[list[RateLimiter]]:
    settings: Settings = make_settings(database_url, REDIS_URL=redis_url)
    limiters = [create_rate_limiter(settings), create_rate_limiter(settings)]
    for limiter in limiters:
        await limiter.storage.reset()
    yield limiters


async def test_two_app_instances_share_one_budget_through_redis(
    two_redis_limiters: list[RateLimiter],
) -> None:
    first, second = two_redis_limiters
    await first.hit("2/minute", scope="login", key="carol")
    await second.hit("2/minute", scope="login", key="carol")
    with pytest.raises(RateLimitedError):
        await first.hit("2/minute", scope="login", key="carol")
    with pytest.raises(RateLimitedError):
        await second.hit("2/minute", scope="login", key="carol")


async def test_an_unreachable_redis_fails_open(database_url: str) -> None:
    settings = make_settings(database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    limiter = create_rate_limiter(settings)
    for _ in range(3):
        await asyncio.wait_for(limiter.hit("1/minute", scope="login", key="dave"), timeout=10)
