import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.models import Entity


class IdempotencyKey(Entity):
    """A client's `Idempotency-Key` and the response its first request produced.

    Written in the same transaction as the resource it created, so a key is never stored
    without its resource, or the other way round.
    """

    __tablename__ = "idempotency_keys"
    # Keys are per user: two clients that happen to pick the same key do not collide.
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path and parsed body: the same key with another request is an error.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    # json, not jsonb: jsonb reorders keys, and a replay should be byte for byte the original.
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
