"""A comparable snapshot of a database schema, taken with SQLAlchemy's bulk reflection.

Two databases on the same dialect (the live one and one rebuilt from the baseline) are compared
through their snapshots: types compiled by the dialect, defaults as the server reports them,
keys, indexes, uniques and foreign keys compared by their columns, names compared apart."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect

from adopt.differences import Difference

VERSION_TABLE = "alembic_version"

Cols = tuple[str, ...]


@dataclass(frozen=True)
class ColumnShape:
    name: str
    type: str
    nullable: bool
    default: str | None
    identity: bool


@dataclass(frozen=True)
class TableShape:
    name: str
    columns: tuple[ColumnShape, ...]
    primary_key: Cols
    indexes: dict[tuple[Cols, bool], str | None]  # (columns, unique) -> name
    uniques: dict[Cols, str | None]
    foreign_keys: dict[tuple[Cols, str, Cols, str, str], str | None]
    checks: dict[str, str | None]  # normalised SQL text -> name

    def column(self, name: str) -> ColumnShape | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, TableShape]

    @property
    def names(self) -> list[str]:
        return sorted(self.tables)


def table_names(conn: Connection, schema: str | None = None) -> list[str]:
    return sorted(inspect(conn).get_table_names(schema=schema))


def take(
    conn: Connection, schema: str | None = None, only: Iterable[str] | None = None
) -> Snapshot:
    """Reflect every table (or those in `only`) in one pass of bulk queries."""
    insp = inspect(conn)
    names = [n for n in insp.get_table_names(schema=schema) if n != VERSION_TABLE]
    if only is not None:
        wanted = set(only)
        names = [n for n in names if n in wanted]
    if not names:
        return Snapshot({})
    kw: dict[str, Any] = {"schema": schema, "filter_names": names}
    columns = insp.get_multi_columns(**kw)
    pks = insp.get_multi_pk_constraint(**kw)
    indexes = insp.get_multi_indexes(**kw)
    uniques = insp.get_multi_unique_constraints(**kw)
    fks = insp.get_multi_foreign_keys(**kw)
    checks = _optional(insp.get_multi_check_constraints, kw)
    dialect = conn.dialect
    tables = {}
    for name in names:
        key = (schema, name)
        tables[name] = TableShape(
            name=name,
            columns=tuple(_column(c, dialect) for c in columns.get(key, [])),
            primary_key=_pk_columns(pks.get(key)),
            indexes={
                (_cols(ix["column_names"]), bool(ix.get("unique"))): ix.get("name")
                for ix in indexes.get(key, [])
                if None not in ix["column_names"]
            },
            uniques={_cols(u["column_names"]): u.get("name") for u in uniques.get(key, [])},
            foreign_keys={_fk_key(fk): fk.get("name") for fk in fks.get(key, [])},
            checks={_sql(c["sqltext"]): c.get("name") for c in checks.get(key, [])},
        )
    return Snapshot(tables)


def _pk_columns(pk: Any) -> Cols:
    return tuple((pk or {}).get("constrained_columns") or ())


def _optional(method: Any, kw: dict[str, Any]) -> dict[Any, list[dict[str, Any]]]:
    try:
        return dict(method(**kw))
    except NotImplementedError:
        return {}


def _cols(names: Iterable[str | None]) -> Cols:
    return tuple(n for n in names if n is not None)


def _fk_key(fk: Any) -> tuple[Cols, str, Cols, str, str]:
    options = fk.get("options") or {}
    return (
        _cols(fk["constrained_columns"]),
        fk["referred_table"],
        _cols(fk["referred_columns"]),
        (options.get("ondelete") or "NO ACTION").upper(),
        (options.get("onupdate") or "NO ACTION").upper(),
    )


def _column(col: Any, dialect: Dialect) -> ColumnShape:
    try:
        type_text = col["type"].compile(dialect=dialect)
    except Exception:
        type_text = repr(col["type"])
    default = col.get("default")
    return ColumnShape(
        name=col["name"],
        type=type_text,
        nullable=bool(col["nullable"]),
        default=_sql(default) if default is not None else None,
        identity=bool(col.get("identity")),
    )


def _sql(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def compare(
    expected: Snapshot, actual: Snapshot, *, expected_label: str, actual_label: str
) -> list[Difference]:
    """Every way `actual` differs from `expected`, tables compared by name."""
    diffs: list[Difference] = []
    for name in sorted(set(expected.tables) - set(actual.tables)):
        diffs.append(
            Difference(
                "missing_table", name, "", f"in the {expected_label}, not in the {actual_label}"
            )
        )
    for name in sorted(set(actual.tables) - set(expected.tables)):
        diffs.append(
            Difference(
                "extra_table", name, "", f"in the {actual_label}, not in the {expected_label}"
            )
        )
    for name in sorted(set(expected.tables) & set(actual.tables)):
        diffs.extend(
            _compare_table(expected.tables[name], actual.tables[name], expected_label, actual_label)
        )
    return diffs


def _compare_table(exp: TableShape, act: TableShape, el: str, al: str) -> list[Difference]:
    t = exp.name
    out: list[Difference] = []
    exp_cols = {c.name: c for c in exp.columns}
    act_cols = {c.name: c for c in act.columns}
    for name in exp_cols.keys() - act_cols.keys():
        out.append(Difference("missing_column", t, name, f"in the {el}, not in the {al}"))
    for name in act_cols.keys() - exp_cols.keys():
        out.append(Difference("extra_column", t, name, f"in the {al}, not in the {el}"))
    for name in sorted(exp_cols.keys() & act_cols.keys()):
        e, a = exp_cols[name], act_cols[name]
        if e.type != a.type:
            out.append(Difference("type", t, name, f"{el} {e.type}, {al} {a.type}"))
        if e.nullable != a.nullable:
            out.append(
                Difference(
                    "nullable", t, name, f"{el} {_null(e.nullable)}, {al} {_null(a.nullable)}"
                )
            )
        if e.default != a.default:
            out.append(
                Difference("server_default", t, name, f"{el} {e.default!r}, {al} {a.default!r}")
            )
        if e.identity != a.identity:
            out.append(
                Difference(
                    "identity", t, name, f"{el} identity={e.identity}, {al} identity={a.identity}"
                )
            )
    if exp.primary_key != act.primary_key:
        out.append(
            Difference("primary_key", t, "", f"{el} {exp.primary_key}, {al} {act.primary_key}")
        )
    out += _keyed(t, "index", exp.indexes, act.indexes, el, al, _index_label)
    out += _keyed(t, "unique", exp.uniques, act.uniques, el, al, _cols_label)
    out += _keyed(t, "foreign_key", exp.foreign_keys, act.foreign_keys, el, al, _fk_label)
    out += _keyed(t, "check", exp.checks, act.checks, el, al, str)
    return out


def _keyed(
    table: str,
    kind: str,
    exp: dict[Any, str | None],
    act: dict[Any, str | None],
    el: str,
    al: str,
    label: Any,
) -> list[Difference]:
    out = []
    for key in exp.keys() - act.keys():
        out.append(
            Difference(
                kind, table, exp[key] or label(key), f"{label(key)} in the {el}, not in the {al}"
            )
        )
    for key in act.keys() - exp.keys():
        out.append(
            Difference(
                kind, table, act[key] or label(key), f"{label(key)} in the {al}, not in the {el}"
            )
        )
    for key in exp.keys() & act.keys():
        # Names are compared only where both sides have one (SQLite leaves inline ones unnamed).
        if exp[key] and act[key] and exp[key] != act[key]:
            both_generated = is_generated_name(exp[key]) and is_generated_name(act[key])
            out.append(
                Difference(
                    f"{kind}_{'generated_name' if both_generated else 'name'}",
                    table,
                    label(key),
                    f"named {exp[key]!r} in the {el}, {act[key]!r} in the {al}",
                )
            )
    return out


# Names the server makes up for unnamed constraints: MySQL/MariaDB *_ibfk_N, PostgreSQL
# *_fkey / *_key / *_pkey / *_check (with a number when taken), SQLite's autoindexes.
_GENERATED_NAME = re.compile(
    r"(_ibfk_\d+|_fkey\d*|_key\d*|_pkey|_check\d*|_idx\d*)$|^sqlite_autoindex_"
)


def is_generated_name(name: str | None) -> bool:
    return bool(name) and bool(_GENERATED_NAME.search(name or ""))


def _null(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def _cols_label(cols: Cols) -> str:
    return "(" + ", ".join(cols) + ")"


def _index_label(key: tuple[Cols, bool]) -> str:
    cols, unique = key
    return ("unique index " if unique else "index ") + _cols_label(cols)


def _fk_label(key: tuple[Cols, str, Cols, str, str]) -> str:
    cols, table, ref, ondelete, onupdate = key
    actions = ""
    if ondelete != "NO ACTION":
        actions += f" ON DELETE {ondelete}"
    if onupdate != "NO ACTION":
        actions += f" ON UPDATE {onupdate}"
    return f"{_cols_label(cols)} -> {table}{_cols_label(ref)}{actions}"
