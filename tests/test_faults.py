"""Injected faults: signals during long steps, a killed run's scratch database, a connection
killed while stamping, a write that fails for lack of space, a migrations folder made
unwritable mid-run (the server stopped mid-run: test_faults_servers.py). Each ends with a clear
error, no half-written revision, no scratch database left, and the live database's schema, rows
and alembic_version as they were (stamped: exactly at head), never in between."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import REQUIRE_SERVERS
from helpers import SERVERS
from helpers import FaultPoint
from helpers import adopt
from helpers import assert_untouched
from helpers import before
from helpers import capture
from helpers import engine
from helpers import error_lines
from helpers import live
from helpers import require_server
from helpers import revision_files
from helpers import scratch_leftovers
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
    """The wide project's live database, with a few rows whose checksums the tests compare."""
    code = (
        "import sqlalchemy as sa, widemodels\n"
        "e = sa.create_engine(%r)\n"
        "widemodels.metadata.create_all(e)\n"
        "with e.begin() as conn:\n"
        "    for n in range(3):\n"
        "        t = widemodels.metadata.tables[f't{n}']\n"
        "        conn.execute(t.insert(), [dict(id=1, name=f'r{n}', v=1.5, parent_id=None),\n"
        "                                  dict(id=2, name=f's{n}', v=2, parent_id=1)])\n"
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


def client_ports(pid: int) -> set[int]:
    """The local TCP ports of process `pid`'s sockets (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def scratch_of(proc: subprocess.Popen[str], dialect: str, timeout: float = 30) -> set[str]:
    """The adopt_scratch_* databases the running adopt `proc` is connected to, found through its
    client ports: other test sessions on the same server make and drop theirs meanwhile."""
    e = sa.create_engine(SERVERS[dialect], poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + timeout
    try:
        while True:
            ports = client_ports(proc.pid)
            with e.connect() as conn:
                if dialect == "postgresql":
                    query = "SELECT datname, client_port FROM pg_stat_activity"
                else:
                    query = "SELECT db, host FROM information_schema.processlist"
                rows = conn.exec_driver_sql(query).all()
            found = {
                str(db)
                for db, where in rows
                if str(db).startswith("adopt_scratch_")
                and int(str(where).rpartition(":")[2] or -1) in ports
            }
            if found:
                return found
            assert proc.poll() is None, "the run ended before it had a scratch database"
            assert time.monotonic() < deadline, "the run never connected to a scratch database"
            time.sleep(0.05)
    finally:
        e.dispose()


def interrupt(proc: subprocess.Popen[str], sig: int) -> None:
    """Send `sig` and wait: the run must end as interrupted (exit 130), in one line."""
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Interrupted" in err and "Traceback" not in err


# SIGINT and SIGTERM take one path (adopt.interrupts): each server gets both steps and both
# signals, paired crosswise, rather than every combination.
@pytest.mark.parametrize(
    ("dialect", "sig", "step"),
    [
        ("postgresql", signal.SIGINT, "Generating the baseline"),
        ("postgresql", signal.SIGTERM, "Verifying"),
        ("mariadb", signal.SIGTERM, "Generating the baseline"),
        ("mariadb", signal.SIGINT, "Verifying"),
    ],
    ids=[
        "postgresql-SIGINT-generating",
        "postgresql-SIGTERM-verifying",
        "mariadb-SIGTERM-generating",
        "mariadb-SIGINT-verifying",
    ],
)
def test_signal_during_a_long_step_leaves_nothing(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str, sig: int, step: str
) -> None:
    url = make_database(dialect)
    wide_project(tmp_path)
    build_wide(tmp_path, url)
    state = live(url)
    proc = start(["baseline", "--models", "widemodels:metadata"], tmp_path, url)
    try:
        wait_for_line(proc, step)
        mine = scratch_of(proc, dialect)  # inside the step, with the scratch database in use
        interrupt(proc, sig)
    finally:
        proc.kill()
    assert not (tmp_path / "migrations").exists()
    assert not (tmp_path / "alembic.ini").exists()
    assert not mine & scratch_databases(dialect), "the run's scratch database was left"
    assert_untouched(url, state, f"signal {sig} during {step!r}")


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_the_scratch_database_is_created(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str, sig: int
) -> None:
    """Interrupted right after CREATE DATABASE, before anything was built in it: the scratch
    database is dropped, nothing is written, exit 130."""
    url = make_database(dialect)
    project = tmp_path / "project"
    project.mkdir()
    wide_project(project, tables=6)
    build_wide(project, url)
    state = live(url)
    fault = FaultPoint(tmp_path / "fault", "scratch")
    proc = fault.start(["baseline", "--models", "widemodels:metadata"], project, url)
    try:
        fault.wait(proc)  # the scratch database exists, with adopt's marker
        mine = set((fault.folder / "reached").read_text().split()) & scratch_databases(dialect)
        interrupt(proc, sig)
    finally:
        proc.kill()
    assert not (project / "migrations").exists()
    assert mine, "the paused run had no scratch database"
    assert not mine & scratch_databases(dialect), "the run's scratch database was left"
    assert_untouched(url, state, f"signal {sig} while the scratch database was created")


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_killed_run_leaves_a_scratch_database_that_clean_drops(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str
) -> None:
    url = make_database(dialect)
    wide_project(tmp_path)
    build_wide(tmp_path, url)
    state = live(url)
    proc = start(["baseline", "--models", "widemodels:metadata"], tmp_path, url)
    wait_for_line(proc, "Generating the baseline")
    left = scratch_of(proc, dialect)  # once its scratch database is in use
    proc.kill()  # SIGKILL: no cleanup can run
    proc.wait()
    assert left  # it had one; another session's clean may drop it from here on
    # A database that merely looks like a scratch one (no marker) is never dropped.
    impostor = f"adopt_scratch_0_x{secrets.token_hex(4)}"  # (unique: sessions run in parallel)
    quote = '"' if dialect == "postgresql" else "`"
    admin = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quote}{impostor}{quote}")
    try:
        dropped: set[str] = set()
        deadline = time.monotonic() + 20
        while not left <= dropped and time.monotonic() < deadline:
            # The server releases the killed run's lock when it notices the connection is gone.
            result = adopt("clean", "--url", url, "--json")
            assert result.exit_code == 0, result.output
            dropped |= set(json.loads(result.stdout)["databases"])
            # (An adopt run or clean of another test session may have dropped it first.)
            dropped |= left - scratch_databases(dialect)
            time.sleep(0.2)
        assert left <= dropped  # the killed run's database: nobody holds its lock
        remaining = scratch_databases(dialect)
        assert not (dropped & remaining)
        assert impostor in remaining
        assert_untouched(url, state, "a run killed while generating, then adopt clean")
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
    state = live(url)
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
    assert_untouched(url, state, "the stamper's connection killed")
    result = adopt("stamp", "--app", "microblog")
    assert result.exit_code == 0, result.output
    assert version_rows(url) == [head]
    assert_untouched(url, state, "stamped after a killed connection", head=head)


def _wait_for_waiter(holder: sa.Connection, dialect: str) -> int:
    if dialect == "postgresql":
        query = (
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_advisory_xact_lock%' "
            "AND pid <> pg_backend_pid() AND state = 'active' "
            "AND datname = current_database()"  # this test's stamper, not another run's
        )
    else:
        query = (
            "SELECT id FROM information_schema.processlist WHERE info LIKE '%GET_LOCK%' "
            "AND id <> CONNECTION_ID() AND db = DATABASE()"
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
    state = live(url)

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
    assert_untouched(url, state, "a full disk while writing the revision")


def immutable(path: Path, on: bool) -> None:
    """chattr +i / -i: a folder even root cannot write into (tests run as root)."""
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True, capture_output=True)


def require_immutable_folders(where: Path) -> None:
    """Skip (fail under ADOPT_REQUIRE_SERVERS=1) where chattr +i is missing or not allowed."""
    probe = where / "immutable-probe"
    probe.mkdir()
    problem = None
    try:
        immutable(probe, True)
    except (OSError, subprocess.CalledProcessError) as exc:
        problem = str(getattr(exc, "stderr", "") or exc).strip()
    else:
        try:
            (probe / "x").touch()
            problem = "a file could still be created in a chattr +i folder"
        except PermissionError:
            pass
        finally:
            immutable(probe, False)
    if problem:
        message = f"cannot make a folder unwritable for root with chattr +i: {problem}"
        if REQUIRE_SERVERS:
            pytest.fail("ADOPT_REQUIRE_SERVERS=1 but " + message)
        pytest.skip(message)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_migrations_folder_made_unwritable_while_generating(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str
) -> None:
    """An empty repository adopt checked as writable becomes unwritable once generation has
    started (chattr +i on migrations/ and versions/, so even root cannot write): one error line,
    exit 1, the repository as it was, no scratch database, the live database untouched."""
    url = make_database(dialect)
    require_immutable_folders(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    wide_project(project, tables=12)
    build_wide(project, url)
    models = ["--models", "widemodels:metadata"]
    env = dict(os.environ, DATABASE_URL=url, NO_COLOR="1")
    made = subprocess.run(
        [PROGRAM, "baseline", *models], cwd=project, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    for path in revision_files(project):  # an empty repository, as 'alembic init' leaves one
        path.unlink()
    state = before(project, url)
    snapshot = live(url)
    fault = FaultPoint(tmp_path / "fault", "generate")
    folders = [project / "migrations", project / "migrations" / "versions"]
    proc = fault.start(["baseline", *models], project, url)
    try:
        fault.wait(proc)  # the folder was checked, the scratch database made: generating
        mine = scratch_of(proc, dialect) if dialect != "sqlite" else set()
        for folder in folders:
            immutable(folder, True)
        fault.release()
        _out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        for folder in reversed(folders):
            immutable(folder, False)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    [line] = error_lines(err)
    assert "Writing the baseline" in line and "permissions" in line, line
    assert capture(project, url) == state[2], "the repository changed"
    assert revision_files(project) == []
    assert not mine & set(scratch_leftovers(url)), "the run's scratch database was left"
    assert_untouched(url, snapshot, "a migrations folder made unwritable")


def test_servers_are_required_in_ci() -> None:
    """Under ADOPT_REQUIRE_SERVERS=1 (.ci/run) both servers must answer, so no test skips."""
    if os.environ.get("ADOPT_REQUIRE_SERVERS") != "1":
        pytest.skip("only meaningful in CI (ADOPT_REQUIRE_SERVERS=1)")
    require_server("postgresql")
    require_server("mariadb")


def test_a_lost_connection_without_a_message_still_names_its_cause() -> None:
    """The driver's error may carry no text: the one line names its type instead of failing."""
    from sqlalchemy.exc import OperationalError

    from adopt.errors import connection_failed

    error = connection_failed(OperationalError("SELECT 1", {}, Exception("")))
    assert error.exit_code == 4
    assert str(error).startswith("The database connection failed mid-run (Exception);")
