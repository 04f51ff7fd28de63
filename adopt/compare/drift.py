"""The match check: the live database compared with the models, read-only.

Alembic's autogenerate comparison does most of the work; this module corrects its findings
where they are wrong (SQLite rowid nullability, identity vs serial, inline uniques...), adds the
comparisons Alembic does not make (adopt.compare.drift_extra), and turns the raw findings into
differences a person can act on, each with a likely fix, setting aside the ones that are not
real, each with its reason. The wording lives in adopt.compare.drift_text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Identity
from sqlalchemy import Index
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.util import md5_hex

from adopt.compare import alembic_comparison
from adopt.compare.differences import Difference
from adopt.compare.differences import SetAside
from adopt.compare.drift_extra import COLUMN_FINDINGS
from adopt.compare.drift_extra import enum_difference
from adopt.compare.drift_extra import enum_labels
from adopt.compare.drift_extra import identity_words
from adopt.compare.drift_extra import live_generation
from adopt.compare.drift_extra import model_generation
from adopt.compare.drift_extra import own_findings
from adopt.compare.drift_text import Classified
from adopt.compare.drift_text import admits
from adopt.compare.drift_text import col_args
from adopt.compare.drift_text import cols_of
from adopt.compare.drift_text import cols_tuple
from adopt.compare.drift_text import default_sql
from adopt.compare.drift_text import default_words
from adopt.compare.drift_text import fk_sig
from adopt.compare.drift_text import fk_target
from adopt.compare.drift_text import fk_text
from adopt.compare.drift_text import index_sig
from adopt.compare.drift_text import is_boolean
from adopt.compare.drift_text import is_identity
from adopt.compare.drift_text import name_arg
from adopt.compare.drift_text import named_label
from adopt.compare.drift_text import null_words
from adopt.compare.drift_text import same_sql
from adopt.compare.drift_text import spelling_of
from adopt.compare.drift_text import suggest_default
from adopt.compare.drift_text import type_fix
from adopt.compare.drift_text import type_note
from adopt.compare.drift_text import type_words
from adopt.reading import schema
from adopt.reading.schema import VERSION_TABLE

# Options of the project's env.py / Migrate(...) that change what the comparison looks at.
COMPARE_OPTIONS = (
    "include_object",
    "include_name",
    "include_schemas",
    "compare_type",
    "compare_server_default",
)


# The op name of findings made here rather than by Alembic: ("adopt", Difference | SetAside).
OWN = "adopt"


def comparison_options(
    project_options: dict[str, Any] | None = None, metadata: MetaData | None = None
) -> dict[str, Any]:
    opts: dict[str, Any] = {"compare_type": True, "compare_server_default": True}
    for key in COMPARE_OPTIONS:
        if project_options and key in project_options:
            opts[key] = project_options[key]
    schemas = {t.schema for t in metadata.tables.values() if t.schema} if metadata else set()
    if schemas and "include_schemas" not in opts:
        # Models in other PostgreSQL schemas: compare those and the default one, no others.
        opts["include_schemas"] = True
        opts["include_name"] = _only_schemas(schemas, opts.get("include_name"))
    return opts


def _only_schemas(schemas: set[str], user_hook: Any) -> Any:
    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name is None or name in schemas
        return bool(user_hook(name, type_, parent_names)) if user_hook else True

    return include_name


def raw_differences(conn: Connection, metadata: MetaData, options: dict[str, Any]) -> list[Any]:
    """Alembic's own comparison (without touching alembic_version: no run_migrations), corrected
    where it is wrong, plus the comparisons it does not make."""
    alembic = alembic_differences(conn, metadata, options)
    return corrected(alembic, live_tables(conn, metadata, options), conn.dialect, options)


def alembic_differences(conn: Connection, metadata: MetaData, options: dict[str, Any]) -> list[Any]:
    """Alembic's comparison of the database with the models, as autogenerate makes it."""
    return _flatten(alembic_comparison.differences(conn, metadata, options))


def corrected(
    alembic: list[Any],
    tables: list[schema.LiveTable],
    dialect: Dialect,
    options: dict[str, Any],
) -> list[Any]:
    """Alembic's findings corrected with what `live_tables` read of the same database, plus
    adopt's own comparisons."""
    by_key = {(t.model.schema, t.model.name): t for t in tables}
    fixed = [_correct(item, by_key, dialect) for item in alembic]
    if dialect.name in ("postgresql", "sqlite"):  # MySQL creates every one it is given
        fixed = _redundant_uniques(fixed, by_key)
    # Each table's own findings look at Alembic's column findings of that table alone: handed
    # them by table, not the whole list per table (on MariaDB Alembic reports a default's
    # spelling on most tables, thousands of findings at 1,000 tables).
    columns: dict[tuple[str | None, str], list[Any]] = {}
    for item in alembic:
        if item[0] in COLUMN_FINDINGS:
            columns.setdefault((item[1], item[2]), []).append(item)
    own = [
        (OWN, f)
        for t in tables
        for f in own_findings(t, columns.get((t.model.schema, t.model.name), []), dialect, options)
    ]
    return [item for item in fixed if item is not None] + own


def classify(raw: Iterable[Any], dialect: Dialect) -> list[Classified]:
    out: list[Classified] = []
    flat = _pair_changes(_flatten(raw), out)
    for item in flat:
        handler = _HANDLERS.get(item[0])
        result = handler(item, dialect) if handler else _unknown(item)
        if result is not None:
            out.append(result)
    return out


def _flatten(raw: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in raw:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def _unknown(item: Any) -> Difference:
    return Difference(str(item[0]), "?", "", repr(item)[:200], "inspect this difference by hand")


def _own(item: Any, _d: Dialect) -> Classified:
    found: Difference | SetAside = item[1]
    return found


def _table_name(table: Table | None) -> str:
    return table.fullname if table is not None else "?"


# --- tables and columns ------------------------------------------------------------------------


def _add_table(item: Any, _d: Dialect) -> Classified:
    table = item[1]
    return Difference(
        "missing_table",
        _table_name(table),
        "",
        "defined in the models, absent from the database; a baseline would create it on new "
        "databases while this one lacks it",
        "create the table in the database first, or remove (or stop importing) the model if it "
        "is obsolete",
    )


def _remove_table(item: Any, _d: Dialect) -> Classified | None:
    name = _table_name(item[1])
    return None if item[1].name == VERSION_TABLE else name


def _column_on_one_side(item: Any, dialect: Dialect) -> Classified:
    kind, _schema, table, column = item
    words = f"{column.name} {type_words(column.type, dialect)}"
    if kind == "add_column":
        found = ("missing_column", f"{words} is in the models, absent from the database")
        fix = "add the column to the database first, or remove it from the model"
    else:
        found = (
            "extra_column",
            f"{words} is in the database, absent from the models; a baseline would leave it out",
        )
        fix = (
            f"add {column.name} to the model as sa.Column({spelling_of(column.type, dialect)}) "
            "so the baseline keeps it"
        )
    return Difference(found[0], table, column.name, found[1], fix)


def _modify_type(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    labels = enum_labels(live)
    if labels is not None and enum_labels(model) not in (None, labels):
        return enum_difference(table, column, labels, model)
    live_text, model_text = type_words(live, dialect), type_words(model, dialect)
    note = type_note(live, model, dialect)
    return Difference(
        "type",
        table,
        column,
        f"database {live_text}, models {model_text}" + (f": {note}" if note else ""),
        type_fix(live, dialect),
    )


def _modify_nullable(item: Any, _d: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    return Difference(
        "nullable",
        table,
        column,
        f"database {null_words(live)}, models {null_words(model)}",
        f"set nullable={live} on the model column"
        + ("" if live else " (the database already refuses NULL there)"),
    )


def _modify_default(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, kw, live, model = item
    if isinstance(live, Identity) or isinstance(model, Identity) or is_identity(live):
        return _identity_difference(table, column, live, model)
    boolean = is_boolean(kw.get("existing_type"))
    live_text, model_text = default_sql(live, dialect), default_sql(model, dialect)
    if (
        live_text is not None
        and model_text is not None
        and same_sql(live_text, model_text, boolean)
    ):
        return SetAside(
            table,
            column,
            f"the same server default, spelled {live_text!r} by the database and "
            f"{model_text!r} by the models",
        )
    return Difference(
        "server_default",
        table,
        column,
        f"database {default_words(live_text)}, models {default_words(model_text)}",
        f"set server_default={suggest_default(live_text)} on the model column"
        + ("" if live_text else " (or add the default to the database first)"),
    )


def _identity_difference(table: str, column: str, live: Any, model: Any) -> Classified:
    # Reached only where _correct() could not look at the live column (it normally decides).
    if isinstance(live, Identity) and model is None and not live.always:
        return SetAside(table, column, _BY_DEFAULT_REASON)
    return Difference(
        "autoincrement",
        table,
        column,
        f"database {identity_words(live)}, models {identity_words(model)}",
        "declare the same sa.Identity(...) on the model column as the database has",
    )


def _modify_comment(item: Any, _d: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    if model is None:
        return SetAside(
            table, column, f"comment {live!r} is in the database only; the models declare none"
        )
    return _comment_difference(table, column, live, model, "model column")


def _table_comment(item: Any, _d: Dialect) -> Classified:
    table, live = item[1], item[2] if len(item) > 2 else None
    if item[0] == "remove_table_comment" or table.comment is None:
        return SetAside(
            _table_name(table), "", "table comment is in the database only; the models declare none"
        )
    return _comment_difference(_table_name(table), "", live, table.comment, "model's Table")


def _comment_difference(table: str, obj: str, live: Any, model: Any, where: str) -> Difference:
    words = f"database comment {live!r}" if live else "no comment in the database"
    fix = f"set comment={live!r} on the {where}" if live else f"drop comment= from the {where}"
    return Difference("comment", table, obj, f"{words}, models {model!r}", fix)


# --- indexes and constraints -------------------------------------------------------------------


def _index(item: Any, dialect: Dialect) -> Classified:
    op, index = item
    table = _table_name(index.table)
    what = index_sig(index)
    label = named_label(index.name, what)
    # MySQL has no unique constraint apart from its unique index.
    kind = "unique" if index.unique and dialect.name == "mysql" else "index"
    if op == "add_index":
        fix = "create the index in the database first, or remove it (index=True) from the model"
        return _on_one_side(kind, table, label, what, in_models=True, fix=fix)
    fix = f"declare {_code(index)} in the model so the baseline keeps it"
    return _on_one_side(kind, table, label, what, in_models=False, fix=fix)


def _on_one_side(
    kind: str, table: str, label: str, what: str, *, in_models: bool, fix: str
) -> Difference:
    """Something the models have and the database lacks, or the other way round."""
    where = (
        "is in the models, not in the database"
        if in_models
        else "is in the database, not in the models; a baseline would leave it out"
    )
    return Difference(kind, table, label, f"{what} {where}", fix)


def _constraint(item: Any, _d: Dialect) -> Classified:
    op, constraint = item
    table = _table_name(constraint.table)
    kind = "unique" if isinstance(constraint, UniqueConstraint) else "constraint"
    what = f"{kind} {cols_of(constraint)}"
    label = named_label(constraint.name, what)
    if op == "add_constraint":
        fix = "create it in the database first, or remove it from the model"
        return _on_one_side(kind, table, label, what, in_models=True, fix=fix)
    code = _code(constraint) if kind == "unique" else "it"
    fix = f"declare {code} in the model so the baseline keeps it"
    return _on_one_side(kind, table, label, what, in_models=False, fix=fix)


def _fk(item: Any, _d: Dialect) -> Classified:
    op, fk = item
    table = _table_name(fk.table)
    label = named_label(fk.name, fk_sig(fk))
    in_models = op == "add_fk"
    fix = (
        "create the foreign key in the database first, or remove it from the model"
        if in_models
        else "declare the foreign key in the model, with its ON DELETE/ON UPDATE actions"
    )
    return _on_one_side("foreign_key", table, label, fk_text(fk), in_models=in_models, fix=fix)


# --- pairing: a drop and an add that are one change ----------------------------------------------


def _pair_changes(flat: list[Any], out: list[Classified]) -> list[Any]:
    """Alembic reports a changed index, unique or foreign key as a drop plus an add. Report one
    difference instead: a rename (same definition, other name), or a change (same name, or the
    same columns, with another definition)."""
    flat = _pair(flat, out, _signature, _renamed)
    flat = _pair(flat, out, _by_name, _changed)
    return _pair(flat, out, _by_columns, _changed)


def _pair(
    flat: list[Any],
    out: list[Classified],
    key: Callable[[Any], tuple[Any, ...] | None],
    report: Callable[[Any, Any], Classified],
) -> list[Any]:
    removed: dict[Any, Any] = {}
    added: dict[Any, Any] = {}
    for item in flat:
        sig = key(item) if item[0] in _DROPS + _ADDS else None
        if sig is not None:
            (removed if item[0] in _DROPS else added).setdefault(sig, item)
    paired: set[int] = set()
    for sig, rem in removed.items():
        add = added.get(sig)
        if add is not None:
            paired.update({id(rem), id(add)})
            out.append(report(rem[1], add[1]))
    return [i for i in flat if id(i) not in paired]


_DROPS = ("remove_index", "remove_constraint", "remove_fk")
_ADDS = ("add_index", "add_constraint", "add_fk")


def _signature(item: Any) -> tuple[Any, ...] | None:
    obj = item[1]
    if isinstance(obj, Index):
        return ("index", _table_name(obj.table), cols_of(obj), bool(obj.unique))
    if isinstance(obj, UniqueConstraint):
        return ("unique", _table_name(obj.table), cols_of(obj))
    if isinstance(obj, ForeignKeyConstraint):
        return ("foreign_key", _table_name(obj.table), fk_text(obj))
    return None


def _by_name(item: Any) -> tuple[Any, ...] | None:
    obj = item[1]
    if obj.name is None or not isinstance(obj, Index | UniqueConstraint | ForeignKeyConstraint):
        return None
    # MySQL names a foreign key's index after it: never pair those two.
    category = "fk" if isinstance(obj, ForeignKeyConstraint) else "key"
    return (category, _table_name(obj.table), str(obj.name))


def _by_columns(item: Any) -> tuple[Any, ...] | None:
    # An index and a unique constraint on the same columns, or two foreign keys from them.
    obj = item[1]
    if isinstance(obj, ForeignKeyConstraint):
        return ("fk", _table_name(obj.table), tuple(obj.column_keys))
    if isinstance(obj, UniqueConstraint) or (isinstance(obj, Index) and obj.unique):
        return ("unique", _table_name(obj.table), cols_of(obj))
    return None


def _renamed(old: Any, new: Any) -> Classified:
    table = _table_name(old.table)
    kind = _kind(old)
    what = fk_sig(old) if kind == "foreign_key" else cols_of(old)
    if old.name is None or new.name is None:
        return SetAside(
            table,
            named_label(old.name or new.name, what),
            f"the same {kind.replace('_', ' ')} on both sides; only one side names it "
            f"({old.name or new.name!r}), so nothing a migration refers to differs",
        )
    if _cut_by_server(str(new.name), str(old.name)):
        return SetAside(
            table,
            named_label(str(new.name), what),
            f"the server cut the name to {PG_NAME_BYTES} bytes ({old.name!r}); it cuts names "
            "in every statement the same way, so migrations reach this one by either name",
        )
    return Difference(
        kind + "_name",
        table,
        named_label(str(new.name), what),
        f"the same {kind.replace('_', ' ')}, named {old.name!r} in the database and "
        f"{new.name!r} in the models; a later migration dropping {new.name!r} would fail here",
        f"name it {old.name!r} in the model (or rename it in the database first)",
    )


PG_NAME_BYTES = 63  # PostgreSQL truncates longer identifiers (NAMEDATALEN - 1)


def _cut_by_server(model_name: str, database_name: str) -> bool:
    """The name as it reaches the database when it is too long: SQLAlchemy shortens a
    generated (naming convention) name of more than 63 characters to 55 plus "_" and four hex
    digits of its MD5, and PostgreSQL keeps the first 63 bytes (at a character boundary)."""
    spellings = {model_name}
    if len(model_name) > PG_NAME_BYTES:
        spellings.add(model_name[: PG_NAME_BYTES - 8] + "_" + md5_hex(model_name)[-4:])
    return any(
        spelling.encode("utf-8")[:PG_NAME_BYTES].decode("utf-8", "ignore") == database_name
        for spelling in spellings
    )


def _changed(old: Any, new: Any) -> Classified:
    table = _table_name(old.table)
    kind = "foreign_key" if isinstance(old, ForeignKeyConstraint) else _kind(new)
    if kind == "foreign_key":
        return _fk_changed(table, old, new)
    if isinstance(old, Index) != isinstance(new, Index):
        kind = "unique"  # one side a unique index, the other a unique constraint
    return Difference(
        kind,
        table,
        named_label(old.name or new.name, cols_of(old)),
        f"database {_what(old)}, models {_what(new)}",
        f"declare it in the model as the database has it: {_code(old)}",
    )


def _fk_changed(table: str, old: ForeignKeyConstraint, new: ForeignKeyConstraint) -> Difference:
    if fk_target(old) == fk_target(new):
        why = "the same reference with other ON DELETE/ON UPDATE actions, which change what "
        why += "deleting or updating a parent row does"
        fix = _actions_fix(old, new)
    else:
        why = "the columns point at another table or column"
        fix = f"point the model's ForeignKey at {fk_target(old)} as the database does"
    return Difference(
        "foreign_key",
        table,
        named_label(old.name, fk_sig(old)),
        f"database {fk_text(old)}, models {fk_text(new)}: {why}",
        fix,
    )


def _actions_fix(old: ForeignKeyConstraint, new: ForeignKeyConstraint) -> str:
    steps = []
    for action in ("ondelete", "onupdate"):
        live, model = getattr(old, action), getattr(new, action)
        if (live or "").upper() != (model or "").upper():
            steps.append(f"set {action}={live.upper()!r}" if live else f"drop {action}={model!r}")
    return "on the model's ForeignKey, " + " and ".join(steps)


def _kind(obj: Any) -> str:
    if isinstance(obj, Index):
        return "index"
    if isinstance(obj, UniqueConstraint):
        return "unique"
    return "foreign_key"


def _code(obj: Any) -> str:
    if isinstance(obj, Index):
        unique = ", unique=True" if obj.unique else ""
        return f"sa.Index({obj.name!r}, {col_args(obj)}{unique})"
    return f"sa.UniqueConstraint({col_args(obj)}{name_arg(obj.name)})"


def _what(obj: Any) -> str:
    name = f" {obj.name!r}" if obj.name else ""
    if isinstance(obj, Index):
        return f"{index_sig(obj)}{name}"
    return f"unique constraint{name} on {cols_of(obj)}"


_HANDLERS: dict[str, Callable[[Any, Dialect], Classified | None]] = {
    OWN: _own,
    "add_table": _add_table,
    "remove_table": _remove_table,
    "add_column": _column_on_one_side,
    "remove_column": _column_on_one_side,
    "modify_type": _modify_type,
    "modify_nullable": _modify_nullable,
    "modify_default": _modify_default,
    "modify_comment": _modify_comment,
    "add_table_comment": _table_comment,
    "remove_table_comment": _table_comment,
    "add_index": _index,
    "remove_index": _index,
    "add_constraint": _constraint,
    "remove_constraint": _constraint,
    "add_fk": _fk,
    "remove_fk": _fk,
}


# --- the live tables, for the comparisons Alembic does not make ----------------------------------


def live_tables(
    conn: Connection, metadata: MetaData, options: dict[str, Any]
) -> list[schema.LiveTable]:
    """The model tables that exist in the database (and that the project's filters admit)."""
    insp = schema.inspector(conn)
    wanted: dict[str | None, list[Table]] = {}
    for table in metadata.tables.values():
        # Like Alembic: other schemas only with include_schemas.
        if (table.schema is None or options.get("include_schemas")) and admits(options, table):
            wanted.setdefault(table.schema, []).append(table)
    found: list[schema.LiveTable] = []
    for schema_name, tables in wanted.items():
        existing = set(insp.get_table_names(schema=schema_name))
        found += schema.reflect(conn, [t for t in tables if t.name in existing], schema_name)
    return found


def filtered_out(options: dict[str, Any], live_tables: Iterable[str]) -> list[str]:
    """Live tables the project's include_name / include_object filters leave out (as reflected
    tables, the way autogenerate meets them)."""
    include_name = options.get("include_name")
    include_object = options.get("include_object")
    out = []
    for name in live_tables:
        by_name = include_name is None or include_name(name, "table", {"schema_name": None})
        by_object = include_object is None or include_object(
            Table(name, MetaData()), name, "table", True, None
        )
        if not (by_name and by_object):
            out.append(name)
    return sorted(out)


# --- corrections to Alembic's findings -----------------------------------------------------------


def _redundant_uniques(
    items: list[Any], tables: dict[tuple[str | None, str], schema.LiveTable]
) -> list[Any]:
    """A model unique constraint that repeats the primary key, or another unique constraint on
    the same columns that the database has, is one PostgreSQL and SQLite never create: CREATE
    TABLE keeps one of them. Such a one is not missing. A unique index on the same columns does
    not count: CREATE INDEX is a statement of its own, and the server makes both."""
    missing: Counter[tuple[str | None, str, tuple[str, ...]]] = Counter()
    for item in items:
        if _is_unique_added(item):
            missing[(item[1].table.schema, item[1].table.name, cols_tuple(item[1]))] += 1
    out = []
    for item in items:
        live = (
            tables.get((item[1].table.schema, item[1].table.name))
            if _is_unique_added(item)
            else None
        )
        if live is None:
            out.append(item)
            continue
        cols = cols_tuple(item[1])
        model = live.model
        if list(cols) == [c.name for c in model.primary_key.columns] == list(live.primary_key):
            repeated = "the primary key"
        else:
            same = [
                c
                for c in model.constraints
                if isinstance(c, UniqueConstraint) and cols_tuple(c) == cols
            ]
            key = (model.schema, model.name, cols)
            repeated = "another unique on these columns" if len(same) > missing[key] else ""
        if not repeated:
            out.append(item)
            continue
        out.append(
            (
                OWN,
                SetAside(
                    _table_name(model),
                    named_label(item[1].name, f"unique {cols_of(item[1])}"),
                    f"repeats {repeated}, which the database has; PostgreSQL and SQLite create "
                    "no second one, so nothing is missing",
                ),
            )
        )
    return out


def _is_unique_added(item: Any) -> bool:
    return (
        item is not None
        and item[0] == "add_constraint"
        and isinstance(item[1], UniqueConstraint)
        and item[1].table is not None
    )


def _correct(
    item: Any, tables: dict[tuple[str | None, str], schema.LiveTable], dialect: Dialect
) -> Any:
    """An Alembic finding, replaced where the live database shows it is not what it seems;
    None when the comparison made here reports it better."""
    op = item[0]
    if op == "add_constraint" and isinstance(item[1], UniqueConstraint):
        live = tables.get((item[1].table.schema, item[1].table.name))
        if live is not None and cols_tuple(item[1]) in live.inline_uniques:
            return (
                OWN,
                SetAside(
                    _table_name(item[1].table),
                    f"unique {cols_of(item[1])}",
                    "SQLite keeps a UNIQUE written on the column without a name and SQLAlchemy "
                    "does not reflect it; the database has this unique",
                ),
            )
    if op == "modify_nullable" and dialect.name == "sqlite":
        live = tables.get((item[1], item[2]))
        if live is not None and _is_rowid(live, item[3]) and item[5] and not item[6]:
            return (
                OWN,
                SetAside(
                    live.model.fullname,
                    item[3],
                    "SQLite reports an INTEGER PRIMARY KEY as nullable, yet it never holds NULL",
                ),
            )
    if op == "modify_default" and dialect.name != "sqlite":
        live = tables.get((item[1], item[2]))
        if live is not None and item[3] in live.bit_defaults:
            return None  # compared in _bit_default(), with the default SQLAlchemy misses
        involves_identity = isinstance(item[5], Identity) or isinstance(item[6], Identity)
        both_identity = isinstance(item[5], Identity) and isinstance(item[6], Identity)
        if live is not None and involves_identity and not both_identity:
            column = live.model.columns.get(item[3])
            if column is not None and item[3] in live.columns:
                return _generation_set_aside(live, column, dialect)
    return item


def _is_rowid(live: schema.LiveTable, column: str) -> bool:
    # SQLite's rowid alias: the one INTEGER column of the primary key.
    reflected = live.columns.get(column)
    is_integer = reflected is not None and str(reflected["type"]).upper() == "INTEGER"
    return live.primary_key == [column] and is_integer


def _generation_set_aside(live: schema.LiveTable, column: Column[Any], dialect: Dialect) -> Any:
    # Alembic compares identity as a server default; whether the database numbers new rows,
    # and how, is what matters. A real difference is reported by _generation().
    if live_generation(live.columns[column.name], dialect) != model_generation(column, dialect):
        return None
    return (OWN, SetAside(live.model.fullname, column.name, _BY_DEFAULT_REASON))


_BY_DEFAULT_REASON = (
    "the database numbers new rows by itself either way: an identity column GENERATED BY "
    "DEFAULT and a serial/autoincrement column behave the same"
)
