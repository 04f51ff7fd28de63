"""SQLite's CREATE statements read in one query (adopt._speedups.sqlite_table_sql): the
reflection inside `read_once` is the one SQLAlchemy makes without it, on the catalog's awkward
cases (an attached database, a temporary table shadowing a table, a view, quoted names), with
one catalog scan per schema instead of one per table and question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adopt import _speedups
from adopt._speedups import sqlite_table_sql
from adopt.reading import schema

MAIN = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE "Odd ""name"" x" (a INTEGER, b TEXT, PRIMARY KEY (a, b), CHECK (a > 0));
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE,
    CONSTRAINT positive CHECK (id > 0)
);
CREATE TABLE shadowed (x INTEGER PRIMARY KEY);
CREATE VIEW codes AS SELECT code FROM parent;
"""
ATTACHED = """
CREATE TABLE other.parent (pid INTEGER PRIMARY KEY, label TEXT CHECK (label <> ''));
CREATE TABLE other.linked (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (pid));
"""
# A temporary table of the same name as a main one: SQLAlchemy's query decides which it reads.
TEMPORARY = "CREATE TEMP TABLE shadowed (y TEXT, z TEXT, PRIMARY KEY (y))"


@pytest.fixture
def conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(_speedups.SWITCH, "1")  # the suite also runs with the switch off
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other")
        raw: Any = connection.connection.dbapi_connection
        raw.executescript(MAIN + ATTACHED)
        connection.exec_driver_sql(TEMPORARY)
        yield connection
    engine.dispose()


def reflection(conn: Any) -> dict[str, Any]:
    """Everything that reads a CREATE statement, for every table of both schemas."""
    found: dict[str, Any] = {}
    for name in (None, "other"):
        insp: Any = sa.inspect(conn)
        for kind in ("pk_constraint", "foreign_keys", "check_constraints", "unique_constraints"):
            found[f"{name}.{kind}"] = dict(getattr(insp, "get_multi_" + kind)(schema=name))
        found[f"{name}.view"] = insp.get_view_definition("codes") if name is None else None
    return found


def catalog_scans(conn: Any, action: Any) -> int:
    """How many times `action` looks up one table's CREATE statement in the catalog."""
    scans = []

    def count(*args: Any) -> None:
        if "sqlite_master" in args[2] and "WHERE name = ?" in args[2]:
            scans.append(args[2])

    sa.event.listen(conn, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(conn, "before_cursor_execute", count)
    return len(scans)


def test_the_reflection_is_sqlalchemys_own_with_one_scan_per_schema(conn: Any) -> None:
    plain: dict[str, Any] = {}
    fast: dict[str, Any] = {}
    plain_scans = catalog_scans(conn, lambda: plain.update(reflection(conn)))
    with sqlite_table_sql.read_once(conn):
        fast_scans = catalog_scans(conn, lambda: fast.update(reflection(conn)))
    assert fast == plain
    assert plain["None.pk_constraint"][(None, "shadowed")]["constrained_columns"] in (["x"], ["y"])
    assert plain["other.foreign_keys"][("other", "linked")][0]["referred_table"] == "parent"
    assert plain_scans >= 3 * 6
    # Only the shadowed name still goes to SQLAlchemy's own query, once per kind read; the
    # two reads of all the statements are not per table.
    assert fast_scans == 4
    assert sqlite_table_sql.METHOD not in vars(conn.dialect)


def test_the_snapshot_is_the_same(conn: Any) -> None:
    plain = schema.take_all(conn, ["other"])
    with sqlite_table_sql.read_once(conn):
        fast = schema.take_all(conn, ["other"])
    assert fast == plain


def test_a_missing_table_is_still_missing(conn: Any) -> None:
    with sqlite_table_sql.read_once(conn), pytest.raises(sa.exc.NoSuchTableError):
        sa.inspect(conn).get_pk_constraint("nowhere")


def test_the_plain_path(conn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqlite_table_sql.applies(conn)
    with monkeypatch.context() as patched:
        patched.setattr(sa, "__version__", "2.2.0")
        assert not sqlite_table_sql.applies(conn)  # a release it was not tested with
    with monkeypatch.context() as patched:
        patched.setenv(_speedups.SWITCH, "0")
        assert not sqlite_table_sql.applies(conn)
        with sqlite_table_sql.read_once(conn):
            assert sqlite_table_sql.METHOD not in vars(conn.dialect)


def test_nested_blocks_leave_the_dialect_as_it_was(conn: Any) -> None:
    with sqlite_table_sql.read_once(conn):
        patched = vars(conn.dialect)[sqlite_table_sql.METHOD]
        with sqlite_table_sql.read_once(conn):
            assert vars(conn.dialect)[sqlite_table_sql.METHOD] is patched
        assert vars(conn.dialect)[sqlite_table_sql.METHOD] is patched
        with pytest.raises(sa.exc.NoSuchTableError):
            sa.inspect(conn).get_foreign_keys("nowhere")
    assert sqlite_table_sql.METHOD not in vars(conn.dialect)
