"""What the running service shares between requests, built once when it starts."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import (
    ConnectionQueue,
    create_engine,
    create_readiness_engine,
    create_sessionmaker,
    resolve_database_url,
)
from {{ cookiecutter.package_name }}.core.passwords import PasswordHasher
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter, create_rate_limiter
from {{ cookiecutter.package_name }}.core.security import TokenCodec, TokenLifetimes


@dataclass(slots=True)
class AppState:
    """One typed object instead of loose attributes: `lifespan` builds it, the web layer's
    dependencies hand its parts to routes, and nothing here is created at import time."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # The same pool, for requests that only read: BEGIN READ ONLY (see core/db.py).
    read_sessionmaker: async_sessionmaker[AsyncSession]
    connection_queue: ConnectionQueue
    # Readiness probes connect here, so a busy pool cannot make a healthy pod look unready.
    readiness_engine: AsyncEngine
    tokens: TokenCodec
    token_lifetimes: TokenLifetimes
    rate_limiter: RateLimiter
    passwords: PasswordHasher


@asynccontextmanager
async def open_app_state(settings: Settings) -> AsyncIterator[AppState]:
    """Build the shared objects, and close them (pools, hashing threads) afterwards."""
    database_url = resolve_database_url(settings)
    engine = create_engine(settings, database_url)
    readiness_engine = create_readiness_engine(settings, database_url)
    passwords = PasswordHasher(settings.PASSWORD_HASH_COST)
    try:
        await passwords.prepare()
        yield AppState(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            read_sessionmaker=create_sessionmaker(engine, read_only=True),
            connection_queue=ConnectionQueue(settings),
            readiness_engine=readiness_engine,
            tokens=TokenCodec(settings),
            token_lifetimes=TokenLifetimes.from_settings(settings),
            rate_limiter=create_rate_limiter(settings),
            passwords=passwords,
        )
    finally:
        await engine.dispose()
        await readiness_engine.dispose()
        passwords.close()
