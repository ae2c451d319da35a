import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from {{ cookiecutter.package_name }}.core.models import Entity, Timestamps

# Shared with the schemas, so the API refuses exactly what the columns cannot hold.
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 2000


class Project(Timestamps, Entity):
    __tablename__ = "projects"
    # Unique per owner: two users may both have a "Website" project.
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    # No index of its own: the unique (owner_id, name) index already starts with owner_id.
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_LENGTH))
    # Incremented by every UPDATE; it is the ETag, and SQLAlchemy adds "AND version = <read>"
    # to each UPDATE and DELETE, so a concurrent change makes the later write fail.
    version: Mapped[int] = mapped_column(default=1)
    # Not a column: {"todo": 3, "doing": 1, "done": 0}, computed by the reads that ask for it
    # (ProjectRepository's `counted` reads), None otherwise.
    task_counts: Mapped[dict[str, int] | None] = query_expression()

    __mapper_args__ = {"eager_defaults": True, "version_id_col": version}  # noqa: RUF012
