import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from {{ cookiecutter.package_name }}.core.repository import Repository
from {{ cookiecutter.package_name }}.idempotency.models import IdempotencyKey


class IdempotencyKeyRepository(Repository[IdempotencyKey]):
    model = IdempotencyKey
    noun = "Idempotency key"

    async def claim(
        self, *, user_id: uuid.UUID, key: str, fingerprint: str, expires_at: datetime
    ) -> bool:
        """Insert the key unless it exists; True when this request now owns it.

        If another transaction inserted the same key and has not finished, PostgreSQL makes this
        INSERT wait for it: concurrent requests with one key are served one after the other.
        """
        statement = (
            insert(IdempotencyKey)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                expires_at=expires_at,
            )
            .on_conflict_do_nothing(index_elements=[IdempotencyKey.user_id, IdempotencyKey.key])
            .returning(IdempotencyKey.id)
        )
        try:
            return (await self.db.execute(statement)).scalar_one_or_none() is not None
        except IntegrityError as exc:
            # The caller's account was deleted while this request ran: a write naming a row
            # that is gone, a conflict like any other.
            conflict = self._conflict(exc)
            if conflict is None:
                raise
            raise conflict from exc

    async def find_by_key(self, *, user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
        statement = select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
        return (await self.db.execute(statement)).scalar_one_or_none()

    async def delete_if_expired(self, *, user_id: uuid.UUID, key: str, now: datetime) -> bool:
        """Delete the key if it is past its lifetime. One statement, so when several requests
        try at once, exactly one deletes it and the others find nothing."""
        statement = (
            delete(IdempotencyKey)
            .where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at <= now,
            )
            .returning(IdempotencyKey.id)
        )
        return (await self.db.execute(statement)).first() is not None

    async def record_response(
        self,
        *,
        user_id: uuid.UUID,
        key: str,
        status_code: int,
        body: dict[str, Any],
        location: str | None,
    ) -> None:
        statement = (
            update(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .values(status_code=status_code, response_body=body, location=location)
        )
        await self.db.execute(statement)

    async def delete_expired(self, *, now: datetime) -> int:
        statement = (
            delete(IdempotencyKey)
            .where(IdempotencyKey.expires_at <= now)
            .returning(IdempotencyKey.id)
        )
        return len((await self.db.execute(statement)).all())
