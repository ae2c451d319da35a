"""The generic repository every domain repository extends. Every query of the service lives in a
repository; services call these methods and never build SQL themselves."""

import uuid
from collections.abc import Callable, Mapping, Sequence
{% if cookiecutter.python_version == "3.11" -%}
from typing import ClassVar, Generic, TypeVar
{%- else -%}
from typing import ClassVar
{%- endif %}

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from {{ cookiecutter.package_name }}.core.errors import ConflictError, NotFoundError
from {{ cookiecutter.package_name }}.core.models import Entity

# Unique constraint name -> the error a duplicate becomes, e.g. {"uq_users_email": EmailTaken}.
ConflictMap = dict[str, Callable[[], ConflictError]]
{%- if cookiecutter.python_version == "3.11" %}
ModelT = TypeVar("ModelT", bound=Entity)
{%- endif %}


{% if cookiecutter.python_version == "3.11" -%}
class Repository(Generic[ModelT]):
{%- else -%}
class Repository[ModelT: Entity]:
{%- endif %}
    model: type[ModelT]
    # Used in "<noun> not found" messages; subclasses set a readable one.
    noun: ClassVar[str] = "Resource"
    # Unique constraints a create may hit, each with the error to raise instead.
    unique_conflicts: ClassVar[ConflictMap] = {}

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def base_statement(self) -> Select[ModelT]:
        """Every read starts here: override it to apply ownership or soft-delete filters."""
        return select(self.model)

    async def get_or_none(self, entity_id: uuid.UUID) -> ModelT | None:
        statement = self.base_statement().where(self.model.id == entity_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get(self, entity_id: uuid.UUID) -> ModelT:
        entity = await self.get_or_none(entity_id)
        if entity is None:
            raise NotFoundError(f"{self.noun} {entity_id} not found")
        return entity

    async def paginate(
        self, statement: Select[ModelT], *, limit: int, offset: int
    ) -> tuple[Sequence[ModelT], int]:
        """One page of `statement` and the total over the whole filter (a separate COUNT)."""
        count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
        total = (await self.session.execute(count_statement)).scalar_one()
        page = await self.session.execute(statement.limit(limit).offset(offset))
        return page.scalars().all(), total

    async def create(self, entity: ModelT) -> ModelT:
        """Insert `entity`; a duplicate of a `unique_conflicts` key becomes that ConflictError."""
        await self._write(lambda: self.session.add(entity))
        return entity

    async def update(self, entity: ModelT, values: Mapping[str, object]) -> ModelT:
        def apply() -> None:
            for field, value in values.items():
                setattr(entity, field, value)

        await self._write(apply)
        return entity

    async def delete(self, entity: ModelT) -> None:
        await self.session.delete(entity)
        await self._write()

    async def _write(self, change: Callable[[], None] | None = None) -> None:
        """Make `change` and flush it, translating the expected failures into domain errors.

        With `unique_conflicts`, the change runs in a savepoint: a duplicate undoes just that
        change and leaves the transaction usable, and the database decides, so two concurrent
        requests cannot both pass a check-then-insert. A reference to a row another request
        deleted meanwhile is a conflict too. With a `version_id_col`, a row changed by another
        request since it was read matches nothing, and SQLAlchemy raises StaleDataError.
        """
        try:
            if not self.unique_conflicts:
                if change is not None:
                    change()
                await self.session.flush()
                return
            async with self.session.begin_nested():
                if change is not None:
                    change()
                await self.session.flush()
        except IntegrityError as exc:
            conflict = self.unique_conflicts.get(_driver_attribute(exc, "constraint_name"))
            if conflict is not None:
                raise conflict() from exc
            if _driver_attribute(exc, "sqlstate") == FOREIGN_KEY_VIOLATION:
                raise ConflictError(
                    f"{self.noun} refers to a record another request just deleted",
                    code="reference_deleted",
                ) from exc
            raise
        except StaleDataError as exc:
            raise ConflictError(
                f"{self.noun} was changed by another request at the same time; read it again",
                code="concurrent_update",
            ) from exc


def contains(
    column: QueryableAttribute[str] | QueryableAttribute[str | None], text: str
) -> ColumnElement[bool]:
    """Case-insensitive substring match, with LIKE's wildcards in `text` matched literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


FOREIGN_KEY_VIOLATION = "23503"


def _driver_attribute(error: IntegrityError, name: str) -> str:
    # asyncpg reports the constraint and SQLSTATE on the driver exception SQLAlchemy wraps.
    driver_error = getattr(error.orig, "__cause__", None)
    value = getattr(driver_error, name, None)
    return value if isinstance(value, str) else ""
