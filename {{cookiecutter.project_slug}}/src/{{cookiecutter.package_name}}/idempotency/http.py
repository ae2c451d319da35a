"""The HTTP side of idempotency: the `Idempotency-Key` header, and a creating route's 201 made
at most once per key (a retry gets the first response replayed, with `Idempotent-Replayed`)."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
{%- if cookiecutter.python_version == "3.11" %}
from typing import Annotated, TypeVar
{%- else %}
from typing import Annotated
{%- endif %}

from fastapi import Depends, Header, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.core.errors import raises
from {{ cookiecutter.package_name }}.core.schemas import VersionedRead
from {{ cookiecutter.package_name }}.idempotency import service as idempotency_service
from {{ cookiecutter.package_name }}.idempotency.errors import (
    IdempotencyKeyReleasedError,
    IdempotencyKeyReusedError,
)
from {{ cookiecutter.package_name }}.web.conditional import etag
from {{ cookiecutter.package_name }}.web.dependencies import SettingsDep
{%- if cookiecutter.python_version == "3.11" %}

ReadT = TypeVar("ReadT", bound=VersionedRead)
{%- endif %}

# Visible ASCII only: the key is compared byte for byte and stored as given.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$"),
]


@dataclass(frozen=True, slots=True)
class IdempotentCreation:
    """What a creating route needs to create at most once per key: built by the dependency
    below from the request, the caller and the settings."""

    request: Request
    response: Response
    user_id: uuid.UUID
    key: str | None
    ttl: timedelta
{% if cookiecutter.python_version == "3.11" %}
    async def run(
        self,
        db: AsyncSession,
        *,
        body: BaseModel,
        read_model: type[ReadT],
        create: Callable[[], Awaitable[ReadT]],
    ) -> ReadT:
{%- else %}
    async def run[ReadT: VersionedRead](
        self,
        db: AsyncSession,
        *,
        body: BaseModel,
        read_model: type[ReadT],
        create: Callable[[], Awaitable[ReadT]],
    ) -> ReadT:
{%- endif %}
        """Run `create` (which returns the new resource's read model) unless this user already
        sent this key for this request; set `Location` and `ETag` (and `Idempotent-Replayed` on
        a replay) and return the resource either way."""
        created: list[ReadT] = []

        async def action() -> idempotency_service.StoredResponse:
            resource = await create()
            created.append(resource)
            return idempotency_service.StoredResponse(
                status_code=status.HTTP_201_CREATED,
                body=resource.model_dump(mode="json"),
                location=f"{self.request.url.path}/{resource.id}",
            )

        stored = await idempotency_service.run_once(
            db,
            user_id=self.user_id,
            key=self.key,
            request_fingerprint=idempotency_service.fingerprint(
                self.request.method, self.request.url.path, body
            ),
            ttl=self.ttl,
            action=action,
        )
        if stored.location:
            self.response.headers["Location"] = stored.location
        # A replay answers with the representation first created, and its ETag: if the resource
        # changed since, an If-Match with it is refused (412) as it should be.
        resource = read_model.model_validate(stored.body) if stored.replayed else created[0]
        self.response.headers["ETag"] = etag(resource.version)
        if stored.replayed:
            self.response.headers["Idempotent-Replayed"] = "true"
        return resource


@raises(IdempotencyKeyReusedError, IdempotencyKeyReleasedError)
async def get_idempotent_creation(
    request: Request,
    response: Response,
    user: CurrentUser,
    settings: SettingsDep,
    key: IdempotencyKeyHeader = None,
) -> IdempotentCreation:
    return IdempotentCreation(
        request=request,
        response=response,
        user_id=user.id,
        key=key,
        ttl=settings.idempotency_key_ttl,
    )


# For a creating POST: send `Idempotency-Key` to make retries safe.
Idempotent = Annotated[IdempotentCreation, Depends(get_idempotent_creation)]
