"""Row-level security: the database's own check of whose rows a statement may touch.

Every table that holds a user's rows has row-level security enabled and forced, and policies
(the `policies.py` of its domain) that compare the row's owner with the *caller*: a setting
local to the transaction, `app.user_id`. The repositories still filter by owner; the policies
are the second line, for the query that forgets to (docs/security.md, decision 0031).

Who sets the caller, and how:

- An authenticated request, in the statement that looks the caller up (`caller_context`): it
  costs no statement of its own.
- Work that acts for a user without a bearer token (a login, a refresh, a job), with
  `act_for` at the start of its unit of work, or `UnitsOfWork(acting_for=...)`.
- A request that presents a single-use token from a mail instead of a caller: `present_token`,
  which lets it see the one row that token names.
- System work (the purges): `act_as(SystemWork.PURGE)`, which the purge policies allow to read
  and delete expired rows, and nothing else.

Nothing is set otherwise, and then every owned table looks empty. The settings are
transaction-local (`set_config(..., true)`), so they end with the transaction: behind a pooler in
transaction mode the next client's transaction on the same server connection starts without
them.
"""

import enum
import uuid

from sqlalchemy import String, Subquery, TextClause, Uuid, bindparam, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

CALLER_SETTING = "app.user_id"
SYSTEM_SETTING = "app.system"
TOKEN_SETTING = "app.presented_token"  # noqa: S105 - a setting's name, not a secret


class SystemWork(enum.StrEnum):
    """The kinds of work that act for no user, each allowed only what its policies say."""

    PURGE = "purge"


def _setting(name: str) -> str:
    # Unset, current_setting(name, true) is NULL; after a transaction that set it, ''.
    return f"NULLIF(current_setting('{name}', true), '')"


# SQL for the policies to compare with: the caller's ID (NULL without one), whether the caller
# is an active admin (by their row, which the code cannot fake), and the presented token.
CALLER = f"{_setting(CALLER_SETTING)}::uuid"
CALLER_IS_ADMIN = (
    f"EXISTS (SELECT FROM users WHERE users.id = {CALLER} "
    "AND users.role = 'admin' AND users.is_active)"
)
PRESENTED_TOKEN = _setting(TOKEN_SETTING)


def running(work: SystemWork) -> str:
    """SQL that is true while the transaction does `work`."""
    return f"{_setting(SYSTEM_SETTING)} = '{work.value}'"


def caller_context() -> Subquery:
    """A one-row subquery that makes `:user_id` the caller, for the statement that looks the
    caller up: `SELECT ... FROM caller_context JOIN LATERAL (SELECT ... OFFSET 0) ...`.

    Its column, `user_id`, is the ID it set. PostgreSQL applies a table's policies when it scans
    the table, and within one statement it may scan a table before it evaluates an unrelated
    subquery: joined plainly, the scan could run before the setting exists, and find nothing.
    So what reads owned rows goes in a LATERAL subquery that uses this column (it can only run
    once the column has its value), with OFFSET 0 so the planner cannot merge it into the outer
    query and lose that order."""
    user_id = cast(bindparam("user_id", type_=Uuid), String)
    return select(func.set_config(CALLER_SETTING, user_id, True).label("user_id")).subquery(
        "caller_context"
    )


def context_user_id(context: Subquery) -> ColumnElement[uuid.UUID]:
    """`caller_context`'s ID as a UUID, to compare with an owner column."""
    return cast(context.c.user_id, Uuid)


_ACT_FOR = text(f"SELECT set_config('{CALLER_SETTING}', :user_id, true)")
_ACT_AS = text(f"SELECT set_config('{SYSTEM_SETTING}', :work, true)")
_PRESENT = text(f"SELECT set_config('{TOKEN_SETTING}', :digest, true)")

# Every setting back to none: what a new transaction starts with (for tests that run many
# units of work in one transaction, see tests/conftest.py).
_SETTINGS = (CALLER_SETTING, SYSTEM_SETTING, TOKEN_SETTING)
CLEAR_CONTEXT: TextClause = text(
    "SELECT " + ", ".join(f"set_config('{name}', '', true)" for name in _SETTINGS)
)


async def act_for(db: AsyncSession | AsyncConnection, user_id: uuid.UUID) -> None:
    """Make `user_id` the caller until the transaction ends."""
    await db.execute(_ACT_FOR, {"user_id": str(user_id)})


async def act_as(db: AsyncSession, work: SystemWork) -> None:
    """Do `work` until the transaction ends: see `SystemWork`."""
    await db.execute(_ACT_AS, {"work": work.value})


async def present_token(db: AsyncSession, digest: str) -> None:
    """Let the transaction see the row of the single-use token with this digest."""
    await db.execute(_PRESENT, {"digest": digest})
