"""What the baseline needs beyond the operations autogenerate makes, so that it builds what
the models describe on an empty database of the live dialect:

- the sequences the models declare (`sa.Sequence` on a column), created before the tables
  and dropped after them: Alembic's autogenerate does not compare or create sequences;
- foreign keys that cannot be created with their table: those of tables that refer to each
  other in a cycle, and those marked `use_alter=True`. Inline in `op.create_table`, the first
  table's key would refer to a table that does not exist yet. They are created after all the
  tables with `op.create_foreign_key` (SQLite, which cannot add a foreign key to a table and
  does not check the referred table when one is created, keeps them inline).

Both work on Alembic's public operation objects, in a `process_revision_directives` hook."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from typing import Any

import sqlalchemy
from alembic.operations import ops as alembic_ops
from sqlalchemy import Column
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Sequence
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateSequence
from sqlalchemy.schema import DropSequence
from sqlalchemy.schema import sort_tables_and_constraints

from adopt import live_names
from adopt.errors import AdoptError


def complete(
    upgrade: alembic_ops.UpgradeOps,
    downgrade: Any,
    dialect: Dialect,
    names: live_names.Names | None = None,
    pinned: list[tuple[Any, Any]] | None = None,
) -> list[str]:
    """Add the sequences and move the foreign keys out of their tables (see the module's
    docstring), and give the models' unnamed keys the names the live database has (`names`,
    adopt.live_names; each constraint named and its old name appended to `pinned`, for the
    caller to restore once the script is rendered); returns the names of the tables whose
    keys were moved, to tell the user."""
    creates = [op for op in upgrade.ops if isinstance(op, alembic_ops.CreateTableOp)]
    tables = [t for t in map(_model_table, creates) if t is not None]
    if names:
        _pin_names(tables, names, pinned if pinned is not None else [])
    _add_sequences(upgrade, downgrade, tables, dialect)
    if getattr(dialect, "supports_sequences", False):
        for op in creates:
            _numbered_by_their_sequence(op)
    if dialect.name == "sqlite":
        return []
    return _keys_after_tables(upgrade, downgrade, creates)


def _add_sequences(
    upgrade: alembic_ops.UpgradeOps, downgrade: Any, tables: list[Table], dialect: Dialect
) -> None:
    if not getattr(dialect, "supports_sequences", False):
        return
    seen: dict[str, Sequence] = {}
    for table in tables:
        for column in table.columns:
            if isinstance(column.default, Sequence) and column.default.name not in seen:
                seen[column.default.name] = column.default
    if not seen:
        return
    create = [
        alembic_ops.ExecuteSQLOp(str(CreateSequence(s).compile(dialect=dialect)))
        for s in seen.values()
    ]
    drop = [
        alembic_ops.ExecuteSQLOp(str(DropSequence(s).compile(dialect=dialect)))
        for s in seen.values()
    ]
    upgrade.ops[:0] = create
    if downgrade is not None:
        downgrade.ops.extend(drop)


def _pin_names(tables: list[Table], names: live_names.Names, pinned: list[tuple[Any, Any]]) -> None:
    """Name each unnamed foreign key and unique constraint as the live database names it."""
    for table in tables:
        for constraint in table.constraints:
            if constraint.name is not None:
                continue
            signature = _signature(table, constraint)
            if signature is not None and signature in names:
                pinned.append((constraint, constraint.name))
                constraint.name = names[signature]


def _signature(table: Table, constraint: Any) -> live_names.Signature | None:
    columns = tuple(c.name for c in constraint.columns)
    if isinstance(constraint, ForeignKeyConstraint):
        try:
            referred = constraint.referred_table
        except exc.NoReferencedTableError:
            return None
        targets = tuple(element.column.name for element in constraint.elements)
        return ("foreign_key", table.name, columns, referred.name, targets)
    if isinstance(constraint, UniqueConstraint):
        return ("unique", table.name, columns, "", ())
    return None


def _numbered_by_their_sequence(op: alembic_ops.CreateTableOp) -> None:
    """A key column numbered by its own `sa.Sequence` is a plain integer in the database
    (create_all makes no SERIAL of it: the sequence is its default, on the client). Alembic
    renders it without the sequence, and op.create_table would make it SERIAL, with a second
    sequence: it is rendered with autoincrement=False instead, as create_all builds it."""
    op.columns = [_without_autoincrement(item) for item in op.columns]


def _without_autoincrement(item: Any) -> Any:
    if not (isinstance(item, Column) and isinstance(item.default, Sequence)):
        return item
    copy = getattr(item, "_copy", None)  # SQLAlchemy's column copy (2.0, 2.1)
    if copy is None:
        return item
    plain = copy()
    plain.autoincrement = False
    return plain


def _keys_after_tables(
    upgrade: alembic_ops.UpgradeOps, downgrade: Any, creates: list[alembic_ops.CreateTableOp]
) -> list[str]:
    """Take the keys that need their tables first out of the create_table operations and
    create them after the last table."""
    by_name = {(op.schema, op.table_name): op for op in creates}
    models = [_model_table(op) for op in creates]
    later = _keys_needing_all_tables([t for t in models if t is not None])
    if not later:
        return []
    moved: list[alembic_ops.MigrateOperation] = []
    dropped: list[alembic_ops.MigrateOperation] = []
    tables: set[str] = set()
    for key in later:
        owner = by_name.get((key.table.schema, key.table.name))
        if owner is None:
            continue
        owner.columns = [c for c in owner.columns if c is not key]
        moved.append(alembic_ops.CreateForeignKeyOp.from_constraint(key))
        if key.name:
            dropped.append(alembic_ops.DropConstraintOp.from_constraint(key))
        tables.add(key.table.name)
    last = max(upgrade.ops.index(op) for op in creates)
    upgrade.ops[last + 1 : last + 1] = moved
    if downgrade is not None:
        downgrade.ops[:0] = dropped
    return sorted(tables)


def _model_table(op: alembic_ops.CreateTableOp) -> Table | None:
    """The models' own Table behind a create_table operation (its constraints are the
    models' objects), found through one of its columns."""
    for item in op.columns:
        table = getattr(item, "table", None)
        if isinstance(table, Table):
            return table
    return None


def _keys_needing_all_tables(tables: list[Table]) -> list[ForeignKeyConstraint]:
    """SQLAlchemy's own answer, as create_all uses it: the keys left over after sorting the
    tables by dependency (those in cycles), plus those marked use_alter."""
    ordered = sort_tables_and_constraints(tables)  # type: ignore[no-untyped-call]
    found = [key for table, keys in ordered if table is None for key in keys]
    for table in tables:
        for key in table.foreign_key_constraints:
            if key.use_alter and key not in found:
                found.append(key)
    return found


# --- names the rendered script uses -------------------------------------------------------------

_ALWAYS_BOUND = {"op", "sa"}


def qualified(body: str, imports: Iterable[str]) -> str:
    """The rendered body of upgrade() or downgrade() with every name it uses bound: a bare
    SQLAlchemy name (`Text()` inside a type's arguments, which a type's own repr writes) is
    spelled `sa.Text()`; any other name the script does not import is reported before the
    script runs, by name, instead of a NameError in the rebuild."""
    source = "def _body():\n" + body
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return body  # not Python as rendered: Alembic's own loading says where
    # Names the body binds itself: `with op.batch_alter_table(...) as batch_op`, loops.
    own = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    own |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    bound = _ALWAYS_BOUND | _imported(imports) | set(dir(builtins)) | own
    bare = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound
    ]
    unknown = sorted({n.id for n in bare if not _is_sqlalchemy_name(n.id)})
    if unknown:
        raise AdoptError(
            f"The baseline would use {', '.join(unknown)} without importing it (a type's "
            "arguments rendered by its repr); give the type a render_item hook in env.py, or "
            "a repr that names its module, then run again."
        )
    lines = source.splitlines(keepends=True)
    for node in sorted(bare, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        line = lines[node.lineno - 1]
        lines[node.lineno - 1] = line[: node.col_offset] + "sa." + line[node.col_offset :]
    return "".join(lines)[len("def _body():\n") :]


def _imported(imports: Iterable[str]) -> set[str]:
    names: set[str] = set()
    for line in imports:
        try:
            tree = ast.parse(line.strip())
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split(".")[0])
    return names


def _is_sqlalchemy_name(name: str) -> bool:
    return hasattr(sqlalchemy, name) and not name.startswith("_")
