"""Injected faults: signals during long steps, a killed run's scratch database, a connection
killed while stamping, a write that fails for lack of space. Each ends with a clear error, no
half-written revision, no scratch database left, and the database stamped or not, never between."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import SERVERS
from conftest import require_server
from helpers import adopt
from helpers import assert_no_new_scratch
from helpers import engine
from helpers import revision_files
from helpers import version_rows

PROGRAM = str(Path(sys.executable).parent / "adopt")


def wide_project(root: Path, tables: int = 250) -> None:
    """A plain SQLAlchemy project with many tables, so each step lasts long enough to hit."""
    lines = ["import sqlalchemy as sa", "metadata = sa.MetaData()"]
    for n in range(tables):
        parent = max(n - 1, 0)
        lines.append(
            f"sa.Table('t{n}', metadata, sa.Column('id', sa.Integer, primary_key=True), "
            f"sa.Column('name', sa.String(50), index=True), sa.Column('v', sa.Numeric(10, 2)), "
            f"sa.Column('parent_id', sa.Integer, sa.ForeignKey('t{parent}.id')))"
        )
    (root / "widemodels.py").write_text("\n".join(lines) + "\n")


def build_wide(root: Path, url: str) -> None:
    code = (
        "import sqlalchemy as sa, widemodels; widemodels.metadata.create_all(sa.create_engine(%r))"
    )
    subprocess.run([sys.executable, "-c", code % url], cwd=root, check=True)


def start(args: list[str], root: Path, url: str) -> subprocess.Popen[str]:
    env = dict(os.environ, DATABASE_URL=url, NO_COLOR="1")
    return subprocess.Popen(
        [PROGRAM, *args],
        cwd=root,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_line(proc: subprocess.Popen[str], text: str, timeout: float = 60) -> list[str]:
    """Read stderr until a progress line contains `text`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"never saw {text!r}: {seen}")


def scratch_databases(dialect: str) -> set[str]:
    e = sa.create_engine(SERVERS[dialect])
    with e.connect() as conn:
        if dialect == "postgresql":
            query = "SELECT datname FROM pg_database WHERE datname LIKE 'adopt_scratch_%'"
        else:
            query = (
                "SELECT schema_name FROM information_schema.schemata "
                "WHERE schema_name LIKE 'adopt_scratch_%'"
            )
        names = {r[0] for r in conn.execute(sa.text(query))}
    e.dispose()
    return names


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("step", ["Generating the baseline", "Verifying"])
def test_signal_during_a_long_step_leaves_nothing(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str, sig: int, step: str
) -> None:
    url = make_database(dialect)
    wide_project(tmp_path)
    build_wide(tmp_path, url)
    before = scratch_databases(dialect)
    proc = start(["baseline", "--models", "widemodels:metadata"], tmp_path, url)
    try:
        wait_for_line(proc, step)
        time.sleep(0.3)  # inside the step, with the scratch database in use
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "migrations").exists()
    assert not (tmp_path / "alembic.ini").exists()
    assert_no_new_scratch(url, before)
    assert version_rows(url) is None


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_killed_run_leaves_a_scratch_database_that_clean_drops(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str
) -> None:
    url = make_database(dialect)
    wide_project(tmp_path)
    build_wide(tmp_path, url)
    before = scratch_databases(dialect)
    proc = start(["baseline", "--models", "widemodels:metadata"], tmp_path, url)
    wait_for_line(proc, "Generating the baseline")
    deadline = time.monotonic() + 30
    while not (left := scratch_databases(dialect) - before) and time.monotonic() < deadline:
        time.sleep(0.1)  # until its scratch database exists
    proc.kill()  # SIGKILL: no cleanup can run
    proc.wait()
    assert left  # the killed run's (others' runs on the same server may add theirs)
    # A database that merely looks like a scratch one (no marker) is never dropped.
    impostor = "adopt_scratch_0_deadbeef"
    quote = '"' if dialect == "postgresql" else "`"
    admin = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quote}{impostor}{quote}")
    try:
        dropped: set[str] = set()
        deadline = time.monotonic() + 20
        while not dropped & left and time.monotonic() < deadline:
            # The server releases the killed run's lock when it notices the connection is gone.
            result = adopt("clean", "--url", url, "--json")
            assert result.exit_code == 0, result.output
            dropped |= set(json.loads(result.stdout)["databases"])
            time.sleep(0.2)
        assert dropped & left  # the killed run's database: nobody holds its lock
        remaining = scratch_databases(dialect)
        assert not (dropped & remaining)
        assert impostor in remaining
    finally:
        force = " WITH (FORCE)" if dialect == "postgresql" else ""
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{impostor}{quote}{force}")
        admin.dispose()


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_connection_killed_while_stamping(
    make_database: Callable[[str], str], sample: Callable[..., Path], dialect: str
) -> None:
    url = make_database(dialect)
    project = sample("microblog", url)
    assert adopt("baseline", "--app", "microblog").exit_code == 0
    head = revision_files(project)[0].name.split("_")[0]
    # Hold the stamp lock so the stamper waits inside its transaction, then kill its session.
    holder_engine = engine(url)
    holder = holder_engine.connect()
    name = f"adopt_stamp:{sa.engine.make_url(url).database}:"
    if dialect == "postgresql":
        holder.execute(sa.text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": name})
    else:
        holder.execute(sa.text("SELECT GET_LOCK(:n, 10)"), {"n": name})
    holder.commit()
    proc = start(["stamp", "--app", "microblog", "--json"], project, url)
    try:
        victim = _wait_for_waiter(holder, dialect)
        if dialect == "postgresql":
            holder.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": victim})
        else:
            holder.exec_driver_sql(f"KILL {int(victim)}")
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        holder.close()
        holder_engine.dispose()
    assert proc.returncode == 4, (out, err)
    assert "connection lost" in out
    assert version_rows(url) in (None, [])  # not stamped, not half-stamped
    result = adopt("stamp", "--app", "microblog")
    assert result.exit_code == 0, result.output
    assert version_rows(url) == [head]


def _wait_for_waiter(holder: sa.Connection, dialect: str) -> int:
    if dialect == "postgresql":
        query = (
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_advisory_xact_lock%' "
            "AND pid <> pg_backend_pid() AND state = 'active'"
        )
    else:
        query = (
            "SELECT id FROM information_schema.processlist WHERE info LIKE '%GET_LOCK%' "
            "AND id <> CONNECTION_ID()"
        )
    for _ in range(400):
        row = holder.execute(sa.text(query)).first()
        holder.commit()
        if row:
            return int(row[0])
        time.sleep(0.05)
    raise AssertionError("the stamper never waited for the lock")


def test_disk_full_while_writing_the_revision(
    tmp_path: Path, make_database: Callable[[str], str]
) -> None:
    url = make_database("sqlite")
    wide_project(tmp_path, tables=40)
    build_wide(tmp_path, url)

    def small_files() -> None:  # the child cannot write a file over 16 KB: like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_000, 16_000))

    env = dict(os.environ, DATABASE_URL=url, NO_COLOR="1")
    done = subprocess.run(
        [PROGRAM, "baseline", "--models", "widemodels:metadata"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert done.returncode == 1, done.stderr
    assert "Writing the baseline" in done.stderr and "free disk space" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "migrations").exists()  # the repository this run created is gone too
    assert not (tmp_path / "alembic.ini").exists()
    assert version_rows(url) is None


def test_servers_are_required_in_ci() -> None:
    """Under ADOPT_REQUIRE_SERVERS=1 (.ci/run) both servers must answer, so no test skips."""
    if os.environ.get("ADOPT_REQUIRE_SERVERS") != "1":
        pytest.skip("only meaningful in CI (ADOPT_REQUIRE_SERVERS=1)")
    require_server("postgresql")
    require_server("mariadb")
