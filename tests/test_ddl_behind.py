"""DDL run behind the caller (adopt._speedups.write_behind): what it must keep of a run statement by
statement."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from adopt._speedups import write_behind
from adopt.reading import connect
from adopt.urls import parse_url

# Tests of the speed-up itself: run with it on whatever ADOPT_SPEEDUPS says.
pytestmark = pytest.mark.usefixtures("speedups_on")

SERVER_DIALECTS = ["postgresql", "mariadb"]


def _models(count: int) -> sa.MetaData:
    """Tables in a chain of foreign keys, each to a column whose unique index is created by
    a CREATE INDEX of its own (which a foreign key needs before it can refer to it)."""
    metadata = sa.MetaData()
    for i in range(count):
        columns: list[Any] = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(20), nullable=False),
            sa.Column("name", sa.String(50)),
        ]
        if i:
            columns.append(sa.Column("parent_code", sa.String(20), sa.ForeignKey(f"t{i - 1}.code")))
        table = sa.Table(f"t{i}", metadata, *columns)
        sa.Index(f"ux_t{i}_code", table.c.code, unique=True)
        sa.Index(f"ix_t{i}_name", table.c.name)
    return metadata


def _build(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """What Alembic's upgrade does: each table, then its indexes, one statement each."""
    for table in metadata.sorted_tables:
        conn.execute(sa.schema.CreateTable(table))
        for index in table.indexes:
            conn.execute(sa.schema.CreateIndex(index))


def _reflected(url: str) -> dict[str, Any]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        names = sorted(inspector.get_table_names())
        return {
            name: (
                sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(name)
                ),
                [tuple(fk["referred_columns"]) for fk in inspector.get_foreign_keys(name)],
            )
            for name in names
        }
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_schema_built_behind_is_the_schema_built_statement_by_statement(
    make_database: Callable[[str], str], dialect: str
) -> None:
    metadata = _models(40)
    behind, plain = make_database(dialect), make_database(dialect)
    engine = connect.create(parse_url(behind), autocommit=True)
    execute = engine.dialect.do_execute
    index_lane = []

    def slow_unique_indexes(cursor: Any, statement: str, *args: Any) -> None:
        # A foreign key needs the unique index of the column it refers to: made slow, a
        # CREATE TABLE that did not wait for it would fail.
        if statement.lstrip().upper().startswith("CREATE UNIQUE INDEX"):
            index_lane.append(threading.current_thread().name)
            time.sleep(0.03)
        execute(cursor, statement, *args)

    engine.dialect.do_execute = slow_unique_indexes  # type: ignore[method-assign]
    seen = []
    try:
        with engine.connect() as conn, conn.begin(), write_behind.ddl_behind(conn):
            _build(conn, metadata)
            # A query in between reads what every statement before it made.
            seen = sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
    assert sorted(seen) == sorted(metadata.tables)
    # The indexes ran on the index connections: one, or several where the dialect has them.
    workers = write_behind.INDEX_WORKERS.get(engine.dialect.name, 1)
    assert index_lane
    assert set(index_lane) <= {f"adopt-ddl-{w}" for w in range(1, workers + 1)}
    reference = sa.create_engine(plain, poolclass=sa.pool.NullPool)
    with reference.begin() as conn:
        _build(conn, metadata)
    reference.dispose()
    assert _reflected(behind) == _reflected(plain)
    assert len(_reflected(behind)) == 40


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_the_first_failing_statement_is_raised_and_nothing_after_it_runs(
    make_database: Callable[[str], str], dialect: str
) -> None:
    metadata = _models(12)
    broken = sa.Table("t5", metadata).indexes
    bad = sa.Index("ix_missing", sa.Column("no_such_column"))
    url = make_database(dialect)
    engine = connect.create(parse_url(url), autocommit=True)
    dialect_obj = engine.dialect
    try:
        with pytest.raises(DBAPIError) as raised, _behind(engine) as conn:
            for table in metadata.sorted_tables:
                conn.execute(sa.schema.CreateTable(table))
                for index in table.indexes:
                    conn.execute(sa.schema.CreateIndex(index))
                if table.name == "t5":
                    bad._set_parent(table)  # an index on a column t5 does not have
                    conn.execute(sa.schema.CreateIndex(bad))
    finally:
        engine.dispose()
    assert broken  # t5 kept its own indexes
    assert "ix_missing" in str(raised.value.statement)
    assert not raised.value.connection_invalidated
    made = _reflected(url)
    assert "t5" in made
    assert not any(int(name[1:]) > 6 for name in made)  # at most the queue ran on: t6
    # The dialect is the engine's own again.
    assert not {"do_execute", *write_behind._WAITING} & set(vars(dialect_obj))


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_an_error_in_the_caller_drops_what_is_queued(
    make_database: Callable[[str], str], dialect: str
) -> None:
    url = make_database(dialect)
    engine = connect.create(parse_url(url), autocommit=True)
    try:
        with (
            pytest.raises(RuntimeError, match="called off"),
            engine.connect() as conn,
            conn.begin(),
            write_behind.ddl_behind(conn),
        ):
            _build(conn, _models(30))
            raise RuntimeError("called off")
        with engine.connect() as conn:  # the connection is usable, the dialect plain
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()
    assert len(_reflected(url)) <= 30


def test_in_a_transaction_statements_stay_on_one_connection(
    make_database: Callable[[str], str],
) -> None:
    """A scratch database lent with --scratch URL is built in one transaction: a second
    session would not see its tables, so the indexes stay on the caller's connection."""
    url = make_database("postgresql")
    engine = connect.create(parse_url(url))
    try:
        with engine.connect() as conn, conn.begin(), write_behind.ddl_behind(conn):
            _build(conn, _models(10))
            backends = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            ).scalar()
    finally:
        engine.dispose()
    assert backends == 1
    assert len(_reflected(url)) == 10


def test_sqlite_runs_in_place() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn, write_behind.ddl_behind(conn):
        assert "do_execute" not in vars(engine.dialect)
        _build(conn, _models(3))
        assert len(sa.inspect(conn).get_table_names()) == 3


@contextlib.contextmanager
def _behind(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection of `engine` whose DDL runs behind it (write_behind.ddl_behind)."""
    with engine.connect() as conn, conn.begin(), write_behind.ddl_behind(conn):
        yield conn


def _gated(engine: sa.Engine) -> tuple[threading.Event, list[str]]:
    """The engine's CREATE statements wait for the event (so that the caller queues them all
    before the first runs, and the workers take full batches); the errors they raise, by type."""
    gate = threading.Event()
    errors: list[str] = []
    execute = engine.dialect.do_execute

    def held(cursor: Any, statement: str, *args: Any) -> None:
        if "CREATE" in statement:  # not the queries of the first connection
            gate.wait(10)
        try:
            execute(cursor, statement, *args)
        except Exception as exc:
            errors.append(type(exc).__name__)
            raise

    engine.dialect.do_execute = held  # type: ignore[method-assign]
    return gate, errors


def _driven(url: str, driver: str) -> sa.URL:
    return parse_url(url).set(drivername="postgresql+" + driver)


def _sent(engine: sa.Engine) -> list[str]:
    """What the engine's dialect sends from now on, one query string per round trip."""
    sent: list[str] = []
    execute = engine.dialect.do_execute

    def recording(cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)
        execute(cursor, statement, *args)

    engine.dialect.do_execute = recording  # type: ignore[method-assign]
    return sent


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_postgresql_sends_ready_statements_together(
    make_database: Callable[[str], str], driver: str
) -> None:
    """In batches: fewer round trips, the same schema, a '%' kept as it is, and CREATE INDEX
    CONCURRENTLY (refused inside a transaction, which a batch is) sent alone."""
    metadata = sa.MetaData()
    for i in range(40):  # foreign keys to primary keys: no table waits for an index
        table = sa.Table(
            f"t{i}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(20), nullable=False),
            sa.Column("name", sa.String(50)),
            sa.Column("up", sa.Integer, sa.ForeignKey(f"t{max(i - 1, 0)}.id")),
        )
        sa.Index(f"ix_t{i}_code", table.c.code)
        sa.Index(f"ix_t{i}_name", table.c.name)
    first = metadata.tables["t0"]
    first.append_constraint(sa.CheckConstraint("code LIKE 'x%'", name="ck_t0_code"))
    sa.Index("ix_t0_both", first.c.code, first.c.name, postgresql_concurrently=True)
    behind, plain = make_database("postgresql"), make_database("postgresql")
    engine = connect.create(_driven(behind, driver), autocommit=True)
    sent = _sent(engine)
    try:
        with engine.connect() as conn, conn.begin(), write_behind.ddl_behind(conn):
            _build(conn, metadata)
        with engine.connect() as conn:
            check = conn.exec_driver_sql(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_t0_code'"
            ).scalar()
    finally:
        engine.dispose()
    statements = len(metadata.tables) + sum(len(t.indexes) for t in metadata.tables.values())
    ddl = [s for s in sent if s.lstrip().upper().startswith("CREATE")]
    assert len(ddl) < statements / 3, (len(ddl), statements)
    assert max(s.count("CREATE ") for s in ddl) <= write_behind.BATCH
    assert [s for s in ddl if "CONCURRENTLY" in s] == [
        next(s for s in ddl if "CONCURRENTLY" in s and s.count("CREATE ") == 1)
    ]
    assert check == "CHECK (((code)::text ~~ 'x%'::text))"
    reference = sa.create_engine(plain, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with reference.connect() as conn:
        _build(conn, metadata)
    reference.dispose()
    assert _reflected(behind) == _reflected(plain)


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_a_batch_that_fails_is_run_again_one_statement_at_a_time(
    make_database: Callable[[str], str], driver: str
) -> None:
    """A table in the middle of a batch fails: the error names its statement, the tables
    before it are made, and none after it (as statement by statement)."""
    metadata = sa.MetaData()
    tables = [
        sa.Table(f"p{i}", metadata, sa.Column("id", sa.Integer, primary_key=True))
        for i in range(12)
    ]
    url = make_database("postgresql")
    engine = connect.create(_driven(url, driver), autocommit=True)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE p5 (other INTEGER)")
    sent = _sent(engine)
    # The first batch waits at the gate while the rest is queued: whatever the first batch
    # took, p5 is sent with other tables (in the first batch, or in the second, which is all
    # the rest).
    gate, _ = _gated(engine)
    try:
        with pytest.raises(DBAPIError) as raised, _behind(engine) as conn:
            for table in tables:
                conn.execute(sa.schema.CreateTable(table))
            gate.set()
    finally:
        gate.set()
        engine.dispose()
    batch = next(s for s in sent if "CREATE TABLE p5" in s)  # the first time p5 was sent
    assert batch.count("CREATE TABLE") > 1  # in a batch, which failed as a whole
    assert "CREATE TABLE p5" in str(raised.value.statement)
    assert "p4" not in str(raised.value.statement)
    assert "already exists" in str(raised.value.orig)
    made = sorted(_reflected(url))
    assert made == ["p0", "p1", "p2", "p3", "p4", "p5"]
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("p5")] == ["other"]


def test_batches_of_the_two_lanes_never_lock_the_same_table(
    make_database: Callable[[str], str],
) -> None:
    """Tables whose foreign keys lock two earlier tables in the order opposite to their
    indexes': with batches holding their locks to their end, an index batch on A then B beside
    a table batch locking B then A would deadlock (the server then kills one, after a second).
    Every statement is queued before the first runs, so that both lanes have full batches."""
    assert write_behind.DEPTH > 2 + 2 * 30
    metadata = sa.MetaData()
    hubs = [
        sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True)) for name in "ab"
    ]
    for hub in hubs:
        sa.Index(f"ix_{hub.name}_id", hub.c.id)
    for i in range(30):  # the indexes fit in one lane's queue (write_behind.DEPTH)
        table = sa.Table(
            f"t{i}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("b_id", sa.Integer, sa.ForeignKey("b.id")),
            sa.Column("a_id", sa.Integer, sa.ForeignKey("a.id")),
        )
        sa.Index(f"ix_t{i}_a", table.c.a_id)
        sa.Index(f"ix_t{i}_b", table.c.b_id)
    url = make_database("postgresql")
    engine = connect.create(parse_url(url), autocommit=True)
    gate, errors = _gated(engine)
    try:
        with _behind(engine) as conn:
            _build(conn, metadata)
            gate.set()
    finally:
        gate.set()
        engine.dispose()
    assert errors == []
    assert len(_reflected(url)) == 32


@pytest.mark.mariadb
def test_mariadb_runs_indexes_of_different_tables_at_once_never_two_on_one_table(
    make_database: Callable[[str], str],
) -> None:
    """MariaDB's index lane has several connections: indexes of different tables run side by
    side, two indexes of one table never do, and the schema is the one built statement by
    statement."""
    metadata = sa.MetaData()
    for i in range(8):  # independent tables, three indexes each
        table = sa.Table(
            f"w{i}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            *(sa.Column(c, sa.Integer) for c in "abc"),
        )
        for c in "abc":
            sa.Index(f"ix_w{i}_{c}", table.c[c])
    behind, plain = make_database("mariadb"), make_database("mariadb")
    engine = connect.create(parse_url(behind), autocommit=True)
    execute = engine.dialect.do_execute
    spans: list[tuple[str, float, float]] = []

    def timed(cursor: Any, statement: str, *args: Any) -> None:
        start = time.perf_counter()
        if statement.lstrip().upper().startswith("CREATE INDEX"):
            time.sleep(0.05)
        execute(cursor, statement, *args)
        if statement.lstrip().upper().startswith("CREATE INDEX"):
            spans.append((statement.split(" ON ")[1].split()[0], start, time.perf_counter()))

    engine.dialect.do_execute = timed  # type: ignore[method-assign]
    try:
        with engine.connect() as conn, conn.begin(), write_behind.ddl_behind(conn):
            _build(conn, metadata)
    finally:
        engine.dispose()
    assert len(spans) == 24

    def overlap(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
        return a[1] < b[2] and b[1] < a[2]

    pairs = [(a, b) for n, a in enumerate(spans) for b in spans[n + 1 :] if overlap(a, b)]
    assert all(a[0] != b[0] for a, b in pairs)  # never two on one table
    assert pairs  # but side by side on different tables
    reference = sa.create_engine(plain, poolclass=sa.pool.NullPool)
    with reference.begin() as conn:
        _build(conn, metadata)
    reference.dispose()
    assert _reflected(behind) == _reflected(plain)
