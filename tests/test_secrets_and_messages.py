"""Secrets and messages: every way a password rides in a URL is masked in every message, file
and JSON document; what went wrong is said in one line that names it (a missing dependency, a
models expression that exits, a mistyped setting, a missing privilege, a usage error under
--json); and the process ends when its work is done, whatever threads the project left."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from helpers import ROOT
from helpers import SERVERS
from helpers import adopt
from helpers import assert_refused
from helpers import before
from helpers import engine
from helpers import error_lines
from helpers import version_rows
from sqlalchemy.engine import make_url

from adopt import urls

# Import the drivers once (see test_bad_input): a re-imported psycopg raises exception classes
# that the code already loaded no longer recognises.
for _driver in ("psycopg", "pymysql"):
    with contextlib.suppress(ImportError):
        __import__(_driver)

SERVER_DIALECTS = ["postgresql", "mariadb"]
MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()
thing = sa.Table(
    "thing",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
)
"""
PLAIN = ["--models", "plainmodels:metadata"]


# --- projects, users ------------------------------------------------------------------------------


def build_live(url: str) -> None:
    namespace: dict[str, Any] = {}
    exec(MODELS, namespace)
    e = engine(url)
    try:
        with e.begin() as conn:
            namespace["metadata"].create_all(conn)
            conn.execute(namespace["thing"].insert(), [{"name": "v"}])
    finally:
        e.dispose()


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> Callable[[str], tuple[Path, str]]:
    """project(dialect) -> (folder, root URL of its live database, built from plainmodels);
    the folder is the working directory."""

    def make(dialect: str) -> tuple[Path, str]:
        folder = tmp_path / "proj"
        folder.mkdir()
        (folder / "plainmodels.py").write_text(MODELS, encoding="utf-8")
        if dialect == "sqlite":
            sqlite3.connect(folder / "live.db").close()
            url = f"sqlite:///{folder / 'live.db'}"
        else:
            url = make_database(dialect)
        build_live(url)
        monkeypatch.chdir(folder)
        return folder, url

    return make


def admin(dialect: str, *statements: str, database: str | None = None) -> None:
    url = make_url(SERVERS[dialect])
    e = sa.create_engine(
        url.set(database=database) if database else url,
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        with e.connect() as conn:
            raw = conn.execution_options(no_parameters=True)  # '%' is no placeholder
            for statement in statements:
                raw.exec_driver_sql(statement)
    finally:
        e.dispose()


@pytest.fixture
def make_user() -> Iterator[Callable[..., str]]:
    """make_user(dialect, url, grants, password) -> a new user's name; `grants` run as root
    with {user} and {db} filled in. Dropped afterwards."""
    made: list[tuple[str, str, str]] = []

    def make(dialect: str, url: str, grants: list[str], password: str) -> str:
        name = "adopt_t_" + secrets.token_hex(4)
        database = str(make_url(url).database)
        made.append((dialect, name, database))
        who = f"'{name}'@'%'" if dialect == "mariadb" else f'"{name}"'
        if dialect == "mariadb":
            admin(dialect, f"CREATE USER {who} IDENTIFIED BY '{password}'")
        else:
            admin(dialect, f"CREATE ROLE {who} LOGIN PASSWORD '{password}'")
        admin(dialect, *(g.format(user=who, db=database) for g in grants), database=database)
        return name

    yield make
    for dialect, name, database in made:
        if dialect == "mariadb":
            admin(dialect, f"DROP USER IF EXISTS '{name}'@'%'")
            continue
        with contextlib.suppress(sa.exc.DBAPIError):
            admin(
                dialect,
                f'REASSIGN OWNED BY "{name}" TO CURRENT_USER',
                f'DROP OWNED BY "{name}"',
                database=database,
            )
        admin(dialect, f'DROP ROLE IF EXISTS "{name}"')


ALL_RIGHTS = {
    "postgresql": ["ALTER ROLE {user} SUPERUSER"],
    "mariadb": [
        "GRANT ALL ON `{db}`.* TO {user}",
        "GRANT ALL ON `adopt\\_scratch\\_%`.* TO {user}",
    ],
}


def files_holding(folder: Path, secret: str) -> list[str]:
    return [
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and secret.encode() in p.read_bytes()
    ]


def assert_not_leaked(result: Result, *secret_forms: str, folder: Path | None = None) -> None:
    for form in secret_forms:
        assert form not in result.stdout, f"stdout holds {form!r}:\n{result.stdout}"
        assert form not in result.stderr, f"stderr holds {form!r}:\n{result.stderr}"
        if folder is not None:
            assert not files_holding(folder, form), f"files hold {form!r}"


def one_line(result: Result, code: int, *fragments: str) -> str:
    """Exit `code`, no traceback, one Error: line holding every fragment."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    [line] = error_lines(result.stderr)
    for fragment in fragments:
        assert fragment.lower() in line.lower(), line
    return line


# =================================================================================================
# 1. Secrets
# =================================================================================================


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://u@h/db?password=QSECRET1&sslmode=require", "QSECRET1"),
        ("postgresql://u@h/db?sslpassword=QSECRET2", "QSECRET2"),
        ("mysql+pymysql://u@h/db?passwd=QSECRET3", "QSECRET3"),
        ("mssql+pyodbc://u@h/db?pwd=QSECRET4", "QSECRET4"),
        ("postgresql://u:p@ssQSECRET5@h/db", "ssQSECRET5"),
        ("postgresql:/u:QSECRET6@h/db", "QSECRET6"),
        ("post gres://root:QSECRET7@h/db", "QSECRET7"),
        ("mysql://u:p@ss:w%rd/#?QSECRET8@h:3306/db", "QSECRET8"),
        ("postgresql://u:QSECRET9@h/db", "QSECRET9"),
    ],
)
def test_hide_password_and_scrub_mask_every_part(url: str, secret: str) -> None:
    assert secret not in urls.hide_password(url)
    assert secret not in urls.scrub(f"Error: cannot use '{url}'; fix it.")


def test_scrub_leaves_what_holds_no_secret() -> None:
    text = "Importing 'shop.models:Base' failed at sqlite:///tmp/x.db (postgresql://u@h/db)."
    assert urls.scrub(text) == text


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_password_in_the_query_is_never_shown_nor_written(
    project: Callable[[str], tuple[Path, str]],
    make_user: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    folder, root_url = project(dialect)
    password = "Qpw" + secrets.token_hex(6)
    user = make_user(dialect, root_url, ALL_RIGHTS[dialect], password)
    base = make_url(root_url).set(username=user)
    query = {"password": password}
    ssl_secret = "Qssl" + secrets.token_hex(6)
    if dialect == "postgresql":
        query["sslpassword"] = ssl_secret  # libpq's, for an encrypted client key: unused here
    url = base.set(query=query).render_as_string(hide_password=False)
    forms = (password, ssl_secret)

    result = adopt("run", "--yes", *PLAIN, "--url", url, "--json")
    assert result.exit_code == 0, result.output
    assert version_rows(root_url) is not None and len(version_rows(root_url) or []) == 1
    json.loads(result.stdout)
    assert_not_leaked(result, *forms, folder=folder)
    assert (folder / "alembic.ini").is_file() and (folder / "adopt-stamps.jsonl").is_file()

    for args in (["status", *PLAIN, "--url", url], ["status", *PLAIN, "--url", url, "--json"]):
        assert_not_leaked(adopt(*args), *forms, folder=folder)
    monkeypatch.setenv("ADOPT_URL", url)
    assert_not_leaked(adopt("config", "--json"), *forms)
    nowhere = make_url(url).set(database="adopt_no_such_db").render_as_string(False)
    failed = adopt("check", *PLAIN, "--url", nowhere)
    one_line(failed, 4, "Cannot connect")
    assert_not_leaked(failed, *forms)


def test_query_password_in_pyproject_is_masked_by_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.adopt]\nurl = "postgresql://u@h/db?password=QCFGSECRET"\n'
        '[tool.adopt.targets]\nstaging = "postgresql://u@h/st?sslpassword=QTGTSECRET"\n'
    )
    for args in (["config"], ["config", "--json"]):
        result = adopt(*args)
        assert result.exit_code == 0, result.output
        assert_not_leaked(result, "QCFGSECRET", "QTGTSECRET")


UNENCODED_AT = "postgresql+psycopg://someone:p@ssQAT{token}@127.0.0.1:5432/db"
UNPARSABLE = "postgresql:/someone:QBROKEN{token}@127.0.0.1/db"


@pytest.mark.parametrize("shape", ["unencoded-at", "unparsable"])
@pytest.mark.parametrize("where", ["--url", "DATABASE_URL", "argument", "targets-file", "json"])
def test_broken_url_is_refused_without_its_secret(
    project: Callable[[str], tuple[Path, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    shape: str,
    where: str,
) -> None:
    folder, live_url = project("sqlite")
    token = secrets.token_hex(4)
    url = (UNENCODED_AT if shape == "unencoded-at" else UNPARSABLE).format(token=token)
    secret = f"QAT{token}" if shape == "unencoded-at" else f"QBROKEN{token}"
    state = before(folder, live_url)
    if where == "--url":
        result = adopt("check", *PLAIN, "--url", url)
    elif where == "DATABASE_URL":
        monkeypatch.setenv("DATABASE_URL", url)
        result = adopt("check", *PLAIN)
    elif where == "argument":
        result = adopt("stamp", *PLAIN, "--url", live_url, url)
    elif where == "targets-file":
        fleet = tmp_path / "fleet.txt"  # outside the project: it holds the secret on purpose
        fleet.write_text(f"{live_url}\n{url}\n")
        result = adopt("stamp", *PLAIN, "--url", live_url, "--targets-file", str(fleet))
    else:
        result = adopt("check", *PLAIN, "--url", url, "--json")
        document = json.loads(result.stdout)
        assert document["ok"] is False and document["exit_code"] == 2
        assert secret not in json.dumps(document)
    assert_refused(result, 2, state, secret=secret)
    assert_not_leaked(result, secret, folder=folder)


@pytest.mark.parametrize("url", ["postgresql://u@h/db?password=QINI1", "postgresql://u:QINI2@h/db"])
def test_alembic_ini_never_holds_a_secret(url: str) -> None:
    from adopt.build.repository import _ini_url

    assert _ini_url(make_url(url), Path.cwd()) == ""  # env.py reads DATABASE_URL instead


# =================================================================================================
# 2. Messages
# =================================================================================================


@pytest.mark.parametrize(
    ("files", "args", "importing"),
    [
        # the dependency's name starts the module's: it was taken for the module itself
        ({"stripe_models.py": "import stripe\n"}, ["--models", "stripe_models:x"], "stripe_models"),
        (
            {"shop/__init__.py": "", "shop/models.py": "import stripe\n"},
            ["--models", "shop.models:metadata"],
            "shop.models",
        ),
        (
            {"shopapp.py": "import stripe\nfrom flask import Flask\napp = Flask(__name__)\n"},
            ["--app", "shopapp"],
            "shopapp",
        ),
    ],
    ids=["prefix", "package", "flask"],
)
def test_missing_dependency_is_named(
    project: Callable[[str], tuple[Path, str]],
    files: dict[str, str],
    args: list[str],
    importing: str,
) -> None:
    folder, url = project("sqlite")
    for name, text in files.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text)
    state = before(folder, url)
    line = assert_refused(
        adopt("check", *args, "--url", url),
        2,
        state,
        f"importing {importing} failed",
        "No module named 'stripe'",
        "install it in this environment",
    )
    assert "no such module" not in line


@pytest.mark.parametrize("body", ["sys.exit(0)", "sys.exit(3)", "raise SystemExit"])
@pytest.mark.parametrize("command", ["check", "status"])
def test_models_expression_that_exits_is_an_error(
    project: Callable[[str], tuple[Path, str]], body: str, command: str
) -> None:
    folder, url = project("sqlite")
    (folder / "exiting.py").write_text(f"import sys\n\n\ndef metadata():\n    {body}\n")
    state = before(folder, url)
    result = adopt(command, "--models", "exiting:metadata()", "--url", url)
    assert_refused(result, 2, state, "'exiting:metadata()' exited")


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("urll", "url"),
        ("model", "models"),
        ("exclude_bind", "exclude_binds"),
        ("target", "targets"),
    ],
)
def test_unknown_pyproject_key_names_the_closest(
    project: Callable[[str], tuple[Path, str]], key: str, closest: str
) -> None:
    folder, url = project("sqlite")
    (folder / "pyproject.toml").write_text(f'[tool.adopt]\n{key} = "sqlite:///other.db"\n')
    state = before(folder, url)
    line = assert_refused(
        adopt("check", *PLAIN, "--url", url), 2, state, f"'{key}'", f"did you mean '{closest}'"
    )
    assert "[tool.adopt]" in line
    code, document = json_of(adopt("config", "--json"))
    assert code == 2 and f"'{closest}'" in document["error"]


@pytest.mark.parametrize(
    ("name", "closest"),
    [
        ("ADOPT_URLL", "ADOPT_URL"),
        ("ADOPT_MODEL", "ADOPT_MODELS"),
        ("ADOPT_TIMOUT", "ADOPT_TIMEOUT"),
    ],
)
def test_mistyped_environment_variable_names_the_closest(
    project: Callable[[str], tuple[Path, str]],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    closest: str,
) -> None:
    folder, url = project("sqlite")
    monkeypatch.setenv(name, "sqlite:///other.db")
    state = before(folder, url)
    assert_refused(adopt("check", *PLAIN, "--url", url), 2, state, name, f"did you mean {closest}")


# The variables adopt's own test-suite and tools read: never a mistyped setting.
SUITE_VARIABLES = [
    "ADOPT_REQUIRE_SERVERS",
    "ADOPT_TEST_POSTGRES",
    "ADOPT_TEST_MARIADB",
    "ADOPT_PROPERTY_EXAMPLES",
    "ADOPT_PROPERTY_SEED",
    "ADOPT_CORPUS",
    "ADOPT_CORPUS_DIR",
    "ADOPT_CORPUS_SEED",
    "ADOPT_RACE_ROUNDS",
    "ADOPT_TEST_FAULT_AT",
    "ADOPT_TEST_FAULT_DIR",
    "ADOPT_TEST_UNSET_VARIABLE",
    "ADOPT_TEST_MISSING_ABC123",
]


def test_other_adopt_variables_are_left_alone(
    project: Callable[[str], tuple[Path, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SUITE_VARIABLES + [n for n in os.environ if n.startswith("ADOPT_")]:
        monkeypatch.setenv(name, os.environ.get(name, "1"))
    monkeypatch.delenv("ADOPT_TEST_FAULT_AT")  # read by a test hook of helpers, if installed
    _folder, url = project("sqlite")
    result = adopt("check", *PLAIN, "--url", url)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_user_who_cannot_read_alembic_version_is_told_so(
    project: Callable[[str], tuple[Path, str]], make_user: Callable[..., str], dialect: str
) -> None:
    folder, root_url = project(dialect)
    assert adopt("baseline", *PLAIN, "--url", root_url).exit_code == 0
    engine_ = engine(root_url)
    try:
        with engine_.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    finally:
        engine_.dispose()
    # Reads the models' tables and may build scratch databases; alembic_version it may write
    # (so MariaDB lists it to this user) but not read.
    grants = {
        "postgresql": ["ALTER ROLE {user} CREATEDB", "GRANT SELECT ON thing TO {user}"],
        "mariadb": [
            "GRANT SELECT ON `{db}`.thing TO {user}",
            "GRANT INSERT, UPDATE, DELETE ON `{db}`.alembic_version TO {user}",
            "GRANT ALL ON `adopt\\_scratch\\_%`.* TO {user}",
        ],
    }[dialect]
    password = "Qpriv" + secrets.token_hex(4)
    user = make_user(dialect, root_url, grants, password)
    url = make_url(root_url).set(username=user, password=password).render_as_string(False)
    state = before(folder, root_url)
    wanted = ("cannot read alembic_version", "grant SELECT on it")

    line = assert_refused(adopt("check", *PLAIN, "--url", url), 1, state, *wanted)
    assert "mid-run" not in line and password not in line
    for command in ("status", "stamp"):
        result = adopt(command, *PLAIN, "--url", url, "--json")
        assert result.exit_code != 0, result.output
        [target] = json.loads(result.stdout)["targets"]
        for fragment in wanted:
            assert fragment.lower() in target["reason"].lower(), target["reason"]
        assert_not_leaked(result, password)
        assert version_rows(root_url) == [], "alembic_version changed"


def json_of(result: Result) -> tuple[int, dict[str, Any]]:
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["stamp", "--json", "--jobs", "0"], "--jobs"),
        (["stamp", "--json", "--no-such-option"], "--no-such-option"),
        (["status", "--timeout", "soon", "--json"], "--timeout"),
        (["--json", "--bogus", "check"], "--bogus"),
        (["--json"], "--json needs a command"),
        (["no-such-command", "--json"], "no-such-command"),
    ],
)
def test_json_usage_errors_print_one_document(
    project: Callable[[str], tuple[Path, str]], args: list[str], fragment: str
) -> None:
    folder, url = project("sqlite")
    state = before(folder, url)
    result = adopt(*args)
    code, document = json_of(result)  # the whole of stdout is one document
    assert code == 2 and document["exit_code"] == 2 and document["ok"] is False
    assert fragment in document["error"]
    assert_refused(result, 2, state)


# =================================================================================================
# 3. A project that leaves threads running
# =================================================================================================


THREADED = (
    MODELS
    + """
import threading
import time

threading.Thread(target=lambda: time.sleep(3600), name="app-scheduler").start()
"""
)


@pytest.mark.parametrize("as_json", [False, True])
def test_exits_when_done_although_the_project_left_a_thread(tmp_path: Path, as_json: bool) -> None:
    (tmp_path / "threaded.py").write_text(THREADED)
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    sqlite3.connect(tmp_path / "live.db").close()
    build_live(live_url)
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_APP", "DATABASE_URL")}
    args = ["check", "--models", "threaded:metadata", "--url", live_url]
    command = [sys.executable, "-m", "adopt", *args, *(["--json"] if as_json else [])]
    try:
        done = subprocess.run(
            command,
            cwd=tmp_path,
            env=dict(env, NO_COLOR="1", PYTHONPATH=str(ROOT)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"adopt did not exit after its verdict: {exc.stdout!r}")
    assert done.returncode == 0, done.stderr
    assert "app-scheduler" in done.stderr and "without waiting" in done.stderr
    assert "Traceback" not in done.stderr
    if as_json:
        assert json.loads(done.stdout)["ok"] is True
    else:
        assert "matches the models" in done.stdout
