"""Throttling with the `limits` library (moving window): in memory by default, in Redis when
REDIS_URL is set, so every process behind a load balancer draws on the same budget."""

import hashlib
import logging
import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import RateLimitedError

logger = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(storage)

    async def hit(self, limit: str, *, scope: str, key: str) -> None:
        """Count one attempt; raise `RateLimitedError` once `limit` (e.g. "5/minute") is spent."""
        item = parse(limit)
        # Keys may be emails: store a digest, never the personal data itself.
        digest = hashlib.sha256(key.encode()).hexdigest()
        try:
            if await self._strategy.hit(item, scope, digest):
                return
            stats = await self._strategy.get_window_stats(item, scope, digest)
        except StorageError:
            # Fail open: an outage of the limiter's store must not lock every user out.
            logger.warning("rate limit store unavailable; %s not throttled", scope)
            return
        retry_after = math.ceil(stats.reset_time - time.time())
        raise RateLimitedError(
            "Too many attempts; try again later", retry_after_seconds=retry_after
        )


def create_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.REDIS_URL is None:
        return RateLimiter(MemoryStorage())
    # `limits` picks its async Redis client from the "async+" scheme prefix.
    return RateLimiter(RedisStorage(f"async+{settings.REDIS_URL}", wrap_exceptions=True))
