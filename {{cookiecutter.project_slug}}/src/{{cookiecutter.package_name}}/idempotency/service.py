"""Idempotent creation: a retried request with the same `Idempotency-Key` gets the first
response again instead of creating a second resource.

Only a successful response is stored. If the creation fails, its transaction (with the claim on
the key) is rolled back, and a retry with the same key runs again.
"""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.idempotency.errors import (
    IdempotencyKeyReleasedError,
    IdempotencyKeyReusedError,
)
from {{ cookiecutter.package_name }}.idempotency.repository import IdempotencyKeyRepository


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    location: str | None = None
    replayed: bool = field(default=False)


def fingerprint(method: str, path: str, body: BaseModel) -> str:
    """What makes two requests "the same": method, path and the parsed body (so key order
    and whitespace in the JSON do not matter)."""
    canonical = f"{method} {path}\n{body.model_dump_json()}"
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str | None,
    request_fingerprint: str,
    ttl: timedelta,
    action: Callable[[], Awaitable[StoredResponse]],
) -> StoredResponse:
    """Run `action` unless this user already ran it with `key`; then return its response."""
    if key is None:
        return await action()
    repository = IdempotencyKeyRepository(db)
    now = datetime.now(UTC)

    async def claim() -> bool:
        return await repository.claim(
            user_id=user_id, key=key, fingerprint=request_fingerprint, expires_at=now + ttl
        )

    # A key past its lifetime (and not yet purged) may be used afresh.
    claimed = await claim() or (
        await repository.delete_if_expired(user_id=user_id, key=key, now=now) and await claim()
    )
    if not claimed:
        # Another request holds the key. Its claim and its response were committed together,
        # so the row, if still there, carries the response to replay.
        existing = await repository.find_by_key(user_id=user_id, key=key)
        if existing is None or existing.status_code is None or existing.response_body is None:
            raise IdempotencyKeyReleasedError
        if existing.fingerprint != request_fingerprint:
            raise IdempotencyKeyReusedError
        return StoredResponse(
            status_code=existing.status_code,
            body=existing.response_body,
            location=existing.location,
            replayed=True,
        )
    response = await action()
    await repository.record_response(
        user_id=user_id,
        key=key,
        status_code=response.status_code,
        body=response.body,
        location=response.location,
    )
    return response
