"""Row-level security in the migrations: policies as entities (alembic_utils' `PGPolicy`), and
the ENABLE and FORCE of each table that has them as an operation of its own, so autogenerate
writes both and `alembic check` reports either when the database drifts from the code, as it
reports a column.

Each domain that owns rows declares its policies in its `policies.py` with the builders below;
the package's `policies.py` gathers them for env.py. A revision holds its own copy of each
definition, as it does of each column: changing one here, then autogenerating, writes the
revision that replaces it. The SQL they compare with is in core/row_security.py.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from alembic.autogenerate import comparators, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations.ops import MigrationScript, UpgradeOps
from alembic.util import DispatchPriority
from alembic_utils.pg_policy import PGPolicy
from alembic_utils.replaceable_entity import register_entities, registry
from alembic_utils.reversible_op import CreateOp, DropOp
from sqlalchemy import text

from {{ cookiecutter.package_name }}.core.row_security import (
    CALLER,
    CALLER_IS_ADMIN,
    SystemWork,
    running,
)


def policy(
    table: str, name: str, *, command: str, using: str, check: str | None = None
) -> PGPolicy:
    """A permissive policy `<table>_<name>` for everyone (the owner too: the tables FORCE row
    level security), on `command`: ALL, SELECT, INSERT, UPDATE or DELETE."""
    definition = f"AS PERMISSIVE FOR {command} TO PUBLIC USING ({using})"
    if check is not None:
        definition += f" WITH CHECK ({check})"
    return PGPolicy(
        schema="public",
        signature=f"{table}_{name}",
        on_entity=f"public.{table}",
        definition=definition,
    )


def owned(table: str, *, owner: str = "user_id", admins: bool = False) -> PGPolicy:
    """The caller's rows (`owner` is the caller), and with `admins` an admin's view of all:
    to read, and to write rows that stay the caller's."""
    rule = f"{owner} = {CALLER}"
    if admins:
        rule = f"{rule} OR {CALLER_IS_ADMIN}"
    return policy(table, "owned", command="ALL", using=rule, check=rule)


def purgeable(table: str, *, spent: str) -> list[PGPolicy]:
    """What a purge (`SystemWork.PURGE`) may do: read and delete the rows that are `spent`, and
    nothing else. Two policies, as a DELETE that reads its rows needs a SELECT policy too."""
    rule = f"{running(SystemWork.PURGE)} AND ({spent})"
    return [
        policy(table, "purge_read", command="SELECT", using=rule),
        policy(table, "purge", command="DELETE", using=rule),
    ]


def secured_tables(policies: Iterable[PGPolicy]) -> list[str]:
    """The tables `policies` are on: each has row-level security enabled and forced."""
    return sorted({policy.on_entity.removeprefix("public.") for policy in policies})


@Operations.register_operation("enable_row_security")
class EnableRowSecurityOp(MigrateOperation):
    """`op.enable_row_security("table")`: ENABLE and FORCE row-level security on the table."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def enable_row_security(cls, operations: Operations, table_name: str) -> Any:
        return operations.invoke(cls(table_name))

    def reverse(self) -> "DisableRowSecurityOp":
        return DisableRowSecurityOp(self.table_name)

    def to_diff_tuple(self) -> tuple[str, str]:
        # What `alembic check` lists.
        return ("enable_row_security", self.table_name)


@Operations.register_operation("disable_row_security")
class DisableRowSecurityOp(MigrateOperation):
    """`op.disable_row_security("table")`: the reverse of `enable_row_security`."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def disable_row_security(cls, operations: Operations, table_name: str) -> Any:
        return operations.invoke(cls(table_name))

    def reverse(self) -> EnableRowSecurityOp:
        return EnableRowSecurityOp(self.table_name)

    def to_diff_tuple(self) -> tuple[str, str]:
        return ("disable_row_security", self.table_name)


@Operations.implementation_for(EnableRowSecurityOp)
def _enable(operations: Operations, operation: EnableRowSecurityOp) -> None:
    table = operations.impl.dialect.identifier_preparer.quote(operation.table_name)
    operations.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    # Forced, so the table's owner is bound too: only a superuser or BYPASSRLS role is not.
    operations.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


@Operations.implementation_for(DisableRowSecurityOp)
def _disable(operations: Operations, operation: DisableRowSecurityOp) -> None:
    table = operations.impl.dialect.identifier_preparer.quote(operation.table_name)
    operations.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    operations.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


@renderers.dispatch_for(EnableRowSecurityOp)
def _render_enable(_context: AutogenContext, operation: EnableRowSecurityOp) -> str:
    return f"op.enable_row_security({operation.table_name!r})"


@renderers.dispatch_for(DisableRowSecurityOp)
def _render_disable(_context: AutogenContext, operation: DisableRowSecurityOp) -> str:
    return f"op.disable_row_security({operation.table_name!r})"


class _Registered:
    """The policies env.py registered, and those autogenerate found no table for yet."""

    policies: Sequence[PGPolicy] = ()
    pending: Sequence[PGPolicy] = ()


def register(policies: Sequence[PGPolicy]) -> Callable[..., None]:
    """Have autogenerate compare `policies`, and row-level security on their tables, with the
    database. Returns the `process_revision_directives` hook for env.py.

    alembic_utils checks a policy by creating it in a savepoint, which fails on a table that
    does not exist yet: the table of a new domain, created by the same revision. Those
    policies are left out of the comparison, and the hook adds them to the new revision after
    its tables instead (and removes them first on the way down)."""
    _Registered.policies = policies

    def add_pending(_context: object, _revision: object, directives: list[MigrationScript]) -> None:
        for script in directives:
            if script.upgrade_ops is None or script.downgrade_ops is None:
                continue
            script.upgrade_ops.ops.extend(CreateOp(policy) for policy in _Registered.pending)
            drops = [DropOp(policy) for policy in reversed(_Registered.pending)]
            script.downgrade_ops.ops[:0] = drops

    return add_pending


@comparators.dispatch_for("schema", priority=DispatchPriority.FIRST)
def _register_policies(context: AutogenContext, _upgrade_ops: UpgradeOps, _schemas: object) -> None:
    # Before alembic_utils compares: it learns the policies whose tables exist by now.
    existing = set(context.inspector.get_table_names())
    on_table = {policy: policy.on_entity.removeprefix("public.") for policy in _Registered.policies}
    _Registered.pending = [policy for policy, table in on_table.items() if table not in existing]
    # Only these: a registry left from an earlier run in this process would not know which
    # tables exist now. And only policies: alembic_utils would otherwise also report the job
    # queue's functions and the grants, which no model declares, as entities to drop.
    registry.clear()  # type: ignore[no-untyped-call]
    compared = [policy for policy, table in on_table.items() if table in existing]
    register_entities(compared, entity_types=[PGPolicy])


_READ_SECURED = text(
    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
    "AND relkind = 'r' AND relrowsecurity AND relforcerowsecurity"
)


@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def _compare_row_security(
    context: AutogenContext, upgrade_ops: UpgradeOps, _schemas: object
) -> None:
    """A table with policies whose row-level security is not on (a new domain's, say) gets
    `enable_row_security`; a table of the models that has it on, but no policy, the reverse."""
    wanted = secured_tables(_Registered.policies)
    if context.connection is None or context.metadata is None:
        return
    metadatas = context.metadata if isinstance(context.metadata, Sequence) else [context.metadata]
    modelled = {table.name for metadata in metadatas for table in metadata.sorted_tables}
    secured = set(context.connection.execute(_READ_SECURED).scalars())
    for table in sorted(set(wanted) - secured):
        upgrade_ops.ops.append(EnableRowSecurityOp(table))
    for table in sorted((secured & modelled) - set(wanted)):
        upgrade_ops.ops.append(DisableRowSecurityOp(table))
