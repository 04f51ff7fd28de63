"""The database server stopped mid-run, not just one connection killed.

Each test module run starts its own PostgreSQL cluster (initdb + pg_ctl, run as the postgres
user when the tests run as root) and its own MariaDB instance (mariadb-install-db + mariadbd),
in temporary folders on free ports, so that stopping them disturbs nobody else. An adopt
subprocess is held at a point of its run (generating the baseline, verifying it, stamping:
see helpers.FaultPoint), the server is stopped there (PostgreSQL: pg_ctl stop -m immediate;
MariaDB: SIGKILL, a crash), and the run is let go on. Then:

- the run ends with one 'Error:' line (or, for stamp, the target reported unreachable), exit 4
  (a database could not be reached), no traceback;
- no revision file and no repository are left by a baseline run;
- once the server is back: the live schema, its rows and alembic_version are as they were (a
  stamp may be only absent or at head), every scratch database left behind carries adopt's
  signature, 'adopt clean' drops it, and the next run succeeds.

Where the server binaries are missing the tests skip, naming them (ADOPT_REQUIRE_SERVERS=1
turns the skip into a failure)."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import REQUIRE_SERVERS
from helpers import FaultPoint
from helpers import adopt
from helpers import assert_untouched
from helpers import capture
from helpers import error_lines
from helpers import live
from helpers import revision_files
from helpers import version_rows

from adopt.build import scratch

MODELS = ["--models", "faultmodels:metadata"]
FAULT_MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()

author = sa.Table(
    "author",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
)
book = sa.Table(
    "book",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("author.id"), nullable=False),
    sa.Column("title", sa.String(80), nullable=False, index=True),
    sa.Column("price", sa.Numeric(8, 2), server_default="0"),
)
"""


# --- private servers -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing(message: str) -> None:
    if REQUIRE_SERVERS:
        pytest.fail("ADOPT_REQUIRE_SERVERS=1 but " + message)
    pytest.skip(message)


class PrivateServer:
    """A database server of our own, in a temporary folder, on a free port."""

    dialect = ""
    system_user = ""  # the server's own system user, which runs it when the tests run as root

    def __init__(self) -> None:
        self.user: str | None = None
        if os.geteuid() == 0:  # neither server runs as root
            self.user = self.system_user
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                _missing(f"no {self.user!r} system user to run a private {self.dialect} server")
        self.folder = Path(tempfile.mkdtemp(prefix=f"adopt_{self.dialect}_"))
        self.folder.chmod(0o755)
        if self.user:
            os.chown(self.folder, pwd.getpwnam(self.user).pw_uid, -1)
        self.port = _free_port()
        self.running = False

    def run(self, *command: str, timeout: float = 60) -> None:
        done = subprocess.run(
            command,
            user=self.user,
            group=pwd.getpwnam(self.user).pw_gid if self.user else None,
            extra_groups=[] if self.user else None,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def initialise(self, *command: str) -> None:
        try:
            self.run(*command)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    @property
    def url(self) -> sa.URL:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop at once, as a crash or a pulled plug would: no clean shutdown."""
        raise NotImplementedError

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            e = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            try:
                with e.connect():
                    return
            except sa.exc.DBAPIError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            finally:
                e.dispose()

    def execute(self, *statements: str) -> None:
        e = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with e.connect() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        finally:
            e.dispose()

    def database(self) -> str:
        """A new, empty database on this server: its URL."""
        name = "adopt_fault_" + secrets.token_hex(4)
        quote = '"' if self.dialect == "postgresql" else "`"
        self.execute(f"CREATE DATABASE {quote}{name}{quote}")
        return self.url.set(database=name).render_as_string(hide_password=False)

    def scratch_databases(self) -> list[str]:
        if self.dialect == "postgresql":
            query = "SELECT datname FROM pg_database WHERE datname LIKE 'adopt_scratch_%%'"
        else:
            query = (
                "SELECT schema_name FROM information_schema.schemata "
                "WHERE schema_name LIKE 'adopt\\\\_scratch\\\\_%%'"
            )
        e = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with e.connect() as conn:
                return sorted(r[0] for r in conn.exec_driver_sql(query))
        finally:
            e.dispose()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.running:
                self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivatePostgres(PrivateServer):
    dialect = "postgresql"
    system_user = "postgres"

    def __init__(self, bin_dir: Path) -> None:
        super().__init__()
        self.bin = bin_dir
        self.data = self.folder / "data"
        self.initialise(
            str(bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "root",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    @property
    def url(self) -> sa.URL:
        return sa.make_url(f"postgresql+psycopg://root@127.0.0.1:{self.port}/postgres")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True
        self.wait_until_up()

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False


class PrivateMariaDB(PrivateServer):
    dialect = "mariadb"
    system_user = "mysql"

    def __init__(self, install: str, server: str) -> None:
        super().__init__()
        self.server = server
        self.data = self.folder / "data"
        self.process: subprocess.Popen[bytes] | None = None
        user = [f"--user={self.user}"] if self.user else []
        self.initialise(
            install,
            "--no-defaults",
            f"--datadir={self.data}",
            *user,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        )

    @property
    def url(self) -> sa.URL:
        return sa.make_url(f"mysql+pymysql://root@127.0.0.1:{self.port}/")

    def start(self) -> None:
        user = [f"--user={self.user}"] if self.user else []
        self.process = subprocess.Popen(
            [
                self.server,
                "--no-defaults",
                f"--datadir={self.data}",
                *user,
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.folder / 'mariadb.sock'}",
                f"--pid-file={self.folder / 'mariadb.pid'}",
                f"--log-error={self.folder / 'server.log'}",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.running = True
        self.wait_until_up()

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: the server crashes; InnoDB recovers when it restarts
        self.process.wait(30)
        self.running = False


def _postgres_bin() -> Path:
    found = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        _missing("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
    return found[-1]


def _mariadb_binaries() -> tuple[str, str]:
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    server = next(
        (
            found
            for name in ("mariadbd", "mysqld")
            if (found := shutil.which(name) or shutil.which(name, path="/usr/sbin"))
        ),
        None,
    )
    if not install or not server:
        _missing("no MariaDB server binaries (mariadb-install-db and mariadbd)")
    assert install and server
    return install, server


def _private(make: Callable[[], PrivateServer]) -> Iterator[PrivateServer]:
    server = make()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def private_postgresql() -> Iterator[PrivateServer]:
    yield from _private(lambda: PrivatePostgres(_postgres_bin()))


@pytest.fixture(scope="module")
def private_mariadb() -> Iterator[PrivateServer]:
    yield from _private(lambda: PrivateMariaDB(*_mariadb_binaries()))


@pytest.fixture
def private(request: pytest.FixtureRequest) -> Callable[[str], PrivateServer]:
    def get(dialect: str) -> PrivateServer:
        return request.getfixturevalue(f"private_{dialect}")  # type: ignore[no-any-return]

    return get


# --- the project ---------------------------------------------------------------------------------


def make_project(root: Path, url: str) -> Path:
    """A plain SQLAlchemy project whose live database (at url) matches its models and holds
    rows."""
    project = root / "project"
    project.mkdir()
    (project / "faultmodels.py").write_text(FAULT_MODELS)
    namespace: dict[str, Any] = {}
    exec(FAULT_MODELS, namespace)
    e = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with e.begin() as conn:
            namespace["metadata"].create_all(conn)
            conn.execute(namespace["author"].insert(), [{"name": "ann"}, {"name": "bob"}])
            conn.execute(
                namespace["book"].insert(),
                [
                    {"author_id": 1, "title": "one", "price": 9.5},
                    {"author_id": 2, "title": "two", "price": 0},
                ],
            )
    finally:
        e.dispose()
    return project


# --- the tests -----------------------------------------------------------------------------------


STEPS = {
    # point: the command whose run is held there
    "generate": "baseline",
    "verify": "baseline",
    "stamp": "stamp",
}


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
@pytest.mark.parametrize("point", sorted(STEPS))
def test_server_stopped_mid_run(
    private: Callable[[str], PrivateServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
    point: str,
) -> None:
    server = private(dialect)
    url = server.database()
    project = make_project(tmp_path, url)
    monkeypatch.chdir(project)
    monkeypatch.setenv("DATABASE_URL", url)
    head = None
    if point == "stamp":
        made = adopt("baseline", *MODELS)
        assert made.exit_code == 0, made.output
        head = revision_files(project)[0].name.split("_")[0]
    files = capture(project, None).files
    state = live(url)
    assert not server.scratch_databases()
    fault = FaultPoint(tmp_path / "fault", point)
    proc = fault.start([STEPS[point], *MODELS], project, url)
    try:
        fault.wait(proc)  # the run stands at the point, its scratch database made
        server.stop()
        fault.release()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        if not server.running:
            server.start()

    # Safe: nothing written, no traceback.
    assert "Traceback" not in out + err, err
    if STEPS[point] == "baseline":
        assert not (project / "migrations").exists()  # no revision, no repository
        assert not (project / "alembic.ini").exists()
    assert capture(project, None).files == files

    # The server is back: the live database stamped or not, never in between, rows unchanged.
    # (MariaDB commits a CREATE TABLE by itself, DDL being outside transactions there: a stamp
    # stopped before its COMMIT may leave an empty alembic_version, which Alembic and adopt
    # read as "not stamped". On PostgreSQL the table and its row come in one transaction.)
    empty_ok = dialect == "mariadb" and point == "stamp"
    assert_untouched(url, state, f"server stopped at {point!r}", head=head, empty_ok=empty_ok)
    # A scratch database left behind carries adopt's signature; 'adopt clean' drops it.
    left = server.scratch_databases()
    if STEPS[point] == "baseline":
        assert left, "the run's scratch database should have outlived the server"
    assert all(scratch._born(name) is not None for name in left), left
    cleaned = adopt("clean", "--url", url, "--json")
    assert cleaned.exit_code == 0, cleaned.output
    assert sorted(json.loads(cleaned.stdout)["databases"]) == left
    assert server.scratch_databases() == []

    # And the next run succeeds.
    again = adopt(*(["run", "--yes"] if head is None else ["stamp"]), *MODELS)
    assert again.exit_code == 0, again.output
    head = head or revision_files(project)[0].name.split("_")[0]
    assert version_rows(url) == [head]
    assert server.scratch_databases() == []

    # Safe so far; what follows is about the message and the exit code: 4, a database could not
    # be reached, and one line saying so.
    assert proc.returncode == 4, (out, err)
    if STEPS[point] == "baseline":
        [line] = error_lines(err)
        # The check of the live database runs beside the rebuild, in a process of its own:
        # it may still be opening its connection when the server stops.
        lost = "connection failed mid-run" in line and "run the command again" in line
        refused = line.startswith("Error: Cannot connect") and "server is running" in line
        assert lost or refused, line
    else:
        assert "unreachable" in out and "connection lost" in out, out
        assert "run the command again" in out, out
