"""The rebuild forked beside the check, and large sources compiled in a child (adopt/forked.py):
what a run must keep of the same work done in one process."""

from __future__ import annotations

import importlib.util
import marshal
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import APPS
from helpers import adopt
from helpers import adopt_json
from helpers import scratch_leftovers
from helpers import version_rows
from sqlalchemy.exc import OperationalError

from adopt import forked
from adopt import pipeline
from adopt import verify
from adopt.errors import AdoptError
from adopt.errors import connection_failed


def _record_pids(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Callable[[str], set[int]]:
    """Record the process each upgrade and each check ran in; returns a reader by kind."""

    def recorder(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            with (folder / kind).open("a") as out:
                out.write(f"{os.getpid()}\n")
            return original(*args, **kwargs)

        return recorded

    monkeypatch.setattr(verify, "upgrade", recorder("upgrade", verify.upgrade))
    monkeypatch.setattr(pipeline, "check", recorder("check", pipeline.check))

    def read(kind: str) -> set[int]:
        return {int(line) for line in (folder / kind).read_text().split()}

    return read


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
@pytest.mark.parametrize("fork", [True, False], ids=["forked", "ADOPT_FORK=0"])
def test_run_rebuilds_in_a_child_and_checks_here(
    sample: Callable[..., Any],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    dialect: str,
    fork: bool,
) -> None:
    """On a server the rebuild runs in a child while this process checks the live database;
    the report, the stamp and the cleanup are those of a run in one process."""
    url = make_database(dialect)
    sample("inventory", url)
    before = set(scratch_leftovers(url))
    pids = _record_pids(monkeypatch, tmp_path)
    if not fork:
        monkeypatch.setenv("ADOPT_FORK", "0")
    code, document = adopt_json("run", "--yes", *APPS["inventory"])
    assert code == 0, document
    assert document["verification"]["passed"]
    assert document["verification"]["tables"] == document["check"]["model_tables"] > 0
    assert document["check"]["differences"] == []
    assert version_rows(url) == [document["baseline"]["revision"]]
    assert pids("check") == {os.getpid()}
    assert (os.getpid() not in pids("upgrade")) is fork
    assert set(scratch_leftovers(url)) <= before


def _failing_upgrade(how: str) -> Callable[..., None]:
    def upgrade(*_args: Any, **_kwargs: Any) -> None:
        if how == "adopt-error":
            raise AdoptError(
                "Upgrading an empty scratch database with the baseline failed with "
                "ProgrammingError: CREATE TABLE broken (...); fix it or the models."
            )
        if how == "lost-server":
            raise OperationalError(
                "CREATE TABLE t", {}, Exception("server closed the connection unexpectedly")
            )
        raise KeyError("a bug")

    return upgrade


@pytest.mark.parametrize(
    ("how", "exit_code", "message"),
    [
        ("adopt-error", 1, "failed with ProgrammingError: CREATE TABLE broken"),
        (
            "lost-server",
            4,
            "connection failed mid-run (server closed the connection unexpectedly)",
        ),
        ("unexpected", 1, "rebuild of the scratch schema failed in its child process (KeyError"),
    ],
)
def test_a_rebuild_that_fails_in_its_child_is_reported_here(
    sample: Callable[..., Any],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    exit_code: int,
    message: str,
) -> None:
    """The child's failure comes back as the one-line error a run in one process gives (a lost
    server: exit 4), and, as there, the baseline and the scratch database are gone and the live
    database is not stamped."""
    url = make_database("postgresql")
    project = sample("inventory", url)
    before = set(scratch_leftovers(url))
    monkeypatch.setattr(verify, "upgrade", _failing_upgrade(how))
    result = adopt("run", "--yes", *APPS["inventory"])
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (project / "migrations").exists()
    assert version_rows(url) is None
    assert set(scratch_leftovers(url)) <= before


def test_a_failure_before_the_rebuild_ends_kills_the_child_and_drops_the_scratch(
    sample: Callable[..., Any],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check fails in this process while the child still builds: the child is stopped
    before the scratch database is dropped, and nothing is left."""
    url = make_database("postgresql")
    project = sample("inventory", url)
    before = set(scratch_leftovers(url))
    upgrade = verify.upgrade

    def slow_upgrade(*args: Any, **kwargs: Any) -> None:
        time.sleep(30)
        upgrade(*args, **kwargs)

    def failing_check(*_args: Any, **_kwargs: Any) -> Any:
        raise AdoptError("The check failed on purpose.")

    monkeypatch.setattr(verify, "upgrade", slow_upgrade)
    monkeypatch.setattr(pipeline, "check", failing_check)
    started = time.monotonic()
    result = adopt("run", "--yes", *APPS["inventory"])
    assert result.exit_code == 1, result.output
    assert "The check failed on purpose." in result.output
    assert time.monotonic() - started < 25  # the child was not waited for
    assert not (project / "migrations").exists()
    assert set(scratch_leftovers(url)) <= before


# --- the child's progress ------------------------------------------------------------------------


def test_progress_that_queued_up_shows_its_latest_line() -> None:
    lines: list[str] = []

    def work(progress: Callable[[str], None]) -> str:
        for i in range(50):
            progress(f"step {i}")
        return "done"

    with forked.start(work) as child:
        assert child is not None
        time.sleep(0.5)  # busy with its own work meanwhile
        assert child.result(lines.append, lambda: None) == "done"
    assert lines == ["step 49"]


def test_a_full_pipe_drops_progress_rather_than_hold_the_child_up() -> None:
    def work(progress: Callable[[str], None]) -> float:
        for i in range(20_000):  # ~2 MB of lines, far more than a pipe holds
            progress(f"step {i} " + "x" * 80)
        return time.monotonic()

    with forked.start(work) as child:
        assert child is not None
        time.sleep(2)
        reading = time.monotonic()
        finished = child.result(lambda _line: None, lambda: None)
    assert finished < reading  # the child ended before anyone read its pipe


# --- large sources compiled aside ----------------------------------------------------------------


def _module_source(functions: int) -> str:
    return "\n".join(
        f"def f{i}(x):\n    return {{'n': x + {i}, 'name': 'f{i}'}}\n" for i in range(functions)
    )


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _children_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    started: list[int] = []
    start = forked.start

    def counted(work: Any) -> Any:
        started.append(1)
        return start(work)

    monkeypatch.setattr(forked, "start", counted)
    return started


def test_a_large_module_is_compiled_in_a_child_to_the_same_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    path = tmp_path / "big_module.py"
    path.write_text(_module_source(300))
    started = _children_started(monkeypatch)
    with forked.compiled_aside(min_size=1024):
        module = _load(path)
        loader = importlib.machinery.SourceFileLoader("big_module", str(path))
        code = loader.get_code("big_module")
    assert started == [1, 1]
    assert module.f299(1) == {"n": 300, "name": "f299"}
    expected = compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    assert marshal.dumps(code) == marshal.dumps(expected)


def test_small_modules_and_outside_the_block_compile_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    small, big = tmp_path / "small_module.py", tmp_path / "big_again.py"
    small.write_text(_module_source(2))
    big.write_text(_module_source(300))
    started = _children_started(monkeypatch)
    with forked.compiled_aside(min_size=1024):
        assert _load(small).f1(1)["n"] == 2
    assert _load(big).f0(0)["n"] == 0
    assert started == []


def test_a_syntax_error_is_raised_here_as_compile_raises_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    path = tmp_path / "broken_module.py"
    path.write_text(_module_source(300) + "\ndef broken(:\n    pass\n")
    with forked.compiled_aside(min_size=1024), pytest.raises(SyntaxError) as raised:
        _load(path)
    assert raised.value.filename == str(path)
    assert raised.value.lineno == path.read_text().splitlines().index("def broken(:") + 1


# --- the one line for a lost connection ----------------------------------------------------------


def test_a_lost_connection_without_a_message_still_names_its_cause() -> None:
    error = connection_failed(OperationalError("SELECT 1", {}, Exception("")))
    assert error.exit_code == 4
    assert "failed mid-run (Exception)" in str(error)


# --- pooled connections across the fork ----------------------------------------------------------


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_a_child_opens_its_own_connection_instead_of_the_parents_pooled_one(
    make_database: Callable[[str], str], dialect: str
) -> None:
    """An app's pooled engine used in the forked rebuild (by its env.py) gets a session of the
    child's own; the parent's pooled session is untouched and still answers afterwards."""
    import sqlalchemy as sa

    from adopt import connect  # noqa: F401  (installs the pool guard)

    query = "SELECT pg_backend_pid()" if dialect == "postgresql" else "SELECT CONNECTION_ID()"
    engine = sa.create_engine(make_database(dialect), pool_size=1)
    try:
        with engine.connect() as conn:
            parents = conn.exec_driver_sql(query).scalar()

        def work(_progress: Callable[[str], None]) -> Any:
            with engine.connect() as conn:
                return conn.exec_driver_sql(query).scalar()

        with forked.start(work) as child:
            assert child is not None
            childs = child.result(lambda _line: None, lambda: None)
        assert childs != parents
        with engine.connect() as conn:
            assert conn.exec_driver_sql(query).scalar() == parents
    finally:
        engine.dispose()
