"""The match check: the live database compared with the models, read-only.

Alembic's autogenerate comparison does most of the work. What it leaves out is compared here
too: primary keys, CHECK constraints, PostgreSQL enum labels, type arguments given on one side
only (varchar vs String(50), numeric vs Numeric(10, 2)), MySQL UNSIGNED, auto-increment, unnamed
SQLite uniques. The raw findings are then turned into differences a person can act on, each
with a likely fix, and the ones that are not real are set aside, each with its reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Identity
from sqlalchemy import Index
from sqlalchemy import MetaData
from sqlalchemy import Sequence
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ClauseElement

from adopt import schema
from adopt.differences import Difference
from adopt.differences import SetAside
from adopt.schema import VERSION_TABLE

# Options of the project's env.py / Migrate(...) that change what the comparison looks at.
COMPARE_OPTIONS = (
    "include_object",
    "include_name",
    "include_schemas",
    "compare_type",
    "compare_server_default",
)

Classified = Difference | SetAside | str  # str: an unmanaged table name

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
    context = MigrationContext.configure(conn, opts=dict(options, target_metadata=metadata))
    alembic = _flatten(compare_metadata(context, metadata))
    tables = _live_tables(conn, metadata, options)
    by_key = {(t.model.schema, t.model.name): t for t in tables}
    corrected = [_correct(item, by_key, conn.dialect) for item in alembic]
    own = [(OWN, f) for t in tables for f in _own_findings(t, alembic, conn.dialect, options)]
    return [item for item in corrected if item is not None] + own


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


def _add_column(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column = item
    return Difference(
        "missing_column",
        table,
        column.name,
        f"{column.name} {_type(column.type, dialect)} is in the models, absent from the database",
        "add the column to the database first, or remove it from the model",
    )


def _remove_column(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column = item
    return Difference(
        "extra_column",
        table,
        column.name,
        f"{column.name} {_type(column.type, dialect)} is in the database, absent from the models; "
        "a baseline would leave it out",
        f"add {column.name} to the model as sa.Column({_spelling(column.type, dialect)}) so the "
        "baseline keeps it",
    )


def _modify_type(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    labels = _enum_labels(live)
    if labels is not None and _enum_labels(model) not in (None, labels):
        return _enum_difference(table, column, labels, model)
    live_text, model_text = _type(live, dialect), _type(model, dialect)
    note = _type_note(live, model, dialect)
    return Difference(
        "type",
        table,
        column,
        f"database {live_text}, models {model_text}" + (f": {note}" if note else ""),
        _type_fix(live, dialect),
    )


def _modify_nullable(item: Any, _d: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    return Difference(
        "nullable",
        table,
        column,
        f"database {_null(live)}, models {_null(model)}",
        f"set nullable={live} on the model column"
        + ("" if live else " (the database already refuses NULL there)"),
    )


def _modify_default(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, kw, live, model = item
    if isinstance(live, Identity) or isinstance(model, Identity) or _is_identity(live):
        return _identity_difference(table, column, live, model)
    boolean = _is_boolean(kw.get("existing_type"))
    live_text, model_text = _default_sql(live, dialect), _default_sql(model, dialect)
    if live_text is not None and model_text is not None and _same(live_text, model_text, boolean):
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
        f"database {_default_words(live_text)}, models {_default_words(model_text)}",
        f"set server_default={_suggest_default(live_text)} on the model column"
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
        f"database {_identity_words(live)}, models {_identity_words(model)}",
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
    what = _index_sig(index)
    label = _label(index.name, what)
    # MySQL has no unique constraint apart from its unique index.
    kind = "unique" if index.unique and dialect.name == "mysql" else "index"
    if op == "add_index":
        return Difference(
            kind,
            table,
            label,
            f"{what} is in the models, not in the database",
            "create the index in the database first, or remove it (index=True) from the model",
        )
    return Difference(
        kind,
        table,
        label,
        f"{what} is in the database, not in the models; a baseline would leave it out",
        f"declare {_code(index)} in the model so the baseline keeps it",
    )


def _constraint(item: Any, _d: Dialect) -> Classified:
    op, constraint = item
    table = _table_name(constraint.table)
    kind = "unique" if isinstance(constraint, UniqueConstraint) else "constraint"
    what = f"{kind} {_cols(constraint)}"
    label = _label(constraint.name, what)
    if op == "add_constraint":
        return Difference(
            kind,
            table,
            label,
            f"{what} is in the models, not in the database",
            "create it in the database first, or remove it from the model",
        )
    code = _code(constraint) if kind == "unique" else "it"
    return Difference(
        kind,
        table,
        label,
        f"{what} is in the database, not in the models; a baseline would leave it out",
        f"declare {code} in the model so the baseline keeps it",
    )


def _fk(item: Any, _d: Dialect) -> Classified:
    op, fk = item
    table = _table_name(fk.table)
    label = _label(fk.name, _fk_sig(fk))
    if op == "add_fk":
        return Difference(
            "foreign_key",
            table,
            label,
            f"{_fk_text(fk)} is in the models, not in the database",
            "create the foreign key in the database first, or remove it from the model",
        )
    return Difference(
        "foreign_key",
        table,
        label,
        f"{_fk_text(fk)} is in the database, not in the models; a baseline would leave it out",
        "declare the foreign key in the model, with its ON DELETE/ON UPDATE actions",
    )


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
        return ("index", _table_name(obj.table), _cols(obj), bool(obj.unique))
    if isinstance(obj, UniqueConstraint):
        return ("unique", _table_name(obj.table), _cols(obj))
    if isinstance(obj, ForeignKeyConstraint):
        return ("foreign_key", _table_name(obj.table), _fk_text(obj))
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
        return ("unique", _table_name(obj.table), _cols(obj))
    return None


def _renamed(old: Any, new: Any) -> Classified:
    table = _table_name(old.table)
    kind = _kind(old)
    what = _fk_sig(old) if kind == "foreign_key" else _cols(old)
    if old.name is None or new.name is None:
        return SetAside(
            table,
            _label(old.name or new.name, what),
            f"the same {kind.replace('_', ' ')} on both sides; only one side names it "
            f"({old.name or new.name!r}), so nothing a migration refers to differs",
        )
    return Difference(
        kind + "_name",
        table,
        _label(str(new.name), what),
        f"the same {kind.replace('_', ' ')}, named {old.name!r} in the database and "
        f"{new.name!r} in the models; a later migration dropping {new.name!r} would fail here",
        f"name it {old.name!r} in the model (or rename it in the database first)",
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
        _label(old.name or new.name, _cols(old)),
        f"database {_what(old)}, models {_what(new)}",
        f"declare it in the model as the database has it: {_code(old)}",
    )


def _fk_changed(table: str, old: ForeignKeyConstraint, new: ForeignKeyConstraint) -> Difference:
    if _fk_target(old) == _fk_target(new):
        why = "the same reference with other ON DELETE/ON UPDATE actions, which change what "
        why += "deleting or updating a parent row does"
        fix = _actions_fix(old, new)
    else:
        why = "the columns point at another table or column"
        fix = f"point the model's ForeignKey at {_fk_target(old)} as the database does"
    return Difference(
        "foreign_key",
        table,
        _label(old.name, _fk_sig(old)),
        f"database {_fk_text(old)}, models {_fk_text(new)}: {why}",
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
        return f"sa.Index({obj.name!r}, {_col_args(obj)}{unique})"
    return f"sa.UniqueConstraint({_col_args(obj)}{_name_arg(obj.name)})"


def _what(obj: Any) -> str:
    name = f" {obj.name!r}" if obj.name else ""
    if isinstance(obj, Index):
        return f"{_index_sig(obj)}{name}"
    return f"unique constraint{name} on {_cols(obj)}"


_HANDLERS: dict[str, Callable[[Any, Dialect], Classified | None]] = {
    OWN: _own,
    "add_table": _add_table,
    "remove_table": _remove_table,
    "add_column": _add_column,
    "remove_column": _remove_column,
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


def _live_tables(
    conn: Connection, metadata: MetaData, options: dict[str, Any]
) -> list[schema.LiveTable]:
    """The model tables that exist in the database (and that the project's filters admit)."""
    insp = inspect(conn)
    wanted: dict[str | None, list[Table]] = {}
    for table in metadata.tables.values():
        # Like Alembic: other schemas only with include_schemas.
        if (table.schema is None or options.get("include_schemas")) and _admits(options, table):
            wanted.setdefault(table.schema, []).append(table)
    found: list[schema.LiveTable] = []
    for schema_name, tables in wanted.items():
        existing = set(insp.get_table_names(schema=schema_name))
        found += schema.reflect(conn, [t for t in tables if t.name in existing], schema_name)
    return found


def _admits(options: dict[str, Any], obj: Any, compare_to: Any = None) -> bool:
    """The project's include_name / include_object filters, as Alembic calls them."""
    include_name = options.get("include_name")
    include_object = options.get("include_object")
    if isinstance(obj, Table):
        if include_name and not include_name(obj.name, "table", {"schema_name": obj.schema}):
            return False
        return not include_object or bool(include_object(obj, obj.name, "table", False, None))
    table = obj.table
    parents = {
        "table_name": table.name,
        "schema_name": table.schema,
        "schema_qualified_table_name": table.fullname,
    }
    if include_name and not include_name(obj.name, "column", parents):
        return False
    return not include_object or bool(include_object(obj, obj.name, "column", False, compare_to))


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


def _correct(
    item: Any, tables: dict[tuple[str | None, str], schema.LiveTable], dialect: Dialect
) -> Any:
    """An Alembic finding, replaced where the live database shows it is not what it seems;
    None when the comparison made here reports it better."""
    op = item[0]
    if op == "add_constraint" and isinstance(item[1], UniqueConstraint):
        live = tables.get((item[1].table.schema, item[1].table.name))
        if live is not None and _cols_tuple(item[1]) in live.inline_uniques:
            return (
                OWN,
                SetAside(
                    _table_name(item[1].table),
                    f"unique {_cols(item[1])}",
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
    if _live_generation(live.columns[column.name], dialect) != _model_generation(column, dialect):
        return None
    return (OWN, SetAside(live.model.fullname, column.name, _BY_DEFAULT_REASON))


_BY_DEFAULT_REASON = (
    "the database numbers new rows by itself either way: an identity column GENERATED BY "
    "DEFAULT and a serial/autoincrement column behave the same"
)


# --- the comparisons Alembic does not make -------------------------------------------------------


def _own_findings(
    live: schema.LiveTable, alembic: list[Any], dialect: Dialect, options: dict[str, Any]
) -> list[Difference | SetAside]:
    table = live.model
    typed = {i[1:4] for i in alembic if i[0] == "modify_type"}  # (schema, table, column)
    identity = {i[1:4] for i in alembic if i[0] == "modify_default" and _both_identity(i)}
    compare_types = options.get("compare_type", True) is not False
    found: list[Difference | SetAside] = []
    for column in table.columns:
        reflected = live.columns.get(column.name)
        if reflected is None or not _admits(options, column):
            continue
        key = (table.schema, table.name, column.name)
        if compare_types and key not in typed:
            found += _type_findings(live, column, reflected["type"], dialect)
        if key not in identity:
            found += _generation(live, column, reflected, dialect)
        if column.name in live.bit_defaults:
            found += _bit_default(live, column, dialect)
    found += _primary_key(live)
    found += _fk_names(live, dialect)
    found += _checks(live, dialect)
    found += _sqlite_uniques(live)
    return found


def _both_identity(item: Any) -> bool:
    return isinstance(item[5], Identity) and isinstance(item[6], Identity)


# Types: what Alembic skips when one side has arguments the other lacks.


def _type_findings(
    live: schema.LiveTable, column: Column[Any], live_type: Any, dialect: Dialect
) -> list[Difference | SetAside]:
    model_type = _impl(column.type, dialect)
    table = live.model.fullname
    labels = _enum_labels(live_type)
    if labels is not None and _enum_labels(model_type) is not None:
        labels = live.enums.get(getattr(live_type, "name", None) or "", labels)
        if labels != _enum_labels(model_type):
            return [_enum_difference(table, column.name, labels, model_type)]
        return []
    for check in (_length, _numeric, _unsigned, _precision):
        why = check(live_type, model_type, dialect)
        if why:
            return [
                Difference(
                    "type",
                    table,
                    column.name,
                    f"database {_type(live_type, dialect)}, models {_type(model_type, dialect)}: "
                    + why,
                    _type_fix(live_type, dialect),
                )
            ]
    return []


def _length(live: Any, model: Any, dialect: Dialect) -> str | None:
    if not (_is_plain_string(live) and _is_plain_string(model)):
        return None
    # CHAR is CHAR(1) on the servers; SQLite keeps the declared type as written.
    char = _type(live, dialect).upper().startswith("CHAR")
    default = 1 if char and dialect.name != "sqlite" else None
    live_length = live.length if live.length is not None else default
    model_length = model.length if model.length is not None else default
    if live_length == model_length or (model_length is None and dialect.name == "mysql"):
        return None
    if model_length is None:
        return f"the models leave the length out, the database limits it to {live_length}"
    if live_length is None:
        return f"the database has no length limit, the models limit it to {model_length}"
    return None  # both given: Alembic compares these itself


def _numeric(live: Any, model: Any, dialect: Dialect) -> str | None:
    if not (_is_decimal(live) and _is_decimal(model)):
        return None
    live_ps, model_ps = _precision_scale(live, dialect), _precision_scale(model, dialect)
    if live_ps == model_ps:
        return None
    return (
        f"precision and scale {_ps_words(live_ps)} in the database, {_ps_words(model_ps)} in "
        "the models"
    )


def _precision_scale(type_: Any, dialect: Dialect) -> tuple[int | None, int | None]:
    precision, scale = type_.precision, type_.scale
    if dialect.name == "mysql" and precision is None:
        precision = 10  # MySQL's DECIMAL is DECIMAL(10, 0)
    if precision is not None and scale is None:
        scale = 0  # NUMERIC(p) is NUMERIC(p, 0)
    return precision, scale


def _ps_words(ps: tuple[int | None, int | None]) -> str:
    return "unbounded" if ps[0] is None else f"({ps[0]}, {ps[1]})"


def _unsigned(live: Any, model: Any, dialect: Dialect) -> str | None:
    if dialect.name != "mysql":
        return None
    live_unsigned = bool(getattr(live, "unsigned", False))
    if live_unsigned == bool(getattr(model, "unsigned", False)):
        return None
    if live_unsigned:
        return "the database column is UNSIGNED, the models' is signed (half the range)"
    return "the models' column is UNSIGNED, the database's is signed"


def _precision(live: Any, model: Any, dialect: Dialect) -> str | None:
    temporal = (sa.DateTime, sa.Time)
    if dialect.name == "sqlite" or not (isinstance(live, temporal) and isinstance(model, temporal)):
        return None
    default = 6 if dialect.name == "postgresql" else 0
    live_p, model_p = _fraction_digits(live, default), _fraction_digits(model, default)
    if live_p == model_p:
        return None
    return f"{live_p} fractional second digits in the database, {model_p} in the models"


def _fraction_digits(type_: Any, default: int) -> int:
    digits = getattr(type_, "precision", None)
    digits = getattr(type_, "fsp", None) if digits is None else digits
    return default if digits is None else int(digits)


def _enum_difference(table: str, column: str, live: list[str], model: Any) -> Difference:
    labels = _enum_labels(model) or []
    missing = [x for x in labels if x not in live]
    extra = [x for x in live if x not in labels]
    parts = []
    if missing:
        parts.append(f"the database lacks {_quoted(missing)}, so storing them would fail")
    if extra:
        parts.append(f"the models lack {_quoted(extra)}")
    if not parts:
        parts.append("the same labels in another order, which is the sort order")
    name = getattr(model, "name", None)
    alter = f" (ALTER TYPE {name} ADD VALUE ...)" if name and missing else ""
    return Difference(
        "enum",
        table,
        column,
        f"database labels {_quoted(live)}, models {_quoted(labels)}: " + "; ".join(parts),
        f"list exactly the database's labels in the model's Enum, or change the database "
        f"first{alter}",
    )


def _enum_labels(type_: Any) -> list[str] | None:
    return list(type_.enums) if isinstance(type_, sa.Enum) else None


def _quoted(labels: list[str]) -> str:
    return ", ".join(repr(x) for x in labels)


# Auto-increment: whether (and how) the database numbers new rows.


def _generation(
    live: schema.LiveTable, column: Column[Any], reflected: dict[str, Any], dialect: Dialect
) -> list[Difference | SetAside]:
    if dialect.name == "sqlite":
        return []  # an INTEGER PRIMARY KEY always numbers rows; nothing else can
    live_gen, model_gen = _live_generation(reflected, dialect), _model_generation(column, dialect)
    if live_gen == model_gen:
        return []
    return [
        Difference(
            "autoincrement",
            live.model.fullname,
            column.name,
            f"in the database {_generation_words(live_gen)}; in the models "
            + _generation_words(model_gen),
            _GENERATION_FIXES[live_gen],
        )
    ]


_GENERATION_FIXES = {
    None: "set autoincrement=False on the model column (and drop any sa.Identity())",
    "by default": "declare sa.Identity() on the model column, or drop autoincrement=False",
    "always": "declare sa.Identity(always=True) on the model column",
}


def _live_generation(reflected: dict[str, Any], dialect: Dialect) -> str | None:
    identity = reflected.get("identity")
    if identity:
        return "always" if identity.get("always") else "by default"
    # PostgreSQL: serial (a nextval() default); MySQL: AUTO_INCREMENT.
    return "by default" if reflected.get("autoincrement") is True else None


def _model_generation(column: Column[Any], dialect: Dialect) -> str | None:
    if column.identity is not None and dialect.name == "postgresql":
        return "always" if column.identity.always else "by default"
    if isinstance(column.default, Sequence) and dialect.name == "postgresql":
        return "by default"
    if column.server_default is not None:
        text = default_text(column.server_default, dialect) or ""
        return "by default" if "nextval(" in text.lower() else None
    table = column.table
    return "by default" if table is not None and column is table.autoincrement_column else None


def _generation_words(generation: str | None) -> str:
    return {
        None: "the server does not number new rows",
        "by default": "the server numbers new rows (serial, identity BY DEFAULT, AUTO_INCREMENT)",
        "always": "the server numbers new rows and refuses given ids (GENERATED ALWAYS)",
    }[generation]


def _identity_words(value: Any) -> str:
    if isinstance(value, Identity):
        return "GENERATED " + ("ALWAYS" if value.always else "BY DEFAULT") + " AS IDENTITY"
    return "no identity"


# MySQL BIT defaults: SQLAlchemy does not reflect DEFAULT b'1', so Alembic sees none.


def _bit_default(live: schema.LiveTable, column: Column[Any], dialect: Dialect) -> list[Any]:
    table = live.model.fullname
    db = live.bit_defaults[column.name]
    model = _default_sql(column.server_default, dialect)
    if db is None and model is None:
        return []
    if db is not None and model is not None and _same(db, model, boolean=True):
        reason = f"the same server default, {db} in the database and {model} in the models "
        reason += "(read from information_schema: SQLAlchemy does not reflect BIT defaults)"
        return [SetAside(table, column.name, reason)]
    return [
        Difference(
            "server_default",
            table,
            column.name,
            f"database {_default_words(db)}, models {_default_words(model)}",
            f"set server_default={_suggest_default(db)} on the model column",
        )
    ]


# Primary keys: Alembic never compares them.


def _primary_key(live: schema.LiveTable) -> list[Difference | SetAside]:
    model = [c.name for c in live.model.primary_key.columns]
    if model == live.primary_key:
        return []
    words = "the same columns in another order" if set(model) == set(live.primary_key) else ""
    return [
        Difference(
            "primary_key",
            live.model.fullname,
            "(" + ", ".join(live.primary_key) + ")",
            f"database primary key ({', '.join(live.primary_key) or 'none'}), models "
            f"({', '.join(model) or 'none'})" + (f": {words}" if words else ""),
            "mark exactly the database's key columns primary_key=True in the model",
        )
    ]


# Foreign key names: Alembic matches foreign keys by their columns and never compares names.


def _fk_names(live: schema.LiveTable, dialect: Dialect) -> list[Difference | SetAside]:
    db = {
        (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"])): fk
        for fk in live.foreign_keys
    }
    found: list[Difference | SetAside] = []
    for fk in live.model.foreign_key_constraints:
        target = fk.elements[0].target_fullname.split(".") if fk.elements else ["?", "?"]
        refcols = tuple(e.target_fullname.rsplit(".", 1)[1] for e in fk.elements)
        match = db.get((tuple(fk.column_keys), target[-2], refcols))
        name = _final_name(fk, dialect)
        if match is None or not name or not match.get("name") or match["name"] == name:
            continue
        found.append(
            Difference(
                "foreign_key_name",
                live.model.fullname,
                _label(name, _fk_sig(fk)),
                f"the same foreign key, named {match['name']!r} in the database and {name!r} in "
                f"the models; a later migration dropping {name!r} would fail here",
                f"name it {match['name']!r} in the model (or rename it in the database first)",
            )
        )
    return found


# CHECK constraints: Alembic compares none by default.


def _checks(live: schema.LiveTable, dialect: Dialect) -> list[Difference | SetAside]:
    table = live.model.fullname
    db = {
        schema.normalise_check(c["sqltext"]): (c.get("name"), str(c["sqltext"]).replace("`", ""))
        for c in live.checks
        if not _is_json_check(c, live.model)
    }
    models = {
        schema.normalise_check(text): (name, text, bound)
        for name, text, bound in _model_checks(live.model, dialect)
    }
    found: list[Difference | SetAside] = []
    db_only = {k: v for k, v in db.items() if k not in models}
    model_only = {k: v for k, v in models.items() if k not in db}
    db_by_name = {v[0]: (k, v[1]) for k, v in db_only.items() if v[0]}
    for name, text, _bound in model_only.values():
        old = db_by_name.get(name) if name else None
        if old is not None:
            db_only.pop(old[0])
            found.append(_check_difference(table, name, old[1], text))
        else:
            found.append(_check_difference(table, name, None, text))
    found += [_check_difference(table, name, text, None) for name, text in db_only.values()]
    for key in db.keys() & models.keys():
        found += _check_names(table, db[key][0], models[key][0], models[key][2], db[key][1])
    return found


def _check_difference(
    table: str, name: str | None, db: str | None, model: str | None
) -> Difference:
    if db is None:
        return Difference(
            "check",
            table,
            _label(name, f"CHECK ({model})"),
            f"CHECK ({model}) is in the models, not in the database",
            "create the check in the database first, or remove it from the model",
        )
    if model is None:
        return Difference(
            "check",
            table,
            _label(name, f"CHECK ({db})"),
            f"CHECK ({db}) is in the database, not in the models; a baseline would leave it out",
            f"declare sa.CheckConstraint({db!r}"
            + _name_arg(name)
            + ") in the model so the baseline keeps it",
        )
    return Difference(
        "check",
        table,
        _label(name, f"CHECK ({db})"),
        f"{name!r} is CHECK ({db}) in the database, CHECK ({model}) in the models",
        "declare the database's condition in the model's CheckConstraint",
    )


def _check_names(
    table: str, db: str | None, model: str | None, bound: bool, text: str
) -> list[Difference | SetAside]:
    if not db or not model or db == model:
        return []
    if bound:
        return [
            SetAside(
                table,
                f"CHECK ({text})",
                f"the check a Boolean/Enum column type makes for itself, named {db!r} in the "
                f"database and {model!r} in the models; it comes and goes with its column, so no "
                "migration refers to it by name",
            )
        ]
    return [
        Difference(
            "check_name",
            table,
            _label(model, f"CHECK ({text})"),
            f"the same check, named {db!r} in the database and {model!r} in the models",
            f"name it {db!r} in the model (or rename it in the database first)",
        )
    ]


def _model_checks(table: Table, dialect: Dialect) -> list[tuple[str | None, str, bool]]:
    """(name, SQL, made by a column type) of each CHECK the models would create on `dialect`:
    a Boolean or Enum's own check exists only where the type is not native."""
    ddl = dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]
    constraints = [c for c in table.constraints if isinstance(c, CheckConstraint)]
    for column in table.columns:
        constraints += [c for c in column.constraints if isinstance(c, CheckConstraint)]
    found = []
    for c in constraints:
        if not c._should_create_for_compiler(ddl):
            continue
        text = str(ddl.sql_compiler.process(c.sqltext, include_table=False, literal_binds=True))
        if dialect.paramstyle in ("format", "pyformat"):
            text = text.replace("%%", "%")  # escaped for the driver, not part of the SQL
        found.append((_final_name(c, dialect), text, bool(getattr(c, "_type_bound", False))))
    return found


def _final_name(constraint: Any, dialect: Dialect) -> str | None:
    # The name the DDL would give it, naming conventions applied.
    if constraint.name is None:
        return None
    try:
        name = dialect.identifier_preparer.format_constraint(constraint, _alembic_quote=False)
    except Exception:
        return str(constraint.name)
    return str(name) if name else None


def _is_json_check(check: dict[str, Any], table: Table) -> bool:
    # MariaDB's JSON is LONGTEXT with CHECK (json_valid(col)): part of the type, not a check.
    text = str(check["sqltext"]).replace("`", "").replace(" ", "").lower()
    match = re.fullmatch(r"json_valid\((\w+)\)", text)
    column = table.columns.get(match.group(1)) if match else None
    return column is not None and isinstance(column.type, sa.JSON)


# SQLite uniques: Alembic passes over unnamed ones in the database.


def _sqlite_uniques(live: schema.LiveTable) -> list[Difference | SetAside]:
    table = live.model
    declared = {_cols_tuple(c) for c in table.constraints if isinstance(c, UniqueConstraint)}
    declared |= {_cols_tuple(ix) for ix in table.indexes if ix.unique}
    declared.add(tuple(c.name for c in table.primary_key.columns))
    return [
        Difference(
            "unique",
            table.fullname,
            f"unique {_cols_words(cols)}",
            f"an unnamed unique on {_cols_words(cols)} is in the database, not in the models; "
            "a baseline would leave it out",
            f"declare sa.UniqueConstraint({', '.join(repr(c) for c in cols)}) in the model (or "
            "unique=True on the column)",
        )
        for cols in dict.fromkeys(live.unnamed_uniques)
        if cols not in declared
    ]


# --- helpers -----------------------------------------------------------------------------------


def _cols(obj: Any) -> str:
    return _cols_words(_cols_tuple(obj))


def _cols_tuple(obj: Any) -> tuple[str, ...]:
    names = [getattr(c, "name", str(c)) for c in getattr(obj, "columns", [])]
    if not names and hasattr(obj, "expressions"):
        names = [str(e) for e in obj.expressions]
    return tuple(names)


def _cols_words(cols: Iterable[str]) -> str:
    return "(" + ", ".join(cols) + ")"


def _col_args(obj: Any) -> str:
    return ", ".join(repr(c) for c in _cols_tuple(obj))


def _name_arg(name: Any) -> str:
    # A name the server made up need not be repeated in the model.
    return f", name={str(name)!r}" if name and not schema.is_generated_name(str(name)) else ""


def _label(name: Any, what: str) -> str:
    return f"{name} {what}" if name else what


def _index_sig(index: Index) -> str:
    return ("unique index " if index.unique else "index ") + _cols(index)


def _fk_target(fk: ForeignKeyConstraint) -> str:
    ref = fk.elements[0].target_fullname.rsplit(".", 1)[0] if fk.elements else "?"
    refcols = ", ".join(e.target_fullname.rsplit(".", 1)[1] for e in fk.elements)
    return f"{ref}({refcols})"


def _fk_sig(fk: ForeignKeyConstraint) -> str:
    return f"({', '.join(fk.column_keys)}) -> {_fk_target(fk)}"


def _fk_text(fk: ForeignKeyConstraint) -> str:
    actions = ""
    if fk.ondelete:
        actions += f" ON DELETE {fk.ondelete.upper()}"
    if fk.onupdate:
        actions += f" ON UPDATE {fk.onupdate.upper()}"
    return _fk_sig(fk) + actions


def _type(type_: Any, dialect: Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:
        return repr(type_)


def _spelling(type_: Any, dialect: Dialect) -> str:
    """How the models would declare this type: the generic type where it makes the same DDL
    (sa.String(length=255), sa.Double()), else the dialect's own (mysql.MEDIUMTEXT())."""
    try:
        generic = type_.as_generic()
        same = _ddl(generic, dialect) == _ddl(type_, dialect)
    except Exception:
        same = False
    module = type(type_).__module__
    if same:
        text = "sa." + repr(generic)
    elif module.startswith("sqlalchemy.dialects."):
        text = module.split(".")[2] + "." + repr(type_)
    else:
        text = ("sa." if module.startswith("sqlalchemy") else "") + repr(type_)
    # Reflection details a model does not write: display widths, DOUBLE's Decimal results.
    return re.sub(r"(display_width=\d+|asdecimal=True|astext_type=Text\(\))(, )?", "", text)


def _type_fix(live: Any, dialect: Dialect) -> str:
    return (
        f"declare the column as {_spelling(live, dialect)} in the model, so the baseline keeps "
        "the database's type"
    )


def _ddl(type_: Any, dialect: Dialect) -> str:
    return re.sub(
        r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|BIGINT)\(\d+\)", r"\1", _type(type_, dialect)
    )


def _impl(type_: Any, dialect: Dialect) -> Any:
    """The type the dialect will really create: variants and TypeDecorators resolved."""
    try:
        return type_._unwrapped_dialect_impl(dialect)
    except Exception:
        return type_


def _is_plain_string(type_: Any) -> bool:
    return (
        isinstance(type_, sa.String)
        and not isinstance(type_, sa.Text | sa.Enum)
        and (type(type_).__name__ != "SET")
    )


def _is_decimal(type_: Any) -> bool:
    return isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)


_TEXT_SIZES = {"TINYTEXT": 0, "TEXT": 1, "MEDIUMTEXT": 2, "LONGTEXT": 3}
_INT_SIZES = {"SMALLINT": 1, "MEDIUMINT": 2, "INTEGER": 3, "INT": 3, "BIGINT": 4}


def _type_note(live: Any, model: Any, dialect: Dialect) -> str:
    """Why a type difference matters, where it is a common one."""
    if dialect.name == "sqlite":
        return "SQLite does not enforce declared types, but a baseline would declare the models'"
    live_name, model_name = _base(live, dialect), _base(model, dialect)
    live_length, model_length = getattr(live, "length", None), getattr(model, "length", None)
    narrower = live_length and model_length and model_length < live_length
    if _is_plain_string(live) and _is_plain_string(model) and narrower:
        return f"the models are narrower; values longer than {model_length} would not fit"
    for sizes, what in ((_TEXT_SIZES, "text"), (_INT_SIZES, "numbers")):
        if live_name in sizes and model_name in sizes and sizes[model_name] < sizes[live_name]:
            return f"the models' {model_name} holds less {what} than the database's {live_name}"
    live_bits, model_bits = _float_bits(live_name, dialect), _float_bits(model_name, dialect)
    if live_bits and model_bits and live_bits != model_bits:
        return (
            f"{'single' if model_bits < live_bits else 'double'} precision in the models, "
            f"{'double' if model_bits < live_bits else 'single'} in the database"
        )
    if _timezone(live) != _timezone(model):
        return "with and without time zone read the same stored value differently"
    return ""


def _float_bits(name: str, dialect: Dialect) -> int | None:
    if name in ("DOUBLE", "DOUBLE PRECISION"):
        return 64
    if name == "REAL":  # MySQL's REAL is a DOUBLE
        return 32 if dialect.name == "postgresql" else 64
    if name == "FLOAT":  # PostgreSQL's FLOAT is a DOUBLE PRECISION
        return 64 if dialect.name == "postgresql" else 32
    return None


def _base(type_: Any, dialect: Dialect) -> str:
    return re.sub(r"\(.*", "", _type(type_, dialect)).strip().upper()


def _timezone(type_: Any) -> bool:
    return bool(getattr(type_, "timezone", False))


def _is_boolean(type_: Any) -> bool:
    """A boolean column, as the database reports it: BOOLEAN, MySQL's TINYINT(1) or BIT(1)."""
    if type_ is None or isinstance(type_, sa.Boolean):
        return True  # unknown: keep the lenient reading
    name = type(type_).__name__.upper()
    if name == "TINYINT":
        return getattr(type_, "display_width", None) == 1
    return name == "BIT" and getattr(type_, "length", None) in (None, 1)


def _is_identity(value: Any) -> bool:
    return isinstance(value, Identity) or "identity" in type(value).__name__.lower()


def _null(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def default_text(value: Any, dialect: Dialect) -> str | None:
    """A server default as SQL text, whichever form SQLAlchemy or Alembic hands it over in."""
    if value is None or value is False:
        return None
    arg = getattr(value, "arg", value)
    if isinstance(arg, str):
        return arg
    if isinstance(arg, ClauseElement):
        try:
            return str(arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        except Exception:
            return str(arg)
    return str(arg)


def _default_sql(value: Any, dialect: Dialect) -> str | None:
    # A plain string server_default is a literal: DDL quotes it, so show it quoted.
    arg = getattr(value, "arg", None)
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return default_text(value, dialect)


def normalise_default(text: str) -> str:
    """One spelling per meaning: parentheses, casts, quotes and keyword case removed."""
    return schema.normalise_default(text)


def same_default(live: str, model: str) -> bool:
    return _same(live, model, boolean=True)


def _same(live: str, model: str, boolean: bool) -> bool:
    # 1, '1', true and b'1' are one value only in a boolean column.
    a, b = schema.normalise_default(live, boolean), schema.normalise_default(model, boolean)
    return a == b or _same_number(live, a, b)


def _same_number(live: str, a: str, b: str) -> bool:
    """A numeric column's default as the server shows it (MariaDB: DEFAULT 0.00 for '0'): the
    live text is an unquoted number, so the column is numeric and '0' and 0.00 are one value."""
    if not re.fullmatch(r"\(*-?\d+(\.\d+)?\)*", live.strip()):
        return False
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def _default_words(text: str | None) -> str:
    return f"DEFAULT {text}" if text else "no default"


def _suggest_default(live: str | None) -> str:
    return f"sa.text({live!r})" if live else "None"


def is_unmanaged(item: Classified) -> bool:
    return isinstance(item, str)


def model_columns(metadata: MetaData) -> dict[str, list[Column[Any]]]:
    return {t.fullname: list(t.columns) for t in metadata.sorted_tables}
