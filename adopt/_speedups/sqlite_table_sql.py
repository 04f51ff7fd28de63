"""SQLite's CREATE statements read in one query, for a read-only transaction's reflection.

SQLAlchemy's SQLite dialect reads a table's primary key, foreign keys and CHECK constraints by
parsing its CREATE statement, and fetches that statement table by table
(`SQLiteDialect._get_table_sql`), each time scanning sqlite_master and sqlite_temp_master: at
1,000 tables, 3,000 scans of a catalog of 4,000 rows, about a tenth of the check. Within
`read_once`, the statements of a schema are read in one query the first time one of them is
asked for, and answered from there. A name the query did not find, or found twice (a temporary
table shadowing a table of the same name), goes to SQLAlchemy's method, which raises
NoSuchTableError as it always does. The statements are read once and trusted until the block
ends: the check's reads on SQLite are not one snapshot with or without this (pysqlite begins no
transaction for a SELECT), so a schema changed by another connection during a check is a race
the check never promised to see; the verification's scratch database is finished and adopt's own.

`_get_table_sql` is private; under a SQLAlchemy newer than TESTED_UP_TO, or one without it, the
reflection is SQLAlchemy's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from adopt._speedups import enabled
from adopt._speedups import tested

# The SQLAlchemy releases whose SQLiteDialect._get_table_sql this was read and tested against
# (tests/test_sqlite_table_sql.py).
TESTED_UP_TO = (2, 1)
METHOD = "_get_table_sql"


def applies(conn: Connection) -> bool:
    """Whether `read_once` answers from one query on `conn` (else it changes nothing)."""
    return (
        enabled()
        and isinstance(conn.dialect, SQLiteDialect)
        and tested(sqlalchemy.__version__, TESTED_UP_TO)
        and callable(getattr(SQLiteDialect, METHOD, None))
        # A dialect of its own that reads the statements otherwise is left to itself.
        and getattr(type(conn.dialect), METHOD) is getattr(SQLiteDialect, METHOD)
    )


@contextmanager
def read_once(conn: Connection) -> Iterator[None]:
    """Within this block, `conn`'s dialect answers the CREATE statements of `conn`'s tables
    from one query per schema (see the module's docstring)."""
    if not applies(conn) or METHOD in vars(conn.dialect):  # nested: the outer block answers
        yield
        return
    dialect: Any = conn.dialect
    # The class's method, with SQLAlchemy's own caching around it: every miss goes there.
    original = getattr(type(dialect), METHOD)
    read: dict[str | None, dict[str, str]] = {}

    def table_sql(connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
        if connection is conn:
            if schema not in read:
                read[schema] = _statements(conn, schema)
            found = read[schema].get(table_name)
            if found is not None:
                return found
        return original(dialect, connection, table_name, schema=schema, **kw)

    # On the instance: another engine's dialect, and this one once the block ends, are untouched.
    setattr(dialect, METHOD, table_sql)
    try:
        yield
    finally:
        vars(dialect).pop(METHOD, None)


def _statements(conn: Connection, schema: str | None) -> dict[str, str]:
    """{name: CREATE statement} of the tables and views of `schema` (main and temp for None),
    as SQLAlchemy's query would find each; a name found twice is left out."""
    prefix = f"{conn.dialect.identifier_preparer.quote_identifier(schema)}." if schema else ""
    # SQLAlchemy's own two forms: with the temporary tables, and without where that fails.
    union = (
        f"SELECT name, sql, type FROM {prefix}sqlite_master UNION ALL "
        f"SELECT name, sql, type FROM {prefix}sqlite_temp_master"
    )
    try:
        rows = _rows(conn, union)
    except DBAPIError:
        rows = _rows(conn, f"SELECT name, sql, type FROM {prefix}sqlite_master")
    found: dict[str, str | None] = {}
    twice: set[str] = set()
    for name, sql in rows:
        if name in found:
            twice.add(name)
        found[name] = sql
    return {name: sql for name, sql in found.items() if name not in twice and sql}


def _rows(conn: Connection, source: str) -> list[tuple[str, str | None]]:
    query = f"SELECT name, sql FROM ({source}) WHERE type IN ('table', 'view')"
    return [(row[0], row[1]) for row in conn.exec_driver_sql(query)]
