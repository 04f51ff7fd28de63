"""A scratch database lent with `--scratch URL`: refused unless it holds nothing at all, used by
one run at a time, and left as it was lent, on every dialect."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import adopt
from helpers import engine
from helpers import version_rows

from adopt.build import lent_scratch
from adopt.errors import UsageError
from adopt.urls import parse_url

DIALECTS = ["sqlite", "postgresql", "mariadb"]

MODELS = """
    import sqlalchemy as sa

    metadata = sa.MetaData()
    sa.Table(
        "thing", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.Enum("new", "old", name="thing_state")),
    )
"""

# Something that is not a table, which a lent database may hold and must keep.
NOT_A_TABLE = {
    "sqlite": [("view", "CREATE VIEW kept AS SELECT 1 AS one")],
    "postgresql": [
        ("type", "CREATE TYPE kept AS ENUM ('a', 'b')"),
        ("relation", "CREATE VIEW kept AS SELECT 1 AS one"),
        ("relation", "CREATE SEQUENCE kept"),
        ("routine", "CREATE FUNCTION kept() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
        ("schema", "CREATE SCHEMA kept"),
    ],
    "mariadb": [
        ("view", "CREATE VIEW kept AS SELECT 1 AS one"),
        ("sequence", "CREATE SEQUENCE kept"),
        ("procedure", "CREATE PROCEDURE kept() SELECT 1"),
    ],
}


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def legacy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    dialect: str,
) -> str:
    """A legacy database built from MODELS (importable as `things`), the folder the cwd."""
    (tmp_path / "things.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    url = make_database(dialect)
    sys.modules.pop("things", None)
    import things  # type: ignore[import-not-found]

    e = engine(url)
    things.metadata.create_all(e)
    e.dispose()
    return url


def _objects(url: str) -> list[str]:
    e = engine(url)
    try:
        with e.connect() as conn:
            return lent_scratch.objects(conn)
    finally:
        e.dispose()


def _execute(url: str, statement: str) -> None:
    e = engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql(statement)
    e.dispose()


def test_a_lent_database_holding_anything_is_refused_and_kept(
    legacy: str, make_database: Callable[[str], str], dialect: str
) -> None:
    for kind, statement in NOT_A_TABLE[dialect]:
        lent = make_database(dialect)
        _execute(lent, statement)
        before = _objects(lent)
        assert before, statement
        result = adopt("run", "--yes", "--models", "things:metadata", "--url", legacy,
                       "--scratch", lent)  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "is not empty" in result.output and kind in result.output
        assert _objects(lent) == before, statement
        assert version_rows(legacy) is None
        assert not Path("migrations").exists()


def test_a_lent_database_is_left_as_it_was_lent(
    legacy: str, make_database: Callable[[str], str], dialect: str
) -> None:
    lent = make_database(dialect)
    result = adopt("run", "--yes", "--models", "things:metadata", "--url", legacy,
                   "--scratch", lent)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert version_rows(legacy) is not None
    assert _objects(lent) == []


def test_a_lent_database_in_use_is_refused(
    legacy: str, make_database: Callable[[str], str], dialect: str
) -> None:
    """Another run holds the lent database: this one says so and changes nothing."""
    lent = make_database(dialect)
    other = sa.create_engine(lent, poolclass=sa.pool.NullPool)
    try:
        with lent_scratch.held(other, parse_url(lent)):
            result = adopt("run", "--yes", "--models", "things:metadata", "--url", legacy,
                           "--scratch", lent)  # fmt: skip
            assert result.exit_code == 2, result.output
            assert "Another adopt is using the scratch database" in result.output
            with pytest.raises(UsageError), lent_scratch.held(other, parse_url(lent)):
                pass
    finally:
        other.dispose()
    assert version_rows(legacy) is None
    assert not Path("migrations").exists()
    assert _objects(lent) == []
