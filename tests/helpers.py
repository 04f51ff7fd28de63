"""Assertions on real databases: schemas, rows, alembic_version, leftover scratch databases."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import queue
import runpy
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from click.testing import Result
from sqlalchemy.engine import make_url

from adopt.cli import cli
from adopt.reading import schema

# --- the servers and samples every test module uses ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
REQUIRE_SERVERS = os.environ.get("ADOPT_REQUIRE_SERVERS") == "1"
SERVERS = {
    "postgresql": os.environ.get(
        "ADOPT_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("ADOPT_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
TEST_DB_PREFIX = "adopt_test_"
_reachability: dict[str, str | None] = {}


def server_problem(dialect: str) -> str | None:
    """None if the server answers, else why not (checked once per run)."""
    if dialect not in _reachability:
        engine = sa.create_engine(SERVERS[dialect], connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                _reachability[dialect] = None
        except Exception as exc:
            _reachability[dialect] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            engine.dispose()
    return _reachability[dialect]


def require_server(dialect: str) -> None:
    if dialect == "sqlite":
        return
    problem = server_problem(dialect)
    if problem:
        message = (
            f"no {dialect} server at {make_url(SERVERS[dialect]).render_as_string()}: {problem}"
        )
        if REQUIRE_SERVERS:
            pytest.fail("ADOPT_REQUIRE_SERVERS=1 but " + message)
        pytest.skip(message)


def admin_execute(dialect: str, statement: str) -> None:
    engine = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


class LateDrops:
    """Drops the tests' databases on a thread of its own, one after another. A database of
    many tables takes the server seconds to remove; the test that made it is over by then, so
    its teardown hands the name here and the next test starts meanwhile. `finish` waits for the
    last ones when the session ends."""

    def __init__(self) -> None:
        self._names: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.failures: list[str] = []

    def drop(self, dialect: str, name: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="late-drops", daemon=True)
            self._thread.start()
        self._names.put((dialect, name))

    def finish(self, timeout: float = 300) -> list[str]:
        """Wait for every drop handed over; what could not be dropped, and why."""
        if self._thread is not None:
            self._names.put(None)
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.failures.append(f"drops still running after {timeout:.0f} s")
            self._thread = None
        return self.failures

    def _run(self) -> None:
        while (item := self._names.get()) is not None:
            dialect, name = item
            force = " WITH (FORCE)" if dialect == "postgresql" else ""
            try:
                admin_execute(dialect, f"DROP DATABASE IF EXISTS {quoted(dialect, name)}{force}")
            except Exception as exc:  # a leftover under a unique name harms no other run
                self.failures.append(f"{name}: {(str(exc) or repr(exc)).splitlines()[0]}")


def quoted(dialect: str, name: str) -> str:
    return f'"{name}"' if dialect == "postgresql" else f"`{name}`"


def build(project: Path, url: str | None) -> None:
    """Run the sample's build_legacy_db.py against `url` (else the sample's default), in this
    process: a new interpreter would spend most of its second importing Flask and SQLAlchemy,
    and the suite builds a sample database a few hundred times. The script's modules, its
    sys.path entry, $DATABASE_URL, argv and the working directory are put back afterwards, and
    the project's modules are forgotten before and after, so that the build and the next command
    under test each import the project afresh, as a new process would."""
    script = project / "build_legacy_db.py"
    path, argv, cwd = list(sys.path), list(sys.argv), os.getcwd()
    before = os.environ.get("DATABASE_URL")
    forget_project_modules()  # a command under test may have imported this project's config
    try:
        if url:
            os.environ["DATABASE_URL"] = url
        sys.argv = [str(script)]
        os.chdir(project)
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(script), run_name="__main__")
    finally:
        os.chdir(cwd)
        sys.argv, sys.path[:] = argv, path
        if before is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = before
        forget_project_modules()


def forget_project_modules() -> None:
    """Forget every module imported from outside the installed packages and this repository:
    the samples' projects (copied to temporary folders) use generic names (app, config)."""
    kept = (sys.prefix, sys.base_prefix, str(ROOT))
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if origin and not origin.startswith(kept):
            del sys.modules[name]


APPS = {
    "microblog": ["--app", "microblog"],
    "inventory": ["--models", "inventory.models:Base"],
    "pgshop": ["--app", "shop"],
}


def adopt(*args: str, obj: dict[str, Any] | None = None, input: Any = None) -> Result:
    result = CliRunner().invoke(cli, list(args), obj=obj if obj is not None else {}, input=input)
    if "--json" in args and result.stdout.strip():
        # Every --json document any test sees honours the shipped contract.
        assert_valid_json(result.stdout)
    return result


def assert_valid_json(stdout: str) -> dict[str, Any]:
    """The one JSON document on stdout, checked against adopt/schemas/output.schema.json."""
    import jsonschema

    from adopt.ui import json_output

    document: dict[str, Any] = json.loads(stdout)
    jsonschema.Draft202012Validator(json_output.schema()).validate(document)
    return document


def adopt_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = adopt(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def version_rows(url: str) -> list[str] | None:
    """alembic_version's rows, or None when the table does not exist."""
    e = engine(url)
    try:
        with e.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return sorted(
                r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            )
    finally:
        e.dispose()


def row_checksums(url: str) -> dict[str, str]:
    """A digest of every row of every table (alembic_version excluded), order-independent."""
    e = engine(url)
    out = {}
    try:
        with e.connect() as conn:
            md = sa.MetaData()
            md.reflect(conn)
            for table in md.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = sorted(repr(tuple(r)) for r in conn.execute(table.select()))
                out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    finally:
        e.dispose()
    return out


def snapshot(url: str) -> schema.Snapshot:
    e = engine(url)
    try:
        with e.connect() as conn:
            return schema.take(conn)
    finally:
        e.dispose()


def schema_differences(expected_url: str, actual_url: str) -> list[Any]:
    """Differences between two schemas, ignoring names the server made up (*_ibfk_N...)."""
    found = schema.compare(
        snapshot(expected_url), snapshot(actual_url), expected_label="live", actual_label="rebuilt"
    )
    return [d for d in found if not d.kind.endswith("_generated_name")]


def scratch_leftovers(url: str) -> list[str]:
    """Databases named adopt_scratch_* on the server behind url."""
    e = engine(url)
    try:
        with e.connect() as conn:
            if conn.dialect.name == "sqlite":
                return []
            if conn.dialect.name == "postgresql":
                rows = conn.exec_driver_sql(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'adopt_scratch_%%'"
                )
            else:
                rows = conn.exec_driver_sql("SHOW DATABASES LIKE 'adopt\\\\_scratch\\\\_%%'")
            return [r[0] for r in rows]
    finally:
        e.dispose()


def recording_scratch_names(monkeypatch: Any) -> list[str]:
    """The names of the scratch databases this process creates from now on (its own, unlike
    what scratch_leftovers sees on a server other test sessions share)."""
    from adopt.build import scratch

    made: list[str] = []
    original = scratch.scratch_name

    def recorded(born: float | None = None) -> str:
        name = original(born)
        made.append(name)
        return name

    monkeypatch.setattr(scratch, "scratch_name", recorded)
    return made


def assert_gone(url: str, names: list[str]) -> None:
    """None of these scratch databases is left on the server behind url."""
    left = sorted(set(names) & set(scratch_leftovers(url)))
    assert not left, f"scratch databases left behind: {left}"


def revision_files(project: Path, directory: str = "migrations") -> list[Path]:
    return sorted((project / directory / "versions").glob("*.py"))


# --- the live database's state (shared by the safety, bad-input and fault tests) -----------------


@dataclass(frozen=True)
class Live:
    """Everything of the live database a read-only command must leave as it was."""

    names: tuple[str, ...]  # every table, alembic_version included
    tables: dict[str, Any] = field(repr=False)  # schema.Snapshot.tables (alembic_version aside)
    rows: dict[str, str] = field(repr=False)
    versions: list[str] | None


def live(url: str) -> Live:
    """One connection: the table names, the schema snapshot, a digest of each table's rows
    (order-independent) and alembic_version's rows."""
    e = engine(url)
    try:
        with e.connect() as conn:
            names = tuple(sorted(sa.inspect(conn).get_table_names()))
            tables = schema.take(conn).tables
            rows = {}
            for name in names:  # compiled, so names with quotes or '%' are escaped
                query = sa.select(sa.literal_column("*")).select_from(sa.table(name))
                found = sorted(repr(tuple(r)) for r in conn.execute(query))
                rows[name] = hashlib.sha256("\n".join(found).encode()).hexdigest()
            versions = rows.pop("alembic_version", None) and sorted(
                str(r[0]) for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            )
    finally:
        e.dispose()
    return Live(names, tables, rows, versions if "alembic_version" in names else None)


def assert_untouched(
    url: str, expected: Live, what: str, *, head: str | None = None, empty_ok: bool = False
) -> None:
    """The live schema, its rows and alembic_version are as they were. With `head`, the one
    write adopt may make is allowed: alembic_version (created if need be) holding exactly head.
    With empty_ok, an empty alembic_version may have appeared (it reads as "not stamped")."""
    after = live(url)
    names = after.names
    allowed = [expected.versions] + ([[head]] if head is not None else [])
    allowed += [[]] if empty_ok else []
    if after.versions != expected.versions and after.versions in allowed:
        names = tuple(n for n in names if n != "alembic_version" or n in expected.names)
    assert names == expected.names, f"{what}: tables appeared or vanished"
    if after.tables != expected.tables:
        found = schema.compare(
            schema.Snapshot(expected.tables),
            schema.Snapshot(after.tables),
            expected_label="schema before",
            actual_label="schema after",
        )
        pytest.fail(f"{what}: the live schema changed: {found}")
    assert after.rows == expected.rows, f"{what}: the live rows changed"
    assert after.versions in allowed, f"{what}: alembic_version is {after.versions}"


# --- the refusal contract: a refused command changes nothing -------------------------------------


IGNORED = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class State:
    """Everything a refused command must leave as it was. (Leftover adopt_scratch_* databases
    are not compared: none of these refusals gets as far as making one, and other test runs
    on the same server make and drop theirs at any moment.)"""

    rows: dict[str, str] | None
    versions: list[str] | None
    files: dict[str, bytes]


def capture(project: Path, url: str | None) -> State:
    files = {}
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project)
        if IGNORED & set(rel.parts) or path.suffix in {".db", ".db-journal"}:
            continue  # databases are compared through their rows and alembic_version
        key = str(rel) + ("/" if path.is_dir() else "")
        files[key] = path.read_bytes() if path.is_file() else b""
    return State(
        rows=row_checksums(url) if url else None,
        versions=version_rows(url) if url else None,
        files=files,
    )


def assert_refused(
    result: Result,
    code: int,
    before: tuple[Path, str | None, State],
    *fragments: str,
    secret: str | None = None,
) -> str:
    """The documented exit code, one 'Error:' line holding every fragment (case-insensitive),
    no traceback, nothing changed. Returns the error line."""
    project, url, state = before
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment.lower() in errors[0].lower(), errors[0]
    if secret is not None:
        assert secret not in result.stdout and secret not in result.stderr
    after = capture(project, url)
    assert after.files == state.files, "the project's files changed"
    assert after.rows == state.rows, "the live rows changed"
    assert after.versions == state.versions, "alembic_version changed"
    if not any(name.startswith("migrations") for name in state.files):
        assert not (project / "migrations").exists()
    return errors[0]


def before(project: Path, url: str | None = None) -> tuple[Path, str | None, State]:
    return project, url, capture(project, url)


# --- faults injected mid-run into an adopt subprocess --------------------------------------------

# A sitecustomize for the adopt subprocess: at a point of the run (named by ADOPT_TEST_FAULT_AT)
# it announces itself with a file 'reached' and waits for a file 'go', so that the test injects
# its fault (a folder made unwritable, a server stopped) exactly there, then lets the run go on.
# The points are Alembic's, not adopt's, so that they survive changes in adopt's own code.
FAULT_HOOK = """\
import os
import time

_POINTS = {
    # point: (module, class, method, pause after the call rather than before)
    "generate": ("alembic.autogenerate.api", "RevisionContext", "run_autogenerate", False),
    "verify": ("alembic.script.base", "ScriptDirectory", "_upgrade_revs", False),
    "stamp": ("alembic.runtime.migration", "MigrationContext", "stamp", True),
    # just after CREATE DATABASE (and its marker), before anything is built in it
    "scratch": ("adopt.build.scratch", "", "_create_database", True),
    # just after the run noted a change that stays (a baseline kept, a stamp committed)
    "committed": ("adopt.committed", "", "record", True),
}


def _install(point, folder):
    import importlib

    module, cls, name, after = _POINTS[point]
    owner = importlib.import_module(module)
    owner = getattr(owner, cls) if cls else owner
    original = getattr(owner, name)
    fired = []

    def pause(args):
        if fired:
            return
        fired.append(True)
        # the call's text arguments (the scratch database's name), for the test to read;
        # written aside and renamed, so that the test never sees the file before its text
        with open(os.path.join(folder, "reached.part"), "w") as reached:
            reached.write(" ".join(a for a in args if isinstance(a, str)))
        os.replace(os.path.join(folder, "reached.part"), os.path.join(folder, "reached"))
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(folder, "go")) and time.monotonic() < deadline:
            time.sleep(0.02)

    def hooked(*args, **kwargs):
        if not after:
            pause(args)
        result = original(*args, **kwargs)
        if after:
            pause(args)
        return result

    setattr(owner, name, hooked)


if os.environ.get("ADOPT_TEST_FAULT_AT"):
    _install(os.environ["ADOPT_TEST_FAULT_AT"], os.environ["ADOPT_TEST_FAULT_DIR"])
"""


class FaultPoint:
    """Stops an adopt subprocess at `point` (generate, verify, stamp, scratch, committed) until
    release()."""

    def __init__(self, folder: Path, point: str) -> None:
        self.folder = folder
        self.point = point
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(FAULT_HOOK)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, NO_COLOR="1", **extra)
        path = [str(self.folder)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        env["PYTHONPATH"] = os.pathsep.join(path)
        env.update(ADOPT_TEST_FAULT_AT=self.point, ADOPT_TEST_FAULT_DIR=str(self.folder))
        for var in ("FLASK_APP", "COLUMNS"):
            env.pop(var, None)
        return env

    def wait(self, proc: subprocess.Popen[str], timeout: float = 60) -> None:
        """Until the run stands at the point (fails with its output if it ended before)."""
        deadline = time.monotonic() + timeout
        while not (self.folder / "reached").exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(
                    f"the run ended (exit {proc.returncode}) before {self.point!r}:\n{out}\n{err}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"the run never reached {self.point!r}")
            time.sleep(0.02)

    def release(self) -> None:
        (self.folder / "go").touch()

    def start(self, args: list[str], cwd: Path, url: str) -> subprocess.Popen[str]:
        """The installed adopt, run with this fault point, on the live database `url`."""
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "adopt"), *args],
            cwd=cwd,
            env=self.env(DATABASE_URL=url),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error:")]


# --- prompters that answer the wizard without a terminal ----------------------------------------


class Prompts:
    """The wizard's Prompter, answered by `_answer` (each subclass says how)."""

    def __init__(self, edit: Callable[[Path], None] | None = None) -> None:
        self.asked: list[str] = []
        self._edit = edit

    def _answer(self, message: str) -> Any:
        raise NotImplementedError

    def confirm(self, message: str, default: bool = True) -> bool:
        return bool(self._answer(message))

    def select(self, message: str, choices: list[Any], default: str | None = None) -> str:
        answer = self._answer(message)
        assert answer in [c.value for c in choices], (answer, choices)
        return str(answer)

    def text(self, message: str, default: str = "") -> str:
        return str(self._answer(message))

    def edit(self, path: Path) -> None:
        self._answer("edit")
        assert self._edit is not None
        self._edit(path)


class Scripted(Prompts):
    """Answers questions from a list, checking each question's subject on the way."""

    def __init__(self, *answers: tuple[str, Any], edit: Callable[[Path], None] | None = None):
        super().__init__(edit)
        self.answers = list(answers)

    def _answer(self, message: str) -> Any:
        self.asked.append(message)
        assert self.answers, f"unexpected question: {message}"
        expected, answer = self.answers.pop(0)
        assert expected.lower() in message.lower(), f"asked {message!r}, expected {expected!r}"
        if isinstance(answer, BaseException):
            raise answer
        return answer


class ByQuestion(Prompts):
    """Answers each question by the first phrase of `answers` it contains, in any order."""

    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__()
        self.answers = answers

    def _answer(self, message: str) -> Any:
        self.asked.append(message)
        for phrase, answer in self.answers.items():
            if phrase.lower() in message.lower():
                return answer
        raise AssertionError(f"unexpected question: {message}")


# --- the wizard in a real pseudo-terminal -------------------------------------------------------

ENTER, DOWN = "\r", "\x1b[B"
# The wizard's questions on a project that matches its models, answered with the defaults.
WIZARD_STEPS: list[tuple[str, str | None]] = [
    ("Is this right", ENTER),
    ("Use it", ENTER),
    ("verdict on the baseline", ENTER),
    ("Stamp the live database", "y"),
    ("Another database", ENTER),
    ("Next steps", None),
]


@dataclass(frozen=True)
class Conversation:
    exit_status: int | None
    text: str  # what the terminal showed after the last expected line


def in_a_terminal(
    program: str, args: list[str], cwd: Path, steps: list[tuple[str, str | None]], **env: str
) -> Conversation:
    """Run `program` (adopt, flask) from the venv in a pseudo-terminal; for each step, wait for
    its text and type its keys (None: nothing), then wait for the end."""
    import pexpect

    environment = dict(os.environ, PAGER="cat", TERM="xterm", COLUMNS="120", LINES="40")
    environment.update(env)
    environment.pop("FLASK_APP", None)
    child = pexpect.spawn(
        str(Path(sys.executable).parent / program),
        args,
        cwd=str(cwd),
        env=environment,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
    )
    try:
        for expected, keys in steps:
            child.expect(expected)
            if keys is not None:
                child.send(keys)
        child.expect(pexpect.EOF)
        text = str(child.before)
    finally:
        child.close()
    return Conversation(child.exitstatus, text)


def alembic_upgrade(project: Path, url: str) -> subprocess.CompletedProcess[str]:
    """`alembic upgrade head` in `project`, its env.py reading the database from DATABASE_URL."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "alembic"), "upgrade", "head"],
        cwd=project,
        env=dict(os.environ, DATABASE_URL=url),
        capture_output=True,
        text=True,
    )
