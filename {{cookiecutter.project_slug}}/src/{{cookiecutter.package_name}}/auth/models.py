import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.models import Entity, Timestamps


class RefreshToken(Timestamps, Entity):
    """One issued refresh token; its `id` is the token's `jti`.

    Every login starts a family (a session); each refresh marks the presented token used and
    issues the next one in the same family. Presenting a used token means it was copied, so the
    whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
