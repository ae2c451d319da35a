import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Enum, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from {{ cookiecutter.package_name }}.core.models import Entity, Timestamps
from {{ cookiecutter.package_name }}.users.emails import email_key, lookalike_key

# Shared with the schemas, so the API refuses exactly what the columns cannot hold.
EMAIL_LENGTH = 320
FULL_NAME_LENGTH = 200


class UserRole(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class User(Timestamps, Entity):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('user', 'admin')", name="role"),)

    # As given, for delivery; the account is known by `email_key` (users/emails.py), which is
    # unique, and `email_lookalike` finds addresses that only look like it.
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    email_key: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    email_lookalike: Mapped[str] = mapped_column(String(EMAIL_LENGTH), index=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(FULL_NAME_LENGTH))
    role: Mapped[UserRole] = mapped_column(
        Enum(
            UserRole,
            native_enum=False,
            length=16,
            values_callable=lambda roles: [role.value for role in roles],
        ),
        default=UserRole.USER,
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # When the owner proved they receive mail at `email` (accounts/); None until then.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @validates("email")
    def _derive_keys(self, _name: str, address: str) -> str:
        # Set with the address, always: no ORM path can store one without its keys (and a
        # Core insert that leaves them out fails on their NOT NULL).
        self.email_key = email_key(address)
        self.email_lookalike = lookalike_key(self.email_key)
        return address
