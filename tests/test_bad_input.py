"""Bad input and projects in the wrong state: every refusal exits with its documented code,
prints exactly one 'Error:' line naming the cause and the fix (no traceback), and changes
nothing: not the live rows, not alembic_version, not a file of the project."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import secrets
import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from helpers import APPS
from helpers import SERVERS
from helpers import adopt
from helpers import assert_refused
from helpers import before
from helpers import capture
from helpers import engine
from helpers import revision_files
from helpers import version_rows
from sqlalchemy.engine import make_url

# conftest's _isolated_imports forgets every module a test imported. A database driver imported
# by one test and re-imported by a later one comes back with new exception classes, which the
# errors raised by psycopg's C extension no longer match: SQLAlchemy then stops wrapping them.
# Import the drivers once, before any test, so that they are never forgotten.
for _driver in (
    "psycopg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "pymysql",
    "sqlalchemy.dialects.mysql.pymysql",
):
    with contextlib.suppress(ImportError):
        importlib.import_module(_driver)

TINY_MODELS = """\
import sqlalchemy as sa

metadata = sa.MetaData()

thing = sa.Table(
    "thing",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
)
"""
TINY = ["--models", "tinymodels:metadata"]


# --- the refusal contract (assert_refused, before, capture: in helpers) ---------------------------


def json_document(result: Result) -> dict[str, Any]:
    """stdout holds exactly one JSON document (json.loads rejects trailing text)."""
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


# --- projects ------------------------------------------------------------------------------------


@pytest.fixture
def tiny(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> Callable[..., tuple[Path, str]]:
    """tiny(dialect="sqlite", tables=True) -> (project, url): a one-table plain-SQLAlchemy
    project (tinymodels:metadata) whose live database matches it and holds two rows."""

    def make(dialect: str = "sqlite", tables: bool = True) -> tuple[Path, str]:
        project = tmp_path / "tiny"
        project.mkdir()
        (project / "tinymodels.py").write_text(TINY_MODELS)
        if dialect == "sqlite":
            url = f"sqlite:///{project / 'live.db'}"
            sqlite3.connect(project / "live.db").close()  # an existing, empty database file
        else:
            url = make_database(dialect)
        if tables:
            namespace: dict[str, Any] = {}
            exec(TINY_MODELS, namespace)
            e = engine(url)
            try:
                with e.begin() as conn:
                    namespace["metadata"].create_all(conn)
                    conn.execute(namespace["thing"].insert(), [{"name": "a"}, {"name": "b"}])
            finally:
                e.dispose()
        monkeypatch.chdir(project)
        monkeypatch.setenv("DATABASE_URL", url)
        return project, url

    return make


def execute(url: str, *statements: str) -> None:
    e = engine(url)
    try:
        with e.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        e.dispose()


# --- 1-4: the live database cannot be reached or the URL is wrong --------------------------------


@pytest.mark.parametrize("credentials", ["root", "root:s3cretpw"], ids=["no-password", "password"])
def test_unreachable_server_exits_4(
    tiny: Callable[..., tuple[Path, str]], credentials: str
) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("check", *TINY, "--url", f"postgresql+psycopg://{credentials}@127.0.0.1:1/x")
    assert_refused(
        result,
        4,
        state,
        "cannot connect",
        "127.0.0.1:1",
        "check that the server",
        secret="s3cretpw",
    )


@pytest.fixture
def mariadb_wrong_password(make_database: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    """(real URL, the same URL with a wrong password). Over TCP the server refuses root with a
    wrong password; should it accept any password, a user with a real one is made instead."""
    url = make_database("mariadb")
    wrong = make_url(url).set(password="wrongpw")
    user = None
    probe = engine(wrong.render_as_string(hide_password=False))
    try:
        with probe.connect():
            accepted = True
    except sa.exc.DBAPIError:
        accepted = False
    finally:
        probe.dispose()
    if accepted:
        user = "adopt_pw_" + secrets.token_hex(4)
        execute(
            SERVERS["mariadb"],
            f"CREATE USER '{user}'@'%' IDENTIFIED BY 'rightpw'",
            f"GRANT ALL ON `{make_url(url).database}`.* TO '{user}'@'%'",
        )
        wrong = wrong.set(username=user)
    yield url, wrong.render_as_string(hide_password=False)
    if user:
        execute(SERVERS["mariadb"], f"DROP USER IF EXISTS '{user}'@'%'")


@pytest.mark.mariadb
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_wrong_password_exits_4_and_never_shows_it(
    tiny: Callable[..., tuple[Path, str]],
    mariadb_wrong_password: tuple[str, str],
    as_json: bool,
) -> None:
    real, wrong = mariadb_wrong_password
    project, _ = tiny()
    execute(real, "CREATE TABLE kept (id INTEGER PRIMARY KEY)", "INSERT INTO kept VALUES (1)")
    state = before(project, real)
    extra = ["--json"] if as_json else []
    result = adopt("check", *TINY, "--url", wrong, *extra)
    assert_refused(result, 4, state, "cannot connect", "user name and password", secret="wrongpw")
    if as_json:
        document = json_document(result)
        assert document["ok"] is False and document["exit_code"] == 4


def test_malformed_url_exits_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("check", *TINY, "--url", "not a url")
    assert_refused(result, 2, state, "not a database URL", "dialect+driver://")


def test_malformed_url_hides_its_password(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("check", *TINY, "--url", "post gres://root:s3cretpw@host/db")
    assert_refused(result, 2, state, "not a database URL", secret="s3cretpw")


def test_missing_driver_exits_2_naming_it(tiny: Callable[..., tuple[Path, str]]) -> None:
    if importlib.util.find_spec("pyodbc") is not None:
        pytest.skip("pyodbc is installed")
    project, url = tiny()
    state = before(project, url)
    result = adopt("check", *TINY, "--url", "mssql+pyodbc://u@h/db")
    assert_refused(result, 2, state, "no database driver", "mssql+pyodbc", "pyodbc", "install")


# --- 5-7: the models cannot be loaded ------------------------------------------------------------


@pytest.mark.parametrize("how", [["--app", "app"], []], ids=["--app", "discovered"])
def test_app_import_error_exits_2(tiny: Callable[..., tuple[Path, str]], how: list[str]) -> None:
    project, url = tiny()
    (project / "app.py").write_text(
        "from flask import Flask\n"
        "raise RuntimeError('the config server is down')\n"
        "app = Flask(__name__)\n"
    )
    state = before(project, url)
    result = adopt("check", *how)
    assert_refused(result, 2, state, "Importing", "RuntimeError", "the config server is down")


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        ("nosuchmodule:Base", ["Cannot import 'nosuchmodule'", "no such module"]),
        ("inventory.models:nothing", ["names nothing", "'nothing'"]),
        ("inventory.models:sa", ["is a module", "not a MetaData"]),
        ("inventory.models:mapped_column", ["is a function", "not a MetaData"]),
        ("inventory.models:Decimal", ["is a type", "not a MetaData"]),
    ],
    ids=["no-module", "no-attribute", "a-module", "a-function", "a-class"],
)
def test_bad_models_spec_exits_2(
    sample: Callable[..., Path], spec: str, fragments: list[str]
) -> None:
    project = sample("inventory")
    url = f"sqlite:///{project / 'inventory.db'}"
    state = before(project, url)
    result = adopt("check", "--models", spec, "--url", url)
    assert_refused(result, 2, state, *fragments)


def test_empty_metadata_exits_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    (project / "emptymodels.py").write_text("import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n")
    state = before(project, url)
    result = adopt("baseline", "--models", "emptymodels:metadata")
    assert_refused(result, 2, state, "defines no tables", "--import")


# --- 8-11: the database or the project is in the wrong state -------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_empty_live_database_is_a_new_project(
    tiny: Callable[..., tuple[Path, str]], dialect: str
) -> None:
    project, url = tiny(dialect, tables=False)
    state = before(project, url)
    result = adopt("baseline", *TINY)
    assert_refused(result, 2, state, "no tables", "new project", "flask db migrate")


def test_already_adopted_database_is_refused(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    url = make_database("sqlite")
    project = sample("microblog", url)
    done = adopt("run", "--yes", *APPS["microblog"])
    assert done.exit_code == 0, done.output
    [revision_file] = revision_files(project)
    revision = revision_file.name.split("_")[0]
    assert version_rows(url) == [revision]

    state = before(project, url)
    result = adopt("baseline", *APPS["microblog"])
    assert_refused(result, 2, state, "already has alembic_version", revision, "adopt status")
    assert version_rows(url) == [revision]
    assert revision_files(project) == [revision_file]


def test_unknown_alembic_version_is_refused(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    url = make_database("sqlite")
    project = sample("microblog", url)
    execute(
        url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        "INSERT INTO alembic_version VALUES ('deadbeef0001')",
    )
    state = before(project, url)
    result = adopt("check", *APPS["microblog"])
    assert_refused(result, 2, state, "alembic_version", "deadbeef0001")


def test_existing_revisions_point_to_stamp(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    url = make_database("sqlite")
    project = sample("microblog", url)
    done = adopt("run", "--yes", *APPS["microblog"])
    assert done.exit_code == 0, done.output
    execute(url, "DROP TABLE alembic_version")

    state = before(project, url)
    result = adopt("baseline", *APPS["microblog"])
    assert_refused(result, 2, state, "already holds revisions", "adopt stamp")
    assert len(revision_files(project)) == 1


def test_migrations_directory_that_cannot_be_created(
    tiny: Callable[..., tuple[Path, str]],
) -> None:
    project, url = tiny()
    (project / "somefile.txt").write_text("not a folder\n")
    state = before(project, url)
    result = adopt("baseline", *TINY, "--directory", "somefile.txt/migrations")
    assert_refused(result, 2, state, "somefile.txt", "--directory")
    assert not (project / "alembic.ini").exists()


# --- 12-16: flags that do not go together --------------------------------------------------------


def test_app_and_models_together_exit_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("check", "--app", "app", *TINY)
    assert_refused(result, 2, state, "either --app or --models")


def test_run_without_yes_exits_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("run", *TINY)
    assert_refused(result, 2, state, "--yes")
    assert version_rows(url) is None


def test_wizard_without_a_terminal_exits_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt(*TINY, input="")
    assert_refused(result, 2, state, "terminal", "adopt run --yes")


@pytest.mark.postgres
def test_scratch_memory_for_postgresql_exits_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny("postgresql")
    state = before(project, url)
    result = adopt("baseline", *TINY, "--scratch", "memory")
    assert_refused(result, 2, state, "--scratch memory", "postgresql", "--scratch server")


def test_scratch_of_another_dialect_exits_2(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("baseline", *TINY, "--scratch", "postgresql+psycopg://root@127.0.0.1:1/x")
    assert_refused(result, 2, state, "--scratch", "dialect")


@pytest.mark.parametrize("rev_id", ["a" * 33, "has-dash"], ids=["33-chars", "not-a-word"])
def test_bad_rev_id_exits_2(tiny: Callable[..., tuple[Path, str]], rev_id: str) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("baseline", *TINY, "--rev-id", rev_id)
    assert_refused(result, 2, state, "--rev-id", "32")


# --- 17: drift -----------------------------------------------------------------------------------


DRIFTS = {
    "extra-column": "ALTER TABLE post ADD COLUMN extra INTEGER",
    "unmanaged-table": "CREATE TABLE legacy_audit (id INTEGER PRIMARY KEY, note VARCHAR(20))",
}
SHOWN = {"extra-column": "extra", "unmanaged-table": "legacy_audit"}


@pytest.fixture(params=sorted(DRIFTS))
def drifted(
    request: pytest.FixtureRequest,
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
) -> tuple[str, Path, str]:
    """(kind, project, url): the microblog sample whose live database has drifted."""
    url = make_database("sqlite")
    project = sample("microblog", url)
    execute(url, DRIFTS[request.param])
    return request.param, project, url


@pytest.mark.parametrize(
    "drifted",
    ["extra-column", "unmanaged-table"],
    indirect=True,
)
def test_drift_fails_check_with_3(drifted: tuple[str, Path, str]) -> None:
    kind, project, url = drifted
    state = before(project, url)
    result = adopt("check", *APPS["microblog"])
    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert SHOWN[kind] in result.stdout
    assert capture(project, url) == state[2]


@pytest.mark.parametrize(
    "drifted",
    [
        "extra-column",
        "unmanaged-table",
    ],
    indirect=True,
)
def test_drift_check_prints_one_error_line(drifted: tuple[str, Path, str]) -> None:
    kind, project, url = drifted
    state = before(project, url)
    result = adopt("check", *APPS["microblog"])
    assert_refused(result, 3, state, SHOWN[kind] if kind == "unmanaged-table" else "differs")


@pytest.mark.parametrize(
    "drifted",
    [
        "extra-column",
        "unmanaged-table",
    ],
    indirect=True,
)
def test_drift_check_json_has_ok_false(drifted: tuple[str, Path, str]) -> None:
    _kind, project, url = drifted
    state = before(project, url)
    result = adopt("check", *APPS["microblog"], "--json")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    document = json_document(result)
    assert capture(project, url) == state[2]
    assert document["ok"] is False and document["exit_code"] == 3


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_drift_fails_baseline_with_3(drifted: tuple[str, Path, str], as_json: bool) -> None:
    kind, project, url = drifted
    state = before(project, url)
    extra = ["--json"] if as_json else []
    result = adopt("baseline", *APPS["microblog"], *extra)
    if kind == "extra-column":
        line = assert_refused(result, 3, state, "differs from the models", "--accept-differences")
    else:
        line = assert_refused(result, 3, state, "legacy_audit", "--exclude-unmanaged")
    assert revision_files(project) == []
    if as_json:
        document = json_document(result)
        assert document["ok"] is False and document["exit_code"] == 3
        # The JSON error points at the document, not at a text report "above".
        assert "above" not in document["error"]
        assert document["error"].replace("listed in this document", "listed above") in line
        assert SHOWN[kind] in json.dumps(document["check"])
    else:
        assert SHOWN[kind] in result.stdout


# --- 18: --json on an error ----------------------------------------------------------------------


JSON_ERRORS = {
    "unreachable": (["check", *TINY, "--url", "postgresql+psycopg://root@127.0.0.1:1/x"], 4),
    "malformed-url": (["check", *TINY, "--url", "not a url"], 2),
    "names-nothing": (["check", "--models", "tinymodels:nothing"], 2),
    "app-and-models": (["baseline", "--app", "app", *TINY], 2),
    "bad-rev-id": (["baseline", *TINY, "--rev-id", "a" * 33], 2),
    "group-json": (["--json", "check", *TINY, "--url", "not a url"], 2),
}


@pytest.mark.parametrize("case", sorted(JSON_ERRORS))
def test_json_error_is_one_document(tiny: Callable[..., tuple[Path, str]], case: str) -> None:
    project, url = tiny()
    args, code = JSON_ERRORS[case]
    if args[0] != "--json":
        args = [*args, "--json"]
    state = before(project, url)
    result = adopt(*args)
    line = assert_refused(result, code, state)
    document = json_document(result)
    assert document["ok"] is False
    assert document["exit_code"] == code == result.exit_code
    assert document["error"] and document["error"] in line


def test_json_run_without_yes_is_one_document(tiny: Callable[..., tuple[Path, str]]) -> None:
    project, url = tiny()
    state = before(project, url)
    result = adopt("run", *TINY, "--json")
    assert_refused(result, 2, state, "--yes")
    document = json_document(result)
    assert document["ok"] is False and document["exit_code"] == 2
