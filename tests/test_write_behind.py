"""DDL run behind the caller (adopt/write_behind.py) and the check forked beside the rebuild
(adopt/forked.py): what each must keep of a run statement by statement, in one process."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import APPS
from helpers import adopt_json
from helpers import version_rows
from sqlalchemy.exc import DBAPIError

from adopt import connect
from adopt import forked
from adopt import pipeline
from adopt import write_behind
from adopt.errors import UnreachableError
from adopt.urls import parse_url

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
    assert set(index_lane) == {"adopt-ddl-1"}  # the indexes ran on the second connection
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
        with (
            pytest.raises(DBAPIError) as raised,
            engine.connect() as conn,
            conn.begin(),
            write_behind.ddl_behind(conn),
        ):
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


# --- the forked check -----------------------------------------------------------------------------


def test_forked_work_sends_back_its_progress_and_result() -> None:
    lines: list[str] = []
    ticks = []

    def work(progress: Callable[[str], None]) -> dict[str, int]:
        progress("Reading")
        time.sleep(0.3)
        progress("Comparing")
        return {"pid": os.getpid(), "tables": 3}

    with forked.start(work) as child:
        assert child is not None
        found = child.result(lines.append, lambda: ticks.append(1), every=0.1)
    assert found["tables"] == 3
    assert found["pid"] != os.getpid()  # it ran in the child
    assert lines == ["Reading", "Comparing"]
    assert ticks  # the caller's own progress went on meanwhile
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped


def test_forked_adopt_errors_come_back_whole() -> None:
    def work(_progress: Callable[[str], None]) -> None:
        raise UnreachableError("PostgreSQL at db:5432 refused the connection; start it.")

    with forked.start(work) as child, pytest.raises(UnreachableError, match="refused") as raised:
        assert child is not None
        child.result(lambda _line: None, lambda: None)
    assert raised.value.exit_code == 4


@pytest.mark.parametrize("how", ["unpicklable", "other-error", "died"])
def test_what_cannot_come_back_is_run_again_by_the_caller(how: str) -> None:
    def work(_progress: Callable[[str], None]) -> Any:
        if how == "unpicklable":
            return threading.Lock()
        if how == "other-error":
            raise KeyError("driver detail")
        os._exit(9)

    with forked.start(work) as child, pytest.raises(forked.Rerun):
        assert child is not None
        child.result(lambda _line: None, lambda: None)


def test_the_child_is_killed_when_the_caller_stops() -> None:
    def work(_progress: Callable[[str], None]) -> None:
        time.sleep(60)

    with pytest.raises(KeyboardInterrupt), forked.start(work) as child:
        assert child is not None
        pid = child.pid
        raise KeyboardInterrupt
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_no_fork_beside_adopt_s_own_threads_but_beside_a_spinner() -> None:
    stop = threading.Event()
    spinner = threading.Thread(target=stop.wait, name="rich-refresh")
    spinner.start()
    try:
        with forked.start(lambda _progress: os.getpid()) as child:
            assert child is not None
            assert child.result(lambda _line: None, lambda: None) != os.getpid()
        worker = threading.Thread(target=stop.wait, name="adopt-background")
        worker.start()
        with forked.start(lambda _progress: 1) as child:
            assert child is None  # the caller runs the work itself
    finally:
        stop.set()
        spinner.join()


@pytest.mark.parametrize("fork", [True, False])
def test_adopt_run_checks_in_a_child_and_without_one_alike(
    sample: Callable[..., Any],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fork: bool,
) -> None:
    """The check forked beside the rebuild reports what the check run in this process
    reports, and the run ends at head either way."""
    url = make_database("sqlite")
    sample("inventory", url)
    pids = tmp_path / "check-pids"
    check = pipeline.check

    def recorded(*args: Any, **kwargs: Any) -> Any:
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return check(*args, **kwargs)

    monkeypatch.setattr(pipeline, "check", recorded)
    if not fork:
        monkeypatch.setattr(forked, "available", lambda: False)
    code, document = adopt_json("run", "--yes", *APPS["inventory"])
    assert code == 0, document
    assert document["verification"]["passed"]
    assert version_rows(url) == [document["baseline"]["revision"]]
    checked_in = {int(line) for line in pids.read_text().split()}
    assert (os.getpid() not in checked_in) is fork
    assert document["check"]["differences"] == []
    assert document["check"]["live_tables"] == document["check"]["model_tables"] > 0


CHECK_PIDS_HOOK = """
import os
from adopt import pipeline

_check = pipeline.check


def _recorded(*args, **kwargs):
    with open(os.environ["ADOPT_TEST_CHECK_PIDS"], "a") as out:
        out.write(f"{os.getpid()}\\n")
    return _check(*args, **kwargs)


pipeline.check = _recorded
"""


def test_run_in_a_pseudo_terminal_forks_its_check_beside_the_spinner(
    sample: Callable[..., Any], make_database: Callable[[str], str], tmp_path: Path
) -> None:
    """On a terminal the progress is a spinner, whose refresh thread runs while the check is
    forked: the check still runs in a child, and the run ends at head."""
    pexpect = pytest.importorskip("pexpect")
    url = make_database("sqlite")
    project = sample("microblog", url)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CHECK_PIDS_HOOK)
    pids = tmp_path / "check-pids"
    env = dict(
        os.environ,
        TERM="xterm",
        COLUMNS="100",
        PYTHONPATH=str(hook),
        ADOPT_TEST_CHECK_PIDS=str(pids),
        DATABASE_URL=url,
    )
    env.pop("FLASK_APP", None)
    program = Path(sys.executable).parent / "adopt"
    child = pexpect.spawn(
        str(program),
        ["run", "--yes", *APPS["microblog"]],
        cwd=str(project),
        env=env,
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 100),
    )
    try:
        child.expect("Verified")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    [checked_in] = [int(line) for line in pids.read_text().split()]
    assert checked_in != child.pid
    assert version_rows(url) is not None and len(version_rows(url) or []) == 1
