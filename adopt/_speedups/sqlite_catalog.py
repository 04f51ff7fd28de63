"""SQLite's catalog read in bulk, for a read-only block's reflection.

SQLAlchemy's SQLite dialect reflects a table with one catalog read per question:
- its CREATE statement (`SQLiteDialect._get_table_sql`), parsed for the primary key, foreign
  keys and CHECK constraints, each time scanning sqlite_master and sqlite_temp_master;
- a PRAGMA (`SQLiteDialect._get_table_pragma`) for its columns, foreign keys and indexes, and
  one more for each index's columns; for the main schema a second one in temp when the first
  finds nothing (a table without indexes).
At 1,000 tables that is about 12,000 statements, most of a check's and a verification's
reading. Within `read_once`, each of these is read for every table of a schema in one query the
first time one table's is asked for (the PRAGMA through its table-valued function,
pragma_<name>(object, schema), with the same columns in the same order), and answered from
there. SQLAlchemy's method answers as before:
- a name the bulk read did not list (a view's columns, a name in another case, a missing one),
  which raises NoSuchTableError where it always did;
- a CREATE statement whose name is found twice (a temporary table shadowing a table);
- a connection other than the block's;
- a whole kind, when its bulk query fails (an SQLite without table-valued pragmas, a virtual
  table whose module is not loaded).

What is read is trusted until the block ends. The check's reads on SQLite are not one snapshot
with or without this (pysqlite begins no transaction for a SELECT), so a schema changed by
another connection during a check is a race the check never promised to see; the
verification's scratch database is finished and adopt's own.

Both methods are private: under a SQLAlchemy newer than TESTED_UP_TO, one without them, or a
dialect class that overrides one, that method is SQLAlchemy's (or the dialect's) own."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from adopt._speedups import enabled
from adopt._speedups import tested

# The SQLAlchemy releases whose two SQLiteDialect methods this was read and tested against
# (tests/test_sqlite_catalog.py).
TESTED_UP_TO = (2, 1)
TABLE_SQL = "_get_table_sql"
PRAGMA = "_get_table_pragma"
METHODS = (TABLE_SQL, PRAGMA)

# The PRAGMAs read in bulk, with the kind of catalog entry each takes: a table's own (views are
# left to SQLAlchemy: reading a broken view's columns fails, and would fail the whole query),
# or an index's.
_PRAGMA_OBJECTS = {
    "table_info": "table",
    "table_xinfo": "table",
    "foreign_key_list": "table",
    "index_list": "table",
    "index_info": "index",
    "index_xinfo": "index",
}


def applies(conn: Connection) -> bool:
    """Whether `read_once` answers anything in bulk on `conn` (else it changes nothing)."""
    return bool(_answered(conn))


def _answered(conn: Connection) -> list[str]:
    """The methods `read_once` answers on `conn`: those of SQLAlchemy's SQLite dialect, as tested,
    that `conn`'s dialect class has not replaced with its own."""
    if not (
        enabled()
        and isinstance(conn.dialect, SQLiteDialect)
        and tested(sqlalchemy.__version__, TESTED_UP_TO)
    ):
        return []
    return [
        name
        for name in METHODS
        if callable(getattr(SQLiteDialect, name, None))
        and getattr(type(conn.dialect), name) is getattr(SQLiteDialect, name)
    ]


@contextmanager
def read_once(conn: Connection) -> Iterator[None]:
    """Within this block, `conn`'s dialect answers the CREATE statements and the PRAGMAs of
    `conn`'s tables from one query per schema and kind (see the module's docstring)."""
    methods = _answered(conn)
    if not methods or any(name in vars(conn.dialect) for name in methods):
        yield  # nothing to answer, or nested: the outer block answers
        return
    dialect: Any = conn.dialect
    answers = {TABLE_SQL: _table_sql(conn, dialect), PRAGMA: _table_pragma(conn, dialect)}
    # On the instance: another engine's dialect, and this one once the block ends, are untouched.
    for name in methods:
        setattr(dialect, name, answers[name])
    try:
        yield
    finally:
        for name in methods:
            vars(dialect).pop(name, None)


def _table_sql(conn: Connection, dialect: Any) -> Any:
    # The class's method, with SQLAlchemy's own caching around it: every miss goes there.
    original = getattr(type(dialect), TABLE_SQL)
    read: dict[str | None, dict[str, str]] = {}

    def table_sql(connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
        if connection is conn:
            if schema not in read:
                read[schema] = _statements(conn, schema)
            found = read[schema].get(table_name)
            if found is not None:
                return found
        return original(dialect, connection, table_name, schema=schema, **kw)

    return table_sql


def _table_pragma(conn: Connection, dialect: Any) -> Any:
    original = getattr(type(dialect), PRAGMA)
    read: dict[tuple[str, str | None], _PragmaRows | None] = {}

    def table_pragma(
        connection: Any, pragma: str, table_name: str, schema: str | None = None
    ) -> Any:
        if connection is conn and pragma in _PRAGMA_OBJECTS:
            key = (pragma, schema)
            if key not in read:
                read[key] = _pragma_rows(conn, pragma, schema)
            found = read[key]
            if found is not None and table_name in found.listed:
                return found.rows(table_name)
        return original(dialect, connection, pragma, table_name, schema=schema)

    return table_pragma


def _statements(conn: Connection, schema: str | None) -> dict[str, str]:
    """{name: CREATE statement} of the tables and views of `schema` (main and temp for None),
    as SQLAlchemy's query would find each; a name found twice is left out."""
    prefix = f"{_quoted(conn, schema)}." if schema else ""
    # SQLAlchemy's own two forms: with the temporary tables, and without where that fails.
    union = (
        f"SELECT name, sql, type FROM {prefix}sqlite_master UNION ALL "
        f"SELECT name, sql, type FROM {prefix}sqlite_temp_master"
    )
    try:
        rows = _named_statements(conn, union)
    except DBAPIError:
        rows = _named_statements(conn, f"SELECT name, sql, type FROM {prefix}sqlite_master")
    found: dict[str, str | None] = {}
    twice: set[str] = set()
    for name, sql in rows:
        if name in found:
            twice.add(name)
        found[name] = sql
    return {name: sql for name, sql in found.items() if name not in twice and sql}


def _named_statements(conn: Connection, source: str) -> list[tuple[str, str | None]]:
    query = f"SELECT name, sql FROM ({source}) WHERE type IN ('table', 'view')"
    return [(row[0], row[1]) for row in conn.exec_driver_sql(query)]


class _PragmaRows:
    """One PRAGMA's rows for every object of a schema, answered as SQLAlchemy's method answers
    for one: the first of `searched` (main, then temp, for the default schema) that has rows.
    Each row is the PRAGMA's own, followed by the object's name, which no caller reads (they
    read a row's columns by position)."""

    def __init__(self, searched: Sequence[dict[str, list[Any]]]) -> None:
        self.searched = searched
        self.listed: set[str] = set().union(*searched)

    def rows(self, name: str) -> list[Any]:
        for found in self.searched:
            if found.get(name):
                return found[name]
        return []


def _pragma_rows(conn: Connection, pragma: str, schema: str | None) -> _PragmaRows | None:
    """`pragma` for every object of its kind in `schema`, or None where SQLite cannot say it in
    one query (its table-valued function missing or failing on some object)."""
    # As SQLAlchemy's method does: the main schema, then temp, for the default one.
    searched = [schema] if schema is not None else ["main", "temp"]
    try:
        return _PragmaRows([_pragma_of_schema(conn, pragma, name) for name in searched])
    except DBAPIError:
        return None


def _pragma_of_schema(conn: Connection, pragma: str, schema: str) -> dict[str, list[Any]]:
    catalog = "sqlite_temp_master" if schema == "temp" else f"{_quoted(conn, schema)}.sqlite_master"
    literal = "'" + schema.replace("'", "''") + "'"
    query = (
        f"SELECT p.*, m.name FROM {catalog} AS m, pragma_{pragma}(m.name, {literal}) AS p "
        f"WHERE m.type = '{_PRAGMA_OBJECTS[pragma]}'"
    )
    listed = f"SELECT name FROM {catalog} WHERE type = '{_PRAGMA_OBJECTS[pragma]}'"
    found: dict[str, list[Any]] = {row[0]: [] for row in conn.exec_driver_sql(listed)}
    for row in conn.exec_driver_sql(query):
        found.setdefault(row[-1], []).append(row)
    return found


def _quoted(conn: Connection, schema: str) -> str:
    return str(conn.dialect.identifier_preparer.quote_identifier(schema))
