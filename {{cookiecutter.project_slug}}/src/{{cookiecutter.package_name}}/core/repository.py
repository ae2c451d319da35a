"""The generic repository every domain repository extends. Every query of the service lives in a
repository; services call these methods and never build SQL themselves."""

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
{% if cookiecutter.python_version == "3.11" -%}
from typing import ClassVar, Generic, TypeVar, TypeVarTuple
{%- else -%}
from typing import ClassVar
{%- endif %}

from sqlalchemy import Integer, Row, Select, bindparam, func, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from {{ cookiecutter.package_name }}.core.errors import (
    ConcurrentUpdateError,
    ConflictError,
    NotFoundError,
    ReferenceDeletedError,
    StillReferencedError,
)
from {{ cookiecutter.package_name }}.core.models import Entity

logger = logging.getLogger(__name__)

# Unique constraint name -> the error a duplicate becomes, e.g. {"uq_users_email": EmailTaken}.
ConflictMap = dict[str, Callable[[], ConflictError]]
# A change `_write` makes and flushes: add, set attributes, or delete.
Change = Callable[[], Awaitable[None] | None]
{%- if cookiecutter.python_version == "3.11" %}
ModelT = TypeVar("ModelT", bound=Entity)
# The columns of a page's rows (`paged` adds the total after them).
ColumnsT = TypeVarTuple("ColumnsT")
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

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    def base_statement(self) -> Select[ModelT]:
        """Every read starts here: override it to apply ownership or soft-delete filters."""
        return select(self.model)

    async def find(self, entity_id: uuid.UUID) -> ModelT | None:
        """The row with this ID among those this repository may see, or None."""
        statement = self.base_statement().where(self.model.id == entity_id)
        return (await self.db.execute(statement)).scalar_one_or_none()

    async def get(self, entity_id: uuid.UUID) -> ModelT:
        """The row with this ID among those this repository may see; `NotFoundError` if none."""
        entity = await self.find(entity_id)
        if entity is None:
            raise NotFoundError(f"{self.noun} {entity_id} not found")
        return entity

    async def paginate(
        self, statement: Select[ModelT], *, limit: int, offset: int
    ) -> tuple[Sequence[ModelT], int]:
        """One page of `statement` and the total over the whole filter, in one statement (see
        `paged`, which this builds on every call; a hot list builds its page once instead)."""
        rows, total = await self.read_page(paged(statement), {}, limit=limit, offset=offset)
        return [row[0] for row in rows], total

    async def read_page{% if cookiecutter.python_version != "3.11" %}[*ColumnsT]{% endif %}(
        self,
        page: Select[*ColumnsT, int],
        params: Mapping[str, object],
        *,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Row[*ColumnsT, int]], int]:
        """The rows of a `paged` statement run with `params`, and the total they carry.

        A page past the last row has no row to carry the total: then, and only then, the first
        row is read again for it (an empty first page means there is nothing to count)."""
        rows = (await self.db.execute(page, {**params, "limit": limit, "offset": offset})).all()
        if rows:
            return rows, rows[0].total
        if offset == 0:
            return [], 0
        first = (await self.db.execute(page, {**params, "limit": 1, "offset": 0})).first()
        return [], 0 if first is None else first.total

    async def create(self, entity: ModelT) -> ModelT:
        """Insert `entity`; a duplicate of a `unique_conflicts` key becomes that ConflictError."""

        def add() -> None:
            self.db.add(entity)

        await self._write(add)
        return entity

    async def update(self, entity: ModelT, values: Mapping[str, object]) -> ModelT:
        """Set `values` on `entity` and write them now. A key that is not a mapped attribute
        of the model is a bug in the caller (a misspelt field would otherwise be set on the
        Python object and never saved), refused before anything changes."""
        mapped = inspect(self.model).attrs.keys()
        unknown = sorted(set(values) - set(mapped))
        if unknown:
            raise TypeError(f"{self.model.__name__} has no mapped attribute {', '.join(unknown)}")

        def apply() -> None:
            for field, value in values.items():
                setattr(entity, field, value)

        await self._write(apply)
        return entity

    async def delete(self, entity: ModelT) -> None:
        """Delete `entity` in a savepoint; rows that still refer to it make it a
        `StillReferencedError` (unless their foreign key cascades)."""

        async def remove() -> None:
            await self.db.delete(entity)

        await self._write(remove, savepoint=True)

    async def _write(self, change: Change, *, savepoint: bool = False) -> None:
        """Make `change` and flush it, translating the expected failures into domain errors.

        With `unique_conflicts` (or `savepoint`), the change runs in a savepoint: a failure
        undoes just that change and leaves the transaction usable, and the database decides,
        so two concurrent requests cannot both pass a check-then-insert. A reference to a row
        another request deleted meanwhile is a conflict too. With a `version_id_col`, a row
        changed by another request since it was read matches nothing, and SQLAlchemy raises
        StaleDataError (so does an UPDATE or DELETE of a row that is gone).
        """
        try:
            if self.unique_conflicts or savepoint:
                async with self.db.begin_nested():
                    await _apply(change)
                    await self.db.flush()
            else:
                await _apply(change)
                await self.db.flush()
        except IntegrityError as exc:
            conflict = self._conflict(exc)
            if conflict is None:
                raise
            raise conflict from exc
        except ProgrammingError as exc:
            if _driver_attribute(exc, "sqlstate") != ROW_SECURITY_REFUSAL:
                raise
            # Row-level security refused the row: it would not be the caller's to see. What
            # it refers to turned invisible since the service checked it (deleted, say, as an
            # FK violation would report had the policy not come first); or the service wrote
            # a row that is not the caller's, a bug, which this logs. Nothing was written.
            logger.warning("row-level security refused a write to %s", self.model.__tablename__)
            raise ReferenceDeletedError(
                f"{self.noun} refers to a record another request just deleted"
            ) from exc
        except StaleDataError as exc:
            raise ConcurrentUpdateError(
                f"{self.noun} was changed by another request at the same time; read it again"
            ) from exc

    def _conflict(self, error: IntegrityError) -> ConflictError | None:
        conflict = self.unique_conflicts.get(_driver_attribute(error, "constraint_name"))
        if conflict is not None:
            return conflict()
        if _driver_attribute(error, "sqlstate") in REFERENCE_VIOLATIONS:
            # The statement says which side failed: a DELETE still referenced by other rows,
            # or an INSERT/UPDATE naming a row that is gone.
            if str(error.statement or "").lstrip().upper().startswith("DELETE"):
                return StillReferencedError(
                    f"{self.noun} is still referred to by other records; remove those first"
                )
            return ReferenceDeletedError(
                f"{self.noun} refers to a record another request just deleted"
            )
        return None


async def _apply(change: Change) -> None:
    result = change()
    if result is not None:
        await result


def paged{% if cookiecutter.python_version != "3.11" %}[*ColumnsT]{% endif %}(statement: Select[*ColumnsT]) -> Select[*ColumnsT, int]:
    """`statement` as one page (`LIMIT :limit OFFSET :offset`, bound when it runs) with a
    `total` column: a COUNT over every row the filter matches, as a subquery PostgreSQL runs
    once and hands to each row of the page. It has no values of its own, so a list can build
    its page once and run it with each request's values (TaskRepository.list_page)."""
    everything = statement.order_by(None).subquery()
    total = select(func.count()).select_from(everything).scalar_subquery()
    return (
        statement.add_columns(total.label("total"))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


def contains(
    column: QueryableAttribute[str] | QueryableAttribute[str | None], text: str
) -> ColumnElement[bool]:
    """Case-insensitive substring match, with LIKE's wildcards in `text` matched literally."""
    return column.ilike(substring_pattern(text), escape="\\")


def substring_pattern(text: str) -> str:
    """The ILIKE pattern of `contains`, for a statement that binds it as a parameter (escape
    with a backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# SQLSTATEs of a broken reference: foreign_key_violation, and restrict_violation (ON DELETE
# RESTRICT checks at once, and says so with its own code).
REFERENCE_VIOLATIONS = frozenset({"23503", "23001"})


# insufficient_privilege: what PostgreSQL reports when a row fails a policy's WITH CHECK.
ROW_SECURITY_REFUSAL = "42501"


def _driver_attribute(error: DBAPIError, name: str) -> str:
    # asyncpg reports the constraint and SQLSTATE on the driver exception SQLAlchemy wraps.
    driver_error = getattr(error.orig, "__cause__", None)
    value = getattr(driver_error, name, None)
    return value if isinstance(value, str) else ""
