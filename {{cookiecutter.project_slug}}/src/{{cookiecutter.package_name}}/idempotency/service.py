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

from {{ cookiecutter.package_name }}.core.errors import ConflictError
from {{ cookiecutter.package_name }}.idempotency.errors import IdempotencyKeyReusedError
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
    session: AsyncSession,
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
    repository = IdempotencyKeyRepository(session)
    now = datetime.now(UTC)
    claimed = await repository.claim(
        user_id=user_id, key=key, fingerprint=request_fingerprint, expires_at=now + ttl
    )
    if not claimed:
        existing = await repository.get_by_key(user_id=user_id, key=key)
        if existing is not None and existing.expires_at <= now:
            # Past its lifetime (and not yet purged): the key may be used afresh.
            await repository.delete(existing)
            existing = None
            claimed = await repository.claim(
                user_id=user_id, key=key, fingerprint=request_fingerprint, expires_at=now + ttl
            )
        if existing is not None:
            if existing.fingerprint != request_fingerprint:
                raise IdempotencyKeyReusedError
            if existing.status_code is None or existing.response_body is None:
                raise ConflictError("A request with this Idempotency-Key is still in progress")
            return StoredResponse(
                status_code=existing.status_code,
                body=existing.response_body,
                location=existing.location,
                replayed=True,
            )
        if not claimed:
            raise ConflictError("A request with this Idempotency-Key is still in progress")
    response = await action()
    await repository.record_response(
        user_id=user_id,
        key=key,
        status_code=response.status_code,
        body=response.body,
        location=response.location,
    )
    return response


async def purge_expired(session: AsyncSession) -> int:
    """Delete the keys past their lifetime; returns how many."""
    return await IdempotencyKeyRepository(session).delete_expired(now=datetime.now(UTC))
