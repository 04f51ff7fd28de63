"""Shared fixtures: sample projects copied to a temporary folder, and uniquely named databases
on SQLite, PostgreSQL and MariaDB. Server tests skip with a reason where no server answers,
unless ADOPT_REQUIRE_SERVERS=1 (set by .ci/run), which turns those skips into failures."""

from __future__ import annotations

import secrets
import shutil
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT
from helpers import SAMPLES
from helpers import SERVERS
from helpers import TEST_DB_PREFIX
from helpers import LateDrops
from helpers import admin_execute
from helpers import build
from helpers import quoted
from helpers import require_server
from sqlalchemy.engine import make_url


@pytest.fixture
def speedups_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the tests of a speed-up itself (`pytestmark = pytest.mark.usefixtures(...)`): they
    run it even when the suite runs with ADOPT_SPEEDUPS=0, which the rest of the suite obeys."""
    monkeypatch.setenv("ADOPT_SPEEDUPS", "1")


@pytest.fixture
def make_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """make_database(dialect) -> URL of a new, empty, uniquely named database; dropped after."""
    made: list[tuple[str, str]] = []

    def make(dialect: str) -> str:
        require_server(dialect)
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path / ('db_' + secrets.token_hex(4) + '.db')}"
        name = TEST_DB_PREFIX + secrets.token_hex(5)
        admin_execute(dialect, f"CREATE DATABASE {quoted(dialect, name)}")
        made.append((dialect, name))
        return make_url(SERVERS[dialect]).set(database=name).render_as_string(hide_password=False)

    yield make
    for dialect, name in made:
        LATE_DROPS.drop(dialect, name)


LATE_DROPS = LateDrops()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The test databases are all dropped before the run ends (see helpers.LateDrops)."""
    for failure in LATE_DROPS.finish():
        sys.stderr.write(f"could not drop a test database: {failure}\n")


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        dialect = callspec.params.get("dialect") if callspec else None
        if dialect == "postgresql":
            item.add_marker(pytest.mark.postgres)
        elif dialect == "mariadb":
            item.add_marker(pytest.mark.mariadb)
