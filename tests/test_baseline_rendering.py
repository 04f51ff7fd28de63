"""Baselines that build what the models describe on every dialect: tables that refer to each
other in a cycle and use_alter keys get their foreign keys after the tables; a type from a
library whose package merely starts with "sqlalchemy" is imported by the script."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import ROOT
from helpers import adopt
from helpers import engine
from helpers import revision_files
from helpers import version_rows

CYCLE = """
    import sqlalchemy as sa
    import sqlalchemy_fakeutils

    metadata = sa.MetaData()
    sa.Table(
        "users", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", name="fk_users_team")),
        sa.Column("code", sqlalchemy_fakeutils.Code(length=16)),
        sa.Column("tag", sqlalchemy_fakeutils.Tagged(sa.Text(), length=20)),
    )
    sa.Table(
        "teams", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("captain_id", sa.Integer, sa.ForeignKey("users.id", name="fk_teams_captain")),
    )
    sa.Table(
        "badge", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "owner_id",
            sa.Integer,
            sa.ForeignKey("users.id", name="fk_badge_owner", use_alter=True),
        ),
    )
"""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_foreign_keys_in_a_cycle_and_use_alter_are_built(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    (tmp_path / "cyclic.py").write_text(textwrap.dedent(CYCLE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "models"))
    sys.modules.pop("cyclic", None)
    import cyclic  # type: ignore[import-not-found]

    live = make_database(dialect)
    e = engine(live)
    cyclic.metadata.create_all(e)
    e.dispose()
    result = adopt("run", "--yes", "--models", "cyclic:metadata", "--url", live)
    assert result.exit_code == 0, result.output
    assert "Verified" in result.output
    [baseline] = revision_files(tmp_path)
    text = baseline.read_text()
    assert "import sqlalchemy_fakeutils" in text
    assert "sqlalchemy_fakeutils.Tagged(inner=sa.Text(), length=20)" in text
    if dialect != "sqlite":
        assert "op.create_foreign_key('fk_users_team'" in text
        assert "op.create_foreign_key('fk_badge_owner'" in text
    # The baseline replayed by plain Alembic into an empty database has every key.
    from alembic import command
    from alembic.config import Config

    empty = make_database(dialect)
    monkeypatch.setenv("DATABASE_URL", empty)
    command.upgrade(Config(str(tmp_path / "alembic.ini")), "head")
    e = engine(empty)
    with e.connect() as conn:
        keys = {
            fk["name"] or f"{table}.{fk['constrained_columns'][0]}"
            for table in ("users", "teams", "badge")
            for fk in sa.inspect(conn).get_foreign_keys(table)
        }
    e.dispose()
    if dialect == "sqlite":
        assert len(keys) == 3, keys
    else:
        assert keys == {"fk_users_team", "fk_teams_captain", "fk_badge_owner"}
    assert version_rows(empty) == [baseline.name.split("_")[0]]


def test_names_the_script_does_not_import_are_reported_before_it_runs() -> None:
    from adopt.baseline_ops import qualified
    from adopt.errors import AdoptError

    body = "    op.create_table('t', sa.Column('x', postgresql.JSONB(astext_type=Text())))\n"
    assert "astext_type=sa.Text()" in qualified(
        body, {"from sqlalchemy.dialects import postgresql"}
    )
    with pytest.raises(AdoptError, match="Weird without importing it"):
        qualified(body.replace("Text()", "Weird()"), {"from sqlalchemy.dialects import postgresql"})
    with pytest.raises(AdoptError, match="postgresql"):
        qualified(body, set())
