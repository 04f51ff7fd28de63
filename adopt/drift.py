"""The match check: the live database compared with the models, read-only.

Alembic's autogenerate comparison does the work; this module turns its raw tuples into
differences a person can act on, and sets aside the ones that are not real, each with
its reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Identity
from sqlalchemy import Index
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ClauseElement

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


def comparison_options(project_options: dict[str, Any] | None = None) -> dict[str, Any]:
    opts: dict[str, Any] = {"compare_type": True, "compare_server_default": True}
    for key in COMPARE_OPTIONS:
        if project_options and key in project_options:
            opts[key] = project_options[key]
    return opts


def raw_differences(conn: Connection, metadata: MetaData, options: dict[str, Any]) -> list[Any]:
    """Alembic's own comparison, without touching alembic_version (no run_migrations)."""
    context = MigrationContext.configure(conn, opts=dict(options, target_metadata=metadata))
    return list(compare_metadata(context, metadata))


def classify(raw: Iterable[Any], dialect: Dialect) -> list[Classified]:
    out: list[Classified] = []
    flat: list[Any] = []
    for item in raw:
        flat.extend(item if isinstance(item, list) else [item])
    flat = _pair_renames(flat, out)
    for item in flat:
        handler = _HANDLERS.get(item[0])
        result = handler(item, dialect) if handler else _unknown(item)
        if result is not None:
            out.append(result)
    return out


def _unknown(item: Any) -> Difference:
    return Difference(str(item[0]), "?", "", repr(item)[:200], "inspect this difference by hand")


def _table_name(table: Table | None) -> str:
    return table.fullname if table is not None else "?"


# --- tables and columns ------------------------------------------------------------------------


def _add_table(item: Any, _d: Dialect) -> Classified:
    table = item[1]
    return Difference(
        "missing_table",
        _table_name(table),
        "",
        "defined in the models, absent from the database",
        "create the table in the database, or remove the model if it is obsolete",
    )


def _remove_table(item: Any, _d: Dialect) -> Classified | None:
    name = _table_name(item[1])
    return None if item[1].name == VERSION_TABLE else name


def _add_column(item: Any, _d: Dialect) -> Classified:
    _, _schema, table, column = item
    return Difference(
        "missing_column",
        table,
        column.name,
        "defined in the models, absent from the database",
        "add the column to the database, or remove it from the model",
    )


def _remove_column(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column = item
    return Difference(
        "extra_column",
        table,
        column.name,
        f"in the database ({_type(column.type, dialect)}), absent from the models",
        f"add {column.name} to the model so the baseline creates it",
    )


def _modify_type(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    live_text, model_text = _type(live, dialect), _type(model, dialect)
    return Difference(
        "type",
        table,
        column,
        f"database {live_text}, models {model_text}",
        f"declare the column as {live_text} in the model (the baseline follows the models)",
    )


def _modify_nullable(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, kw, live, model = item
    if dialect.name == "sqlite" and live and not model and _is_integer(kw.get("existing_type")):
        # SQLite reports INTEGER PRIMARY KEY columns as nullable although they never hold NULL.
        return SetAside(table, column, "SQLite reports an INTEGER PRIMARY KEY as nullable")
    return Difference(
        "nullable",
        table,
        column,
        f"database {_null(live)}, models {_null(model)}",
        f"set nullable={live} on the model column",
    )


def _modify_default(item: Any, dialect: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    if isinstance(live, Identity) or (_is_identity(live) and model in (None, False)):
        return SetAside(
            table, column, "identity column; the model's autoincrement key is equivalent"
        )
    live_text, model_text = default_text(live, dialect), default_text(model, dialect)
    if live_text is not None and model_text is not None and same_default(live_text, model_text):
        return SetAside(
            table,
            column,
            f"server default spelled {live_text!r} by the database, {model_text!r} by the models",
        )
    return Difference(
        "server_default",
        table,
        column,
        f"database {live_text or 'no default'}, models {model_text or 'no default'}",
        f"set server_default={_suggest_default(live_text)} on the model column",
    )


def _modify_comment(item: Any, _d: Dialect) -> Classified:
    _, _schema, table, column, _kw, live, model = item
    if model is None:
        return SetAside(
            table, column, f"comment {live!r} is in the database only; the models declare none"
        )
    return Difference(
        "comment",
        table,
        column,
        f"database {live!r}, models {model!r}",
        "copy the database comment into the model",
    )


def _table_comment(item: Any, _d: Dialect) -> Classified:
    op = item[0]
    table = item[1]
    if op == "remove_table_comment" or table.comment is None:
        return SetAside(_table_name(table), "", "table comment is in the database only")
    return Difference(
        "comment",
        _table_name(table),
        "",
        f"models comment {table.comment!r}",
        "copy the comment into the database or drop it from the model",
    )


# --- indexes and constraints -------------------------------------------------------------------


def _index(item: Any, _d: Dialect) -> Classified:
    op, index = item
    table = _table_name(index.table)
    what = ("unique index " if index.unique else "index ") + _cols(index)
    if op == "add_index":
        return Difference(
            "index",
            table,
            index.name or what,
            f"{what} in the models, not in the database",
            "create the index in the database, or drop index=True from the model",
        )
    return Difference(
        "index",
        table,
        index.name or what,
        f"{what} in the database, not in the models",
        f"declare Index({index.name!r}, ...) in the model so the baseline keeps it",
    )


def _constraint(item: Any, _d: Dialect) -> Classified:
    op, constraint = item
    table = _table_name(constraint.table)
    kind = "unique" if isinstance(constraint, UniqueConstraint) else "constraint"
    what = f"{kind} {_cols(constraint)}"
    if op == "add_constraint":
        return Difference(
            kind,
            table,
            constraint.name or what,
            f"{what} in the models, not in the database",
            "create it in the database, or remove it from the model",
        )
    return Difference(
        kind,
        table,
        constraint.name or what,
        f"{what} in the database, not in the models",
        "declare it in the model (UniqueConstraint(...)) so the baseline keeps it",
    )


def _fk(item: Any, _d: Dialect) -> Classified:
    op, fk = item
    table = _table_name(fk.table)
    what = _fk_text(fk)
    if op == "add_fk":
        return Difference(
            "foreign_key",
            table,
            fk.name or what,
            f"{what} in the models, not in the database",
            "create the foreign key in the database, or remove it from the model",
        )
    return Difference(
        "foreign_key",
        table,
        fk.name or what,
        f"{what} in the database, not in the models",
        "declare the foreign key (with its ON DELETE/UPDATE) in the model",
    )


def _pair_renames(flat: list[Any], out: list[Classified]) -> list[Any]:
    """A drop and an add of the same columns differ only by name: report one rename instead."""
    removed = {
        _signature(i): i for i in flat if i[0] in ("remove_index", "remove_constraint", "remove_fk")
    }
    added = {_signature(i): i for i in flat if i[0] in ("add_index", "add_constraint", "add_fk")}
    paired = set()
    for sig, rem in removed.items():
        add = added.get(sig)
        if sig is None or add is None:
            continue
        paired.update({id(rem), id(add)})
        old, new = rem[1].name, add[1].name
        table = _table_name(rem[1].table)
        kind = sig[0] + "_name"
        if old is None or new is None:
            out.append(
                SetAside(
                    table, old or new or "", f"same {sig[0]} on {sig[2]}; one side has no name"
                )
            )
        else:
            out.append(
                Difference(
                    kind,
                    table,
                    str(new),
                    f"database calls it {old!r}, models {new!r}",
                    f"name it {old!r} in the model (or rename it in the database)",
                )
            )
    return [i for i in flat if id(i) not in paired]


def _signature(item: Any) -> tuple[Any, ...] | None:
    obj = item[1]
    if isinstance(obj, Index):
        return ("index", _table_name(obj.table), _cols(obj), bool(obj.unique))
    if isinstance(obj, UniqueConstraint):
        return ("unique", _table_name(obj.table), _cols(obj))
    if isinstance(obj, ForeignKeyConstraint):
        return ("foreign_key", _table_name(obj.table), _fk_text(obj))
    return None


_HANDLERS: dict[str, Callable[[Any, Dialect], Classified | None]] = {
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


# --- helpers -----------------------------------------------------------------------------------


def _cols(obj: Any) -> str:
    names = [getattr(c, "name", str(c)) for c in getattr(obj, "columns", [])]
    if not names and hasattr(obj, "expressions"):
        names = [str(e) for e in obj.expressions]
    return "(" + ", ".join(names) + ")"


def _fk_text(fk: ForeignKeyConstraint) -> str:
    cols = ", ".join(fk.column_keys)
    ref = fk.elements[0].target_fullname.rsplit(".", 1)[0] if fk.elements else "?"
    refcols = ", ".join(e.target_fullname.rsplit(".", 1)[1] for e in fk.elements)
    actions = ""
    if fk.ondelete:
        actions += f" ON DELETE {fk.ondelete.upper()}"
    if fk.onupdate:
        actions += f" ON UPDATE {fk.onupdate.upper()}"
    return f"({cols}) -> {ref}({refcols}){actions}"


def _type(type_: Any, dialect: Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:
        return repr(type_)


def _is_integer(type_: Any) -> bool:
    affinity = getattr(type_, "_type_affinity", None)
    return affinity is not None and affinity.__name__ == "Integer"


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


_NOW = {
    "now()",
    "current_timestamp",
    "current_timestamp()",
    "localtimestamp",
    "localtimestamp()",
    "datetime('now')",
    "transaction_timestamp()",
}
_TRUE = {"true", "1", "b'1'", "'1'", "'t'", "'true'"}
_FALSE = {"false", "0", "b'0'", "'0'", "'f'", "'false'"}


def normalise_default(text: str) -> str:
    """One spelling per meaning: parentheses, casts, quotes and keyword case removed."""
    t = text.strip().lower()
    while t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
        t = t[1:-1].strip()
    t = re.sub(r"::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?", "", t)
    t = re.sub(r"current_timestamp\(\d*\)", "current_timestamp", t)
    if t in _NOW:
        return "current_timestamp"
    if t in _TRUE:
        return "1"
    if t in _FALSE:
        return "0"
    if len(t) >= 2 and t[0] == t[-1] == "'":
        t = t[1:-1]
    return t


def same_default(live: str, model: str) -> bool:
    return normalise_default(live) == normalise_default(model)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _suggest_default(live: str | None) -> str:
    return f"sa.text({live!r})" if live else "None"


def is_unmanaged(item: Classified) -> bool:
    return isinstance(item, str)


def model_columns(metadata: MetaData) -> dict[str, list[Column[Any]]]:
    return {t.fullname: list(t.columns) for t in metadata.sorted_tables}
