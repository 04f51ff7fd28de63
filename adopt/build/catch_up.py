"""The catch-up revision: from the schema a drifted database has to the one the models describe.

A drifted database is adopted in two revisions: a baseline that describes the database as it is
(adopt.reading.live_metadata gives it the live tables to render), and this one, which holds the
operations that take that schema to the models. Alembic's comparison of the models with a
scratch database built by the baseline proposes the operations; only those about a difference
the match check confirmed are kept (Alembic's own false alarms stay out), minus the differences
the team decided to keep as the database has them.

The operations are written as a careful DBA would run them on a live server: on SQLite in batch
mode (a table copy, as SQLite alters little in place); on PostgreSQL under a lock_timeout so
that a busy table fails the step instead of queueing every query behind it, new indexes built
CONCURRENTLY outside the transaction, and new foreign keys added NOT VALID then validated, so
that neither holds a write lock while rows are scanned."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from alembic.autogenerate import render_python_code
from alembic.autogenerate import renderers
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy import Column
from sqlalchemy import MetaData
from sqlalchemy import column as column_clause
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.schema import AddConstraint
from sqlalchemy.sql.elements import conv
from sqlalchemy.types import String

from adopt.build.baseline import RevisionFile
from adopt.compare.differences import Difference
from adopt.errors import UsageError
from adopt.wording import counted

# How long a statement of the catch-up waits for a lock on PostgreSQL before it fails.
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class Step:
    """One difference and what the catch-up does about it."""

    difference: Difference
    keep_database: bool  # decided "as the database has it": not in the catch-up
    data_work: str = ""  # rows that would fail the step, e.g. "2 rows with NULL in t.c ..."
    model_change: str = ""  # for a kept difference: what makes the models agree

    @property
    def key(self) -> str:
        return decision_key(self.difference)

    def as_dict(self) -> dict[str, Any]:
        return {
            "difference": self.difference.as_dict(),
            "decision": "database" if self.keep_database else "models",
            "data_work": self.data_work,
            "model_change": self.model_change,
        }


@dataclass(frozen=True)
class CatchUp(RevisionFile):
    """The revision after the baseline that takes the database to the models."""


def decision_key(difference: Difference) -> str:
    """How a difference is named on the command line: KIND/TABLE.OBJECT, the object by its
    name (an index, a constraint, a column), an unnamed one by its columns ("(email)"), or the
    table alone."""
    name = _object_name(difference)
    return f"{difference.kind}/{difference.table}" + (f".{name}" if name else "")


def _object_name(difference: Difference) -> str:
    # The check labels an object "NAME what" when it is named, "what" when it is not, where
    # what is "unique (a, b)", "index (a)" or "(a) -> t(id)".
    label = difference.object
    first = label.split(" ")[0] if label else ""
    if first in ("unique", "index", "constraint", "check") and "(" in label:
        return label[label.index("(") : label.index(")") + 1]
    return first


def require_decided(
    keep_database: Iterable[str], keep_models: Iterable[str], differences: Iterable[Difference]
) -> None:
    """Every key names a difference the check found, none is decided both ways, and, once any
    difference is decided "as the models say" by name, every one is decided: a script that
    pins its decisions is refused when the database drifts again in a way not reviewed."""
    found = list(differences)
    known = {decision_key(d) for d in found}
    listed = ", ".join(sorted(known)) or "none"
    for flag, keys in (("--accept-database", keep_database), ("--accept-models", keep_models)):
        for key in keys:
            if key not in known:
                raise UsageError(
                    f"{flag} {key} names no difference the check found; the differences are: "
                    f"{listed}."
                )
    both = set(keep_database) & set(keep_models)
    if both:
        raise UsageError(
            f"{', '.join(sorted(both))} is given to both --accept-database and --accept-models; "
            "decide it one way."
        )
    undecided = sorted(known - set(keep_database) - set(keep_models))
    if keep_models and undecided:
        raise UsageError(
            f"Not decided: {', '.join(undecided)}; with --accept-models every difference is "
            "named by --accept-models or --accept-database."
        )


# --- which operation is about which difference ------------------------------------------------


def _subjects(op: Any, table: str) -> list[tuple[str, str, str]]:
    """(kind, table, object name) of each difference `op` resolves, in the check's terms."""
    if isinstance(op, ops.AlterColumnOp):
        found = []
        if op.modify_type is not None:
            found.append(("type", table, op.column_name))
        if op.modify_nullable is not None:
            found.append(("nullable", table, op.column_name))
        if op.modify_server_default is not False:
            found.append(("server_default", table, op.column_name))
        return found
    if isinstance(op, ops.AddColumnOp):
        return [("missing_column", table, op.column.name)]
    if isinstance(op, ops.DropColumnOp):
        return [("extra_column", table, op.column_name)]
    if isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
        return [("index", table, str(op.index_name))]
    if isinstance(op, ops.CreateForeignKeyOp):
        name = str(op.constraint_name) if op.constraint_name else None
        return [("foreign_key", table, _label(name, op.local_cols))]
    if isinstance(op, ops.DropConstraintOp) and op.constraint_type == "foreignkey":
        return [("foreign_key", table, str(op.constraint_name))]
    if isinstance(op, ops.CreateUniqueConstraintOp):
        name = str(op.constraint_name) if op.constraint_name else None
        return [("unique", table, _label(name, op.columns))]
    if isinstance(op, ops.DropConstraintOp) and op.constraint_type == "unique":
        return [("unique", table, str(op.constraint_name))]
    if isinstance(op, ops.CreateTableOp):
        return [("missing_table", table, "")]
    return []


def _label(name: str | None, columns: Iterable[str]) -> str:
    return name if name else f"({', '.join(columns)})"


def _matches(subject: tuple[str, str, str], difference: Difference) -> bool:
    kind, table, name = subject
    if difference.kind != kind or difference.table != table:
        return False
    return not name or _object_name(difference) == name


def _table_of(op: Any, parent: ops.ModifyTableOps | None) -> str:
    name = parent.table_name if parent is not None else getattr(op, "table_name", "")
    schema = parent.schema if parent is not None else getattr(op, "schema", None)
    return f"{schema}.{name}" if schema else str(name)


def _flat(upgrade: ops.UpgradeOps) -> Iterator[tuple[Any, ops.ModifyTableOps | None]]:
    for op in upgrade.ops:
        if isinstance(op, ops.ModifyTableOps):
            for inner in op.ops:
                yield inner, op
        else:
            yield op, None


def _resolved_by(op: Any, table: str, wanted: list[Difference]) -> list[Difference]:
    """The `wanted` differences `op` resolves; an alter_column is cut down to those (what it
    would also change is left as it is)."""
    resolved = []
    for subject in _subjects(op, table):
        match = next((d for d in wanted if _matches(subject, d)), None)
        if match is not None:
            resolved.append(match)
        elif isinstance(op, ops.AlterColumnOp):
            _unset(op, subject[0])
    return resolved


def _unset(op: ops.AlterColumnOp, kind: str) -> None:
    # Keep the column's existing state for what is not changed: Alembic needs it on MySQL.
    if kind == "type":
        op.modify_type = None
    elif kind == "nullable":
        op.modify_nullable = None
    elif kind == "server_default":
        op.modify_server_default = False


def selected(upgrade: ops.UpgradeOps, wanted: list[Difference]) -> tuple[ops.UpgradeOps, set[str]]:
    """The operations of `upgrade` that resolve the `wanted` differences, grouped by table as
    Alembic groups them; and the decision keys of the differences that got an operation."""
    kept: list[Any] = []
    resolved: set[str] = set()
    by_table: dict[str, ops.ModifyTableOps] = {}
    for op, parent in _flat(upgrade):
        table = _table_of(op, parent)
        found = _resolved_by(op, table, wanted)
        if not found:
            continue
        resolved.update(decision_key(d) for d in found)
        if parent is None:
            kept.append(op)
            continue
        if table not in by_table:
            by_table[table] = ops.ModifyTableOps(parent.table_name, [], schema=parent.schema)
            kept.append(by_table[table])
        by_table[table].ops.append(op)
    return ops.UpgradeOps(kept), resolved


# --- PostgreSQL: written to run on a live server -------------------------------------------------


class CreateIndexConcurrentlyOp(ops.MigrateOperation):
    """A new index built without blocking writes: CREATE INDEX CONCURRENTLY, which PostgreSQL
    runs only outside a transaction (an autocommit block). Only rendered (into op.create_index
    in an autocommit block), never run as itself: no `op.` directive is registered for it."""

    def __init__(self, index_op: ops.CreateIndexOp) -> None:
        self.index_op = index_op

    def reverse(self) -> ops.MigrateOperation:
        return self.index_op.reverse()


@renderers.dispatch_for(CreateIndexConcurrentlyOp)
def _render_concurrently(context: Any, op: CreateIndexConcurrentlyOp) -> str:
    inner = str(renderers.dispatch(op.index_op)(context, op.index_op))
    inner = inner.rstrip(")") + ", postgresql_concurrently=True)"
    return "with op.get_context().autocommit_block():\n    " + inner


def made_safe(upgrade: ops.UpgradeOps, dialect: str) -> ops.UpgradeOps:
    """PostgreSQL: a lock_timeout first; new foreign keys NOT VALID then validated; new
    indexes built concurrently, last (each commits what came before it)."""
    if dialect != "postgresql" or not upgrade.ops:
        return upgrade
    body: list[Any] = [ops.ExecuteSQLOp(f"SET lock_timeout = '{LOCK_TIMEOUT}'")]
    last: list[Any] = []
    for op in upgrade.ops:
        group = op.ops if isinstance(op, ops.ModifyTableOps) else [op]
        for inner in list(group):
            if isinstance(inner, ops.CreateIndexOp):
                group.remove(inner)
                last.append(CreateIndexConcurrentlyOp(inner))
            elif isinstance(inner, ops.CreateForeignKeyOp):
                group[group.index(inner)] = _not_valid_then_validated(inner)
        if not isinstance(op, ops.ModifyTableOps) or op.ops:
            body.append(op)
    return ops.UpgradeOps([*body, *last, ops.ExecuteSQLOp("RESET lock_timeout")])


def named(upgrade: ops.UpgradeOps, dialect: str) -> None:
    """Give every new unique constraint and foreign key the models leave unnamed the name the
    server would give it (PostgreSQL's <table>_<columns>_key and _fkey, MySQL's unique index
    named after its first column), or a like one where the server numbers them (MySQL's foreign
    keys) or keeps none (SQLite, whose batch mode needs one): the downgrade must name what it
    drops, and PostgreSQL's VALIDATE what it validates."""
    for op, _parent in _flat(upgrade):
        if isinstance(op, ops.CreateUniqueConstraintOp) and not op.constraint_name:
            columns = "_".join(op.columns)
            op.constraint_name = {
                "postgresql": f"{op.table_name}_{columns}_key",
                "mysql": op.columns[0],
            }.get(dialect, f"uq_{op.table_name}_{columns}")
        elif isinstance(op, ops.CreateForeignKeyOp) and not op.constraint_name:
            columns = "_".join(op.local_cols)
            suffix = "fkey" if dialect == "postgresql" else "fk"
            op.constraint_name = f"{op.source_table}_{columns}_{suffix}"


def reversed_for(upgrade: ops.UpgradeOps, dialect: str, live: MetaData) -> ops.DowngradeOps:
    """The catch-up's downgrade: Alembic's reverse of each operation, and on MySQL/MariaDB the
    index a new foreign key made for itself dropped after the key (the server keeps it when the
    key goes), where the live table had none it could use."""
    downgrade = ops.DowngradeOps(upgrade.reverse().ops)
    if dialect != "mysql":
        return downgrade
    keys = {
        str(op.constraint_name): (op.source_table, tuple(op.local_cols))
        for op, _parent in _flat(upgrade)
        if isinstance(op, ops.CreateForeignKeyOp)
    }
    for group in downgrade.ops:
        inner = group.ops if isinstance(group, ops.ModifyTableOps) else [group]
        for op in list(inner):
            found = keys.get(str(getattr(op, "constraint_name", "")))
            if isinstance(op, ops.DropConstraintOp) and found and not _indexed(live, *found):
                drop = ops.DropIndexOp(str(op.constraint_name), found[0])
                inner.insert(inner.index(op) + 1, drop)
    return downgrade


def _indexed(live: MetaData, table: str, columns: tuple[str, ...]) -> bool:
    found = live.tables.get(table)
    if found is None:
        return False
    return (
        any(
            tuple(c.name for c in index.columns)[: len(columns)] == columns
            for index in found.indexes
        )
        or tuple(c.name for c in found.primary_key.columns)[: len(columns)] == columns
    )


def _not_valid_then_validated(op: ops.CreateForeignKeyOp) -> ops.ModifyTableOps:
    """The key added NOT VALID (no scan under the lock), then validated (a scan that lets
    writes go on); `named` has named it."""
    name = op.constraint_name
    constraint = op.to_constraint()
    constraint.name = conv(str(name))
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]
    add = str(AddConstraint(constraint).compile(dialect=dialect))
    quote = dialect.identifier_preparer
    validate = (
        f"ALTER TABLE {quote.format_table(constraint.table)} "
        f"VALIDATE CONSTRAINT {quote.quote(str(name))}"
    )
    return ops.ModifyTableOps(
        op.source_table,
        [ops.ExecuteSQLOp(f"{add} NOT VALID"), ops.ExecuteSQLOp(validate)],
        schema=op.kw.get("source_schema"),
    )


# --- what the review shows ------------------------------------------------------------------------


def rendered(
    upgrade: ops.UpgradeOps | ops.DowngradeOps, context: MigrationContext, batch: bool
) -> tuple[str, set[str]]:
    """The Python of the operations as the revision holds it, and the imports it needs."""
    contexts: list[Any] = []

    def render_item(_kind: str, _obj: Any, autogen: Any) -> Any:
        contexts.append(autogen)
        return False

    code = render_python_code(
        upgrade, render_as_batch=batch, migration_context=context, render_item=render_item
    )
    imports: set[str] = set()
    for autogen in contexts[:1]:
        imports |= set(autogen.imports)
    return code, imports


def data_work(conn: Connection, difference: Difference, live: MetaData, models: MetaData) -> str:
    """Rows of the live database that the step for `difference` would refuse: NULLs where the
    models say NOT NULL, strings longer than the models' length. Read only."""
    table, model = live.tables.get(difference.table), models.tables.get(difference.table)
    name = difference.object
    if table is None or model is None or name not in table.columns or name not in model.columns:
        return ""
    target = table_clause(table.name, column_clause(name), schema=table.schema)
    field, place = target.c[name], f"{difference.table}.{name}"
    if difference.kind == "nullable" and not model.columns[name].nullable:
        count = conn.scalar(select(func.count()).select_from(target).where(field.is_(None)))
        return f"{counted(count, 'row')} with NULL in {place} (models: NOT NULL)" if count else ""
    length = getattr(model.columns[name].type, "length", None)
    if (
        difference.kind == "type"
        and isinstance(length, int)
        and isinstance(table.columns[name].type, String)
    ):
        measure = func.length if conn.dialect.name == "sqlite" else func.char_length
        count = conn.scalar(select(func.count()).select_from(target).where(measure(field) > length))
        return f"{counted(count, 'row')} of {place} longer than {length}" if count else ""
    return ""


def model_change(difference: Difference, live: MetaData, context: MigrationContext) -> str:
    """What to write in the models so that they agree with the database on `difference`."""
    table = live.tables.get(difference.table)
    if table is None:
        return ""
    name = difference.object.split(" ")[0] if difference.object else ""
    if name in table.columns:
        column: Column[Any] = table.columns[name]
        code, _ = rendered(
            ops.UpgradeOps([ops.AddColumnOp(table.name, column, schema=table.schema)]),
            context,
            batch=False,
        )
        definition = code.strip().split(", ", 1)[1].rsplit(")", 1)[0]
        return f"the column as the database has it: {definition}"
    index = next((i for i in table.indexes if i.name == name), None)
    if index is not None:
        columns = ", ".join(repr(c.name) for c in index.columns)
        unique = ", unique=True" if index.unique else ""
        return f"the index as the database has it: sa.Index({name!r}, {columns}{unique})"
    if difference.kind == "index":
        return f"remove the index {name} from the models"
    if difference.kind == "foreign_key":
        return f"remove the foreign key {difference.object} from the models"
    return ""
