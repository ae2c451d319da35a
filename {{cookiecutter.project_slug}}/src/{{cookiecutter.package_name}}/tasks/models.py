import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from {{ cookiecutter.package_name }}.core.models import Entity, Timestamps
from {{ cookiecutter.package_name }}.users.models import User

# Shared with the schemas, so the API refuses exactly what the columns cannot hold.
TITLE_LENGTH = 200
DESCRIPTION_LENGTH = 5000
# NUMERIC(12, 2): at most 10 digits before the point and 2 after, stored exactly.
ESTIMATE_DIGITS = 12
ESTIMATE_DECIMALS = 2


class TaskStatus(enum.StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"


class Task(Timestamps, Entity):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("status IN ('todo', 'doing', 'done')", name="status"),
        CheckConstraint("estimate >= 0", name="estimate_not_negative"),
    )

    # Deleting a project deletes its tasks in the database itself (ON DELETE CASCADE).
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_LENGTH))
    status: Mapped[TaskStatus] = mapped_column(
        Enum(
            TaskStatus,
            native_enum=False,
            length=16,
            values_callable=lambda statuses: [status.value for status in statuses],
        ),
        default=TaskStatus.TODO,
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    # A deleted user leaves their tasks unassigned.
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Exact decimal arithmetic: 0.1 + 0.2 is 0.3 here, and it is sent to clients as a string.
    estimate: Mapped[Decimal | None] = mapped_column(Numeric(ESTIMATE_DIGITS, ESTIMATE_DECIMALS))
    version: Mapped[int] = mapped_column(default=1)

    # lazy="raise": reading it without an eager load fails loudly instead of querying per row.
    assignee: Mapped[User | None] = relationship(lazy="raise")

    __mapper_args__ = {"eager_defaults": True, "version_id_col": version}  # noqa: RUF012
