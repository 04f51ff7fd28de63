"""Shared fixtures: sample projects copied to a temporary folder, and uniquely named databases
on SQLite, PostgreSQL and MariaDB. Server tests skip with a reason where no server answers,
unless ADOPT_REQUIRE_SERVERS=1 (set by .ci/run), which turns those skips into failures."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

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


def _admin_execute(dialect: str, statement: str) -> None:
    engine = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _quote(dialect: str, name: str) -> str:
    return f'"{name}"' if dialect == "postgresql" else f"`{name}`"


@pytest.fixture
def make_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """make_database(dialect) -> URL of a new, empty, uniquely named database; dropped after."""
    made: list[tuple[str, str]] = []

    def make(dialect: str) -> str:
        require_server(dialect)
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path / ('db_' + secrets.token_hex(4) + '.db')}"
        name = TEST_DB_PREFIX + secrets.token_hex(5)
        _admin_execute(dialect, f"CREATE DATABASE {_quote(dialect, name)}")
        made.append((dialect, name))
        return make_url(SERVERS[dialect]).set(database=name).render_as_string(hide_password=False)

    yield make
    for dialect, name in made:
        force = " WITH (FORCE)" if dialect == "postgresql" else ""
        _admin_execute(dialect, f"DROP DATABASE IF EXISTS {_quote(dialect, name)}{force}")


@pytest.fixture(autouse=True)
def _isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Samples use generic module names (app, config): forget them after every test."""
    modules, path = set(sys.modules), list(sys.path)
    for var in ("FLASK_APP", "DATABASE_URL", "EDITOR", "VISUAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield
    # Forget only the project's own modules: dropping a driver (psycopg) would leave its C
    # extension raising exception classes that a re-import no longer recognises.
    installed = (sys.prefix, sys.base_prefix, str(ROOT / "adopt"))
    for name in set(sys.modules) - modules:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin and not origin.startswith(installed):
            del sys.modules[name]
    sys.path[:] = path


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """sample(name, url=None) copies samples/<name> to a temp folder, builds its legacy
    database (at url, else the sample's default), and makes it the working directory."""

    def copy(name: str, url: str | None = None) -> Path:
        target = tmp_path / name
        shutil.copytree(
            SAMPLES / name,
            target,
            ignore=shutil.ignore_patterns("*.db", "migrations", "__pycache__"),
        )
        build(target, url)
        monkeypatch.chdir(target)
        if url:
            monkeypatch.setenv("DATABASE_URL", url)
        return target

    return copy


def build(project: Path, url: str | None) -> None:
    env = dict(os.environ)
    if url:
        env["DATABASE_URL"] = url
    subprocess.run(
        [sys.executable, "build_legacy_db.py"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        dialect = callspec.params.get("dialect") if callspec else None
        if dialect == "postgresql":
            item.add_marker(pytest.mark.postgres)
        elif dialect == "mariadb":
            item.add_marker(pytest.mark.mariadb)
