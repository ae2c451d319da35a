import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.models import Entity, Timestamps
from {{ cookiecutter.package_name }}.users.models import EMAIL_LENGTH


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    CHANGE_EMAIL = "change_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a password


class AccountToken(Timestamps, Entity):
    """A single-use token mailed to `email`: it proves whoever presents it reads that mailbox.

    Only the token's SHA-256 digest is stored, so a copy of this table opens no account. The
    row may exist before its token: an email change is recorded by the request, and the job
    that mails the link mints the token (`token_hash` is NULL until then), so the raw token
    is never written anywhere, not even in the job queue.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('verify_email', 'change_email', 'reset_password')", name="purpose"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(
            TokenPurpose,
            native_enum=False,
            length=16,
            values_callable=lambda purposes: [purpose.value for purpose in purposes],
        )
    )
    # The address the token is (or will be) mailed to: the account's own, or the new one.
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
