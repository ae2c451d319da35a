"""The HTTP side of idempotency: the request header, and a creating route's 201 response made
at most once per key (later retries get it replayed)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.idempotency import service as idempotency_service

# Visible ASCII only: the key is compared byte for byte and stored as given.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$"),
]


async def create_once(
    session: AsyncSession,
    *,
    request: Request,
    user_id: uuid.UUID,
    key: str | None,
    body: BaseModel,
    ttl: timedelta,
    create: Callable[[], Awaitable[tuple[BaseModel, uuid.UUID]]],
) -> JSONResponse:
    """Run `create` (which returns the new resource's read model and ID) unless this user
    already sent `key` for this request; answer 201 with a Location either way."""

    async def action() -> idempotency_service.StoredResponse:
        created, created_id = await create()
        return idempotency_service.StoredResponse(
            status_code=status.HTTP_201_CREATED,
            body=created.model_dump(mode="json"),
            location=f"{request.url.path}/{created_id}",
        )

    stored = await idempotency_service.run_once(
        session,
        user_id=user_id,
        key=key,
        request_fingerprint=idempotency_service.fingerprint(request.method, request.url.path, body),
        ttl=ttl,
        action=action,
    )
    headers = {"Location": stored.location} if stored.location else {}
    if stored.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
