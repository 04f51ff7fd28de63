"""SQLite's catalog read in bulk (adopt._speedups.sqlite_catalog): the reflection inside
`read_once` is the one SQLAlchemy makes without it, on the catalog's awkward cases (an attached
database, a temporary table shadowing a table, a temporary table of its own, a view, a view
whose table is gone, quoted names, a table without indexes), with a few statements per schema
instead of several per table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adopt import _speedups
from adopt._speedups import sqlite_catalog
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
CREATE INDEX ix_child_parent ON child (parent_id);
CREATE UNIQUE INDEX "ix odd" ON "Odd ""name"" x" (b, a);
CREATE TABLE plain (v TEXT DEFAULT 'x', w REAL);
CREATE VIEW codes AS SELECT code FROM parent;
CREATE TABLE gone (g INTEGER);
CREATE VIEW broken AS SELECT g FROM gone;
DROP TABLE gone;
"""
ATTACHED = """
CREATE TABLE other.parent (pid INTEGER PRIMARY KEY, label TEXT CHECK (label <> ''));
CREATE TABLE other.linked (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (pid));
"""
# A temporary table of the same name as a main one: SQLAlchemy's query decides which it reads.
TEMPORARY = (
    "CREATE TEMP TABLE shadowed (y TEXT, z TEXT, PRIMARY KEY (y))",
    "CREATE TEMP TABLE scratchpad (n INTEGER PRIMARY KEY, label TEXT UNIQUE)",
    "CREATE INDEX temp.ix_scratchpad_label ON scratchpad (label, n)",
)


@pytest.fixture
def conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(_speedups.SWITCH, "1")  # the suite also runs with the switch off
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other")
        raw: Any = connection.connection.dbapi_connection
        raw.executescript(MAIN + ATTACHED)
        for statement in TEMPORARY:
            connection.exec_driver_sql(statement)
        yield connection
    engine.dispose()


KINDS = (
    "columns",
    "pk_constraint",
    "foreign_keys",
    "indexes",
    "unique_constraints",
    "check_constraints",
)


def reflection(conn: Any) -> dict[str, Any]:
    """Everything that reads a CREATE statement or a PRAGMA, for every table of both schemas,
    and what is asked of single names: a view's columns, a table that exists or not."""
    found: dict[str, Any] = {}
    for name in (None, "other"):
        insp: Any = sa.inspect(conn)
        for kind in KINDS:
            found[f"{name}.{kind}"] = dict(getattr(insp, "get_multi_" + kind)(schema=name))
        found[f"{name}.tables"] = {
            t: insp.has_table(t, schema=name) for t in ("parent", "plain", "scratchpad", "nowhere")
        }
    found["view"] = sa.inspect(conn).get_view_definition("codes")
    found["view columns"] = sa.inspect(conn).get_columns("codes")
    found["temporary indexes"] = sa.inspect(conn).get_indexes("scratchpad")
    return found


def catalog_scans(conn: Any, action: Any) -> int:
    """How many statements `action` sends that read one table's CREATE statement or PRAGMA."""
    scans = []

    def count(*args: Any) -> None:
        one_table = args[2].startswith("PRAGMA") and "database_list" not in args[2]
        if one_table or ("sqlite_master" in args[2] and "WHERE name = ?" in args[2]):
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
    with sqlite_catalog.read_once(conn):
        fast_scans = catalog_scans(conn, lambda: fast.update(reflection(conn)))
    assert repr(fast) == repr(plain)  # types compare by identity: by repr
    assert plain["None.pk_constraint"][(None, "shadowed")]["constrained_columns"] in (["x"], ["y"])
    assert plain["other.foreign_keys"][("other", "linked")][0]["referred_table"] == "parent"
    assert [i["name"] for i in plain["temporary indexes"]] == ["ix_scratchpad_label"]
    assert plain["None.tables"] == {
        "parent": True,
        "plain": True,
        "scratchpad": True,
        "nowhere": False,
    }
    assert plain_scans >= 60
    # What still goes to SQLAlchemy's own statements: the shadowed name's CREATE statement
    # (once per kind read), the view's columns, and the names a schema's catalog does not
    # list (has_table of a missing name): 10 here, none of them for a table of either schema.
    assert fast_scans <= 10
    assert not set(sqlite_catalog.METHODS) & set(vars(conn.dialect))


def test_statements_do_not_grow_with_tables(conn: Any) -> None:
    def scans() -> int:
        with sqlite_catalog.read_once(conn):
            return catalog_scans(conn, lambda: reflection(conn))

    before = scans()
    for n in range(20):
        conn.exec_driver_sql(f"CREATE TABLE extra_{n} (id INTEGER PRIMARY KEY, v TEXT)")
        conn.exec_driver_sql(f"CREATE INDEX ix_extra_{n} ON extra_{n} (v)")
    assert scans() == before


def test_a_failing_bulk_read_leaves_the_kind_to_sqlalchemy(
    conn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = reflection(conn)

    def fails(*_args: Any) -> Any:
        raise sa.exc.OperationalError("SELECT ...", None, Exception("no such module: fts9"))

    monkeypatch.setattr(sqlite_catalog, "_pragma_of_schema", fails)
    with sqlite_catalog.read_once(conn):
        assert repr(reflection(conn)) == repr(plain)


def test_the_snapshot_is_the_same(conn: Any) -> None:
    plain = schema.take_all(conn, ["other"])
    with sqlite_catalog.read_once(conn):
        fast = schema.take_all(conn, ["other"])
    assert fast == plain


def test_a_missing_table_is_still_missing(conn: Any) -> None:
    with sqlite_catalog.read_once(conn), pytest.raises(sa.exc.NoSuchTableError):
        sa.inspect(conn).get_pk_constraint("nowhere")


def test_the_plain_path(conn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqlite_catalog.applies(conn)
    with monkeypatch.context() as patched:
        patched.setattr(sa, "__version__", "2.2.0")
        assert not sqlite_catalog.applies(conn)  # a release it was not tested with
    with monkeypatch.context() as patched:
        patched.setenv(_speedups.SWITCH, "0")
        assert not sqlite_catalog.applies(conn)
        with sqlite_catalog.read_once(conn):
            assert not set(sqlite_catalog.METHODS) & set(vars(conn.dialect))


def test_a_dialect_replacing_one_method_keeps_it(conn: Any) -> None:
    class OwnPragmas(sa.dialects.sqlite.pysqlite.SQLiteDialect_pysqlite):
        def _get_table_pragma(self, *args: Any, **kw: Any) -> Any:
            return super()._get_table_pragma(*args, **kw)

    own = OwnPragmas()
    with patched_dialect(conn, own), sqlite_catalog.read_once(conn):
        assert sqlite_catalog.TABLE_SQL in vars(own)
        assert sqlite_catalog.PRAGMA not in vars(own)


def test_nested_blocks_leave_the_dialect_as_it_was(conn: Any) -> None:
    with sqlite_catalog.read_once(conn):
        patched = {name: vars(conn.dialect)[name] for name in sqlite_catalog.METHODS}
        with sqlite_catalog.read_once(conn):
            assert {name: vars(conn.dialect)[name] for name in sqlite_catalog.METHODS} == patched
        assert {name: vars(conn.dialect)[name] for name in sqlite_catalog.METHODS} == patched
        with pytest.raises(sa.exc.NoSuchTableError):
            sa.inspect(conn).get_foreign_keys("nowhere")
        with pytest.raises(sa.exc.NoSuchTableError):
            sa.inspect(conn).get_indexes("nowhere")
    assert not set(sqlite_catalog.METHODS) & set(vars(conn.dialect))


@contextmanager
def patched_dialect(conn: Any, dialect: Any) -> Iterator[None]:
    """`conn` seen through another dialect object, for the length of the block."""
    original = conn.dialect
    conn.dialect = dialect
    try:
        yield
    finally:
        conn.dialect = original
