"""What the baseline needs beyond the operations autogenerate makes, so that it builds what
the models describe on an empty database of the live dialect:

- the sequences the models declare (`sa.Sequence` on a column), created before the tables
  and dropped after them: Alembic's autogenerate does not compare or create sequences;
- foreign keys that cannot be created with their table: those of tables that refer to each
  other in a cycle, and those marked `use_alter=True`. Inline in `op.create_table`, the first
  table's key would refer to a table that does not exist yet. They are created after all the
  tables with `op.create_foreign_key` (SQLite, which cannot add a foreign key to a table and
  does not check the referred table when one is created, keeps them inline).

- on SQLite, the indexes on an expression: Alembic's autogenerate leaves every one out there
  (it cannot reflect them to compare), even for a table it creates, where create_all makes it;
- none of the indexes and constraints the models make on other dialects only
  (`.ddl_if(dialect=...)`): create_all skips them, Alembic's autogenerate does not.

All work on Alembic's public operation objects, in a `process_revision_directives` hook."""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from alembic.operations import ops as alembic_ops
from sqlalchemy import ARRAY
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Index
from sqlalchemy import PrimaryKeyConstraint
from sqlalchemy import Sequence
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy import exc
from sqlalchemy.dialects.postgresql import DropEnumType
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex
from sqlalchemy.schema import CreateSequence
from sqlalchemy.schema import CreateTable
from sqlalchemy.schema import DropSequence
from sqlalchemy.schema import sort_tables_and_constraints

from adopt.errors import AdoptError
from adopt.reading import live_names


def complete(
    upgrade: alembic_ops.UpgradeOps,
    downgrade: Any,
    dialect: Dialect,
    names: live_names.Names | None = None,
    pinned: list[tuple[Any, Any]] | None = None,
    include_object: Any = None,
) -> list[str]:
    """Add the sequences and move the foreign keys out of their tables (see the module's
    docstring), and give the models' unnamed keys the names the live database has (`names`,
    adopt.reading.live_names; each constraint named and its old name appended to `pinned`, for the
    caller to restore once the script is rendered); returns the names of the tables whose
    keys were moved, to tell the user. `include_object` is the project's hook of that name,
    asked about each index added here."""
    creates = [op for op in upgrade.ops if isinstance(op, alembic_ops.CreateTableOp)]
    tables = [t for t in map(_model_table, creates) if t is not None]
    if dialect.name == "sqlite":
        _expression_indexes(upgrade, creates, include_object)
    _without_other_dialects(upgrade, downgrade, creates, tables, dialect)
    # SQLite keeps every foreign key inline (it cannot add one to a table).
    later = [] if dialect.name == "sqlite" else _keys_needing_all_tables(tables)
    if names:
        _pin_names(tables, names, pinned if pinned is not None else [], dialect.name, later)
    _add_sequences(upgrade, downgrade, tables, dialect)
    if downgrade is not None:
        _indexes_go_with_their_tables(downgrade)
        _enum_types_dropped(downgrade, tables, dialect)
    if getattr(dialect, "supports_sequences", False):
        for op in creates:
            _numbered_by_their_sequence(op)
    return _keys_after_tables(upgrade, downgrade, creates, later)


def _expression_indexes(
    upgrade: alembic_ops.UpgradeOps, creates: list[alembic_ops.CreateTableOp], include: Any
) -> None:
    """Create the models' indexes on an expression that autogenerate left out (SQLite), after
    the other indexes of their table."""
    made = {
        (op.schema, op.table_name, op.index_name)
        for op in _all_ops(upgrade)
        if isinstance(op, alembic_ops.CreateIndexOp)
    }
    for create in creates:
        table = _model_table(create)
        if table is None:
            continue
        missing = sorted(
            (
                index
                for index in table.indexes
                if index.name is not None
                and (table.schema, table.name, index.name) not in made
                and not all(isinstance(e, Column) for e in index.expressions)
                and (include is None or include(index, index.name, "index", False, None))
            ),
            key=lambda index: str(index.name),
        )
        if missing:
            _modify_ops_after(upgrade, create).ops.extend(
                alembic_ops.CreateIndexOp.from_index(index) for index in missing
            )


def _without_other_dialects(
    upgrade: alembic_ops.UpgradeOps,
    downgrade: Any,
    creates: list[alembic_ops.CreateTableOp],
    tables: list[Table],
    dialect: Dialect,
) -> None:
    """Leave out what create_all does not make on `dialect` (`.ddl_if()`): the indexes, and the
    constraints of each create_table."""
    skipped = {
        (table.schema, table.name, index.name)
        for table in tables
        for index in table.indexes
        if not _made_on(index, dialect)
    }
    if skipped:
        for container in (upgrade, downgrade):
            if container is not None:
                _drop_index_ops(container, skipped)
    for create in creates:
        create.columns = [
            c for c in create.columns if isinstance(c, Column) or _made_on(c, dialect)
        ]


def _made_on(item: Any, dialect: Dialect) -> bool:
    """Whether create_all makes `item` (an index or a constraint) on `dialect`: its `ddl_if`
    rule (SQLAlchemy keeps it in the private `_ddl_if`), asked as create_all asks it. Where
    the rule cannot be asked, the item is kept, and the verification judges the result."""
    rule = getattr(item, "_ddl_if", None)
    if rule is None:
        return True
    try:
        ddl = CreateIndex(item) if isinstance(item, Index) else CreateTable(item.table)
        compiler = dialect.ddl_compiler(dialect, ddl)
        return bool(rule._should_execute(ddl, item, None, compiler=compiler))
    except Exception:
        return True


def _drop_index_ops(container: Any, skipped: set[tuple[str | None, str, Any]]) -> None:
    kept = []
    for op in container.ops:
        if isinstance(op, alembic_ops.CreateIndexOp | alembic_ops.DropIndexOp):
            if (op.schema, op.table_name, op.index_name) in skipped:
                continue
        elif isinstance(op, alembic_ops.ModifyTableOps):
            _drop_index_ops(op, skipped)
            if not op.ops:
                continue
        kept.append(op)
    container.ops = kept


def _all_ops(container: Any) -> Iterator[Any]:
    for op in container.ops:
        yield op
        if isinstance(op, alembic_ops.OpContainer):
            yield from _all_ops(op)


def _modify_ops_after(
    upgrade: alembic_ops.UpgradeOps, create: alembic_ops.CreateTableOp
) -> alembic_ops.ModifyTableOps:
    """The operations on a created table that autogenerate puts right after it (its indexes),
    made there if there are none."""
    at = upgrade.ops.index(create) + 1
    following = upgrade.ops[at] if at < len(upgrade.ops) else None
    if (
        isinstance(following, alembic_ops.ModifyTableOps)
        and following.table_name == create.table_name
        and following.schema == create.schema
    ):
        return following
    made = alembic_ops.ModifyTableOps(create.table_name, [], schema=create.schema)
    upgrade.ops.insert(at, made)
    return made


def _indexes_go_with_their_tables(downgrade: Any) -> None:
    """The downgrade drops the baseline's tables; their indexes go with them. Alembic drops
    each index first, which MariaDB/MySQL refuse for an index a foreign key needs ("Cannot
    drop index ...: needed in a foreign key constraint"), so those drops are left out."""
    dropped = {
        (op.schema, op.table_name)
        for op in downgrade.ops
        if isinstance(op, alembic_ops.DropTableOp)
    }

    def needed(op: Any) -> bool:
        if isinstance(op, alembic_ops.DropIndexOp):
            return (op.schema, op.table_name) not in dropped
        if isinstance(op, alembic_ops.ModifyTableOps):
            op.ops = [o for o in op.ops if needed(o)]
            return bool(op.ops)
        return True

    downgrade.ops = [op for op in downgrade.ops if needed(op)]


def _enum_types_dropped(downgrade: Any, tables: list[Table], dialect: Dialect) -> None:
    """PostgreSQL: the enum types the upgrade's create_table made are dropped after the
    tables. Alembic leaves them, and the next upgrade then fails with 'type ... already
    exists' (an upgrade, downgrade, upgrade round trip, as pytest-alembic runs it)."""
    if dialect.name != "postgresql":
        return
    found: dict[tuple[str | None, str], Any] = {}
    for table in tables:
        for column in table.columns:
            for type_ in _enum_types(column.type.dialect_impl(dialect)):
                found.setdefault((type_.schema, type_.name), type_)
    downgrade.ops.extend(
        alembic_ops.ExecuteSQLOp(str(DropEnumType(type_).compile(dialect=dialect)))
        for type_ in found.values()
    )


def _enum_types(type_: Any) -> list[Any]:
    """The native enum types create_table makes for a column's type (an ARRAY's items too)."""
    if isinstance(type_, ARRAY):
        return _enum_types(type_.item_type)
    if (
        isinstance(type_, sqlalchemy.Enum)
        and type_.native_enum
        and type_.name
        and getattr(type_, "create_type", True)
    ):
        return [type_]
    return []


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


def _pin_names(
    tables: list[Table],
    names: live_names.Names,
    pinned: list[tuple[Any, Any]],
    dialect: str = "",
    later: Iterable[ForeignKeyConstraint] = (),
) -> None:
    """Name each unnamed foreign key and unique constraint as the live database names it.

    On MariaDB/MySQL a foreign key the server numbers itself (`<table>_ibfk_N`) is pinned only
    where the baseline's order would number it otherwise: a named foreign key gets an index
    of that name, while an unnamed one's index is named after its first column, as the live
    database has it."""
    numbered = _numbered_as_live(tables, names, later) if dialect in ("mysql", "mariadb") else set()
    for table in tables:
        for constraint in table.constraints:
            if constraint.name is not None or constraint in numbered:
                continue
            signature = _signature(table, constraint)
            if signature is not None and signature in names:
                pinned.append((constraint, constraint.name))
                constraint.name = names[signature]


def _numbered_as_live(
    tables: list[Table], names: live_names.Names, later: Iterable[ForeignKeyConstraint]
) -> set[ForeignKeyConstraint]:
    """The unnamed foreign keys that MariaDB/MySQL will name as the live database has them
    when created in the baseline's order: numbered 1, 2, ... in their CREATE TABLE (the
    models' order, constraints_in_model_order), then after the highest number for
    each one added later by ALTER TABLE. A pinned one takes no number."""
    moved = list(later)
    same: set[ForeignKeyConstraint] = set()
    for table in tables:
        inline = [
            c
            for c in in_creation_order(table.foreign_key_constraints)
            if c not in moved and c.name is None
        ]
        added = [c for c in moved if c.table is table and c.name is None]
        number = 0
        for key in inline + added:
            signature = _signature(table, key)
            live = names.get(signature) if signature is not None else None
            if live == f"{table.name}_ibfk_{number + 1}":
                number += 1
                same.add(key)
    return same


def in_creation_order(constraints: Iterable[Any]) -> list[Any]:
    """Constraints in the order their table's CREATE TABLE lists them, as SQLAlchemy's
    create_all writes it (the order they were made in)."""
    return sorted(constraints, key=lambda c: getattr(c, "_creation_order", 0))


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
    upgrade: alembic_ops.UpgradeOps,
    downgrade: Any,
    creates: list[alembic_ops.CreateTableOp],
    later: list[ForeignKeyConstraint],
) -> list[str]:
    """Take the keys that need their tables first (`later`) out of the create_table
    operations and create them after the last table."""
    by_name = {(op.schema, op.table_name): op for op in creates}
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
    bound = _ALWAYS_BOUND | _imported(imports) | set(dir(builtins))
    try:
        # Python's symbol table finds the names the body loads without binding them, in C;
        # the syntax tree, which a baseline of 1,000 tables takes seconds to build and walk,
        # is needed only to find where such a name is written.
        if _unbound_names(source) <= bound:
            return body
        tree = ast.parse(source)
    except SyntaxError:
        return body  # not Python as rendered: Alembic's own loading says where
    # Names the body binds itself: `with op.batch_alter_table(...) as batch_op`, loops.
    own = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    own |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    bound |= own
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


def _unbound_names(source: str) -> set[str]:
    """The names the function `_body` in `source`, or a lambda or comprehension inside it,
    loads without binding them: every name the syntax tree would find loaded and not bound
    in the body, and perhaps a few more (a name bound in one nested scope and loaded in
    another), for which the caller looks at the syntax tree."""
    (body,) = symtable.symtable(source, "<baseline>", "exec").get_children()
    found: set[str] = set()
    scopes = [body]
    while scopes:
        scope = scopes.pop()
        found.update(
            s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()
        )
        scopes.extend(scope.get_children())
    return found


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


# --- the order of a table's constraints -------------------------------------------------------


@contextmanager
def constraints_in_model_order(
    render: Any, tables: Iterable[Table], sqlite: bool = False
) -> Iterator[None]:
    """Within the block, each `op.create_table` of `tables` is rendered with its constraints
    in the order create_all writes them (the primary key, then the rest as the models made
    them). Alembic sorts them by their rendered text, and the order is kept by the server:
    SQLite stores the CREATE TABLE statement as written, and MariaDB numbers unnamed foreign
    keys by it.

    On SQLite (`sqlite`), a foreign key the models made after a CHECK of a column's type
    (`sa.Boolean(create_constraint=True)`) is rendered on its column (`sa.ForeignKey`): the
    type makes its CHECK when its column joins the table, after every constraint passed to
    `op.create_table`, so only a key made the same way comes after it, as in the models.

    `render` is alembic.autogenerate.render: its `_render_constraint` and `_render_column`
    (private; the caller uses this only with the Alembic releases its rendering was tested
    with) are wrapped so that each rendered constraint is a string that sorts by its place in
    the models, and the keys above go on their columns."""
    by_name = {(t.schema, t.name): t for t in tables}
    ranks: dict[tuple[str | None, str], dict[tuple[Any, ...], int]] = {}
    # Alembic renders a copy of each table (CreateTableOp.to_table): keys are told by where
    # they are, (schema, table, column).
    inline = (
        {
            (t.schema, t.name, key.elements[0].parent.name): key
            for t in by_name.values()
            for key in _keys_after_type_checks(t)
        }
        if sqlite
        else {}
    )
    on_columns: set[tuple[str | None, str, str]] = set()  # the keys rendered on their column
    original = render._render_constraint
    original_column = render._render_column

    def with_key(column: Any, autogen_context: Any) -> str:
        text: str = original_column(column, autogen_context)
        place = _place(column)
        key = inline.get(place) if place is not None else None
        if place is None or key is None or type(text) is not str:
            return text
        made = _with_key_on_column(text, key, render, autogen_context)
        if made is None:
            return text
        on_columns.add(place)
        return made

    def ranked(constraint: Any, autogen_context: Any, namespace_metadata: Any) -> str | None:
        if (
            on_columns
            and isinstance(constraint, ForeignKeyConstraint)
            and len(constraint.elements) == 1
            and _place(constraint.elements[0].parent) in on_columns
        ):
            return None  # rendered on its column
        text: str | None = original(constraint, autogen_context, namespace_metadata)
        try:
            key = (constraint.table.schema, constraint.table.name)
        except exc.InvalidRequestError:  # a constraint of no table
            return text
        model = by_name.get(key)
        if text is None or model is None:
            return text
        if key not in ranks:
            ranks[key] = _model_ranks(model)
        return _Ranked(text, ranks[key].get(_model_key(constraint), len(ranks[key])))

    render._render_constraint = ranked
    render._render_column = with_key
    try:
        yield
    finally:
        render._render_constraint = original
        render._render_column = original_column


def _place(column: Any) -> tuple[str | None, str, str] | None:
    table = getattr(column, "table", None)
    if not isinstance(table, Table):
        return None
    return (table.schema, table.name, column.name)


def _keys_after_type_checks(table: Table) -> list[ForeignKeyConstraint]:
    """The one-column foreign keys of `table` made after the first CHECK of a column's type:
    made by a `ForeignKey` on a column, when the column joined the table."""
    checks = [
        c._creation_order
        for c in table.constraints
        if isinstance(c, CheckConstraint) and getattr(c, "_type_bound", False)
    ]
    if not checks:
        return []
    first = min(checks)
    return [
        key
        for key in table.foreign_key_constraints
        if len(key.elements) == 1 and getattr(key, "_creation_order", -1) > first
    ]


def _with_key_on_column(
    text: str, key: ForeignKeyConstraint, render: Any, autogen_context: Any
) -> str | None:
    """The rendered column `text` with `key` as an `sa.ForeignKey` after its positional
    arguments; None where the text is not the call Alembic renders."""
    try:
        call = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(call, ast.Call) or not call.args or not text.endswith(")"):
        return None
    end = call.args[-1].end_col_offset
    if end is None or "\n" in text[:end]:
        return None
    prefix = text[: text.index("Column(")] if "Column(" in text else "sa."
    (element,) = key.elements
    args = [repr(element.target_fullname)]
    if key.name is not None:
        args.append(f"name={render._render_gen_name(autogen_context, key.name)}")
    for option in ("onupdate", "ondelete", "deferrable", "initially", "match"):
        value = getattr(key, option)
        if value is not None:
            args.append(f"{option}={value!r}")
    return f"{text[:end]}, {prefix}ForeignKey({', '.join(args)}){text[end:]}"


class _Ranked(str):
    """A rendered constraint that sorts by its place in the models' table, then by its
    text (Alembic's order, for those the models' table does not place)."""

    rank: tuple[int, str]

    def __new__(cls, text: str, position: int) -> _Ranked:
        made = super().__new__(cls, text)
        made.rank = (position, text)
        return made

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _Ranked):
            return self.rank < other.rank
        return str.__lt__(self, other) if isinstance(other, str) else NotImplemented


def _model_key(constraint: Any) -> tuple[Any, ...]:
    if isinstance(constraint, PrimaryKeyConstraint):
        return ("PrimaryKeyConstraint",)
    if isinstance(constraint, ForeignKeyConstraint):
        return (
            "ForeignKeyConstraint",
            tuple(c.name for c in constraint.columns),
            tuple(e.target_fullname for e in constraint.elements),
        )
    if isinstance(constraint, CheckConstraint):
        if isinstance(constraint.name, str):
            return ("CheckConstraint", "name", constraint.name)
        return ("CheckConstraint", "text", (str(constraint.sqltext),))
    columns = getattr(constraint, "columns", ())
    return (type(constraint).__name__, tuple(getattr(c, "name", c) for c in columns))


def _model_ranks(table: Table) -> dict[tuple[Any, ...], int]:
    ranks: dict[tuple[Any, ...], int] = {("PrimaryKeyConstraint",): -1}
    for position, constraint in enumerate(in_creation_order(table.constraints)):
        ranks.setdefault(_model_key(constraint), position)
    return ranks
