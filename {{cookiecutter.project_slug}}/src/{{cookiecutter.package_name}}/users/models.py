import enum

from sqlalchemy import CheckConstraint, Enum, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.models import Entity, Timestamps

# Shared with the schemas, so the API refuses exactly what the columns cannot hold.
EMAIL_LENGTH = 320
FULL_NAME_LENGTH = 200


class UserRole(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class User(Timestamps, Entity):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('user', 'admin')", name="role"),)

    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
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


# Emails are unique regardless of case: Alice@example.com and alice@example.com are one account.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
