"""Baselines that build what the models describe on every dialect: tables that refer to each
other in a cycle and use_alter keys get their foreign keys after the tables; a type from a
library whose package merely starts with "sqlalchemy" is imported by the script."""

from __future__ import annotations

import ast
import importlib
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from helpers import ROOT
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


def legacy_database(
    folder: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: str, url: str
) -> ModuleType:
    """The models `source` as module `module` of a project in `folder` (the working
    directory), and the legacy database at `url` built from them with create_all."""
    (folder / f"{module}.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop(module, None)
    models = importlib.import_module(module)
    e = engine(url)
    models.metadata.create_all(e)
    e.dispose()
    return models


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_foreign_keys_in_a_cycle_and_use_alter_are_built(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "models"))
    live = make_database(dialect)
    legacy_database(tmp_path, monkeypatch, "cyclic", CYCLE, live)
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
    from adopt.build.baseline_ops import qualified
    from adopt.errors import AdoptError

    body = "    op.create_table('t', sa.Column('x', postgresql.JSONB(astext_type=Text())))\n"
    assert "astext_type=sa.Text()" in qualified(
        body, {"from sqlalchemy.dialects import postgresql"}
    )
    with pytest.raises(AdoptError, match="Weird without importing it"):
        qualified(body.replace("Text()", "Weird()"), {"from sqlalchemy.dialects import postgresql"})
    with pytest.raises(AdoptError, match="postgresql"):
        qualified(body, set())


@pytest.mark.parametrize(
    "body",
    [
        # Every name bound: the body comes back as it is, without a syntax tree.
        "    with op.batch_alter_table('t', schema=None) as batch_op:\n"
        "        batch_op.create_index('ix', ['x'], unique=False)\n",
        "    op.execute(sa.text('SELECT 1'))\n    keep = [c for c in ('a', 'b')]\n",
        # A bare name inside a lambda and a comprehension, and one bound only in a nested scope
        # and loaded outside it (the symbol table sends that one on to the syntax tree).
        "    op.alter_column('t', 'x', type_=(lambda: Text())())\n",
        "    ok = [Text() for _ in range(1)]\n",
        "    f = lambda Text: Text\n    op.alter_column('t', 'x', type_=Text())\n",
    ],
)
def test_names_found_without_the_syntax_tree_are_those_it_finds(body: str) -> None:
    from adopt.build import baseline_ops

    tree = ast.parse("def _body():\n" + body)
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    bound = {"op", "sa", "range", *(n.arg for n in ast.walk(tree) if isinstance(n, ast.arg))}
    stored = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    expected = body.replace("Text()", "sa.Text()") if loaded - bound - stored else body
    assert baseline_ops.qualified(body, {"import sqlalchemy as sa"}) == expected


FOLLOWERS = """
    import sqlalchemy as sa

    metadata = sa.MetaData()
    sa.Table(
        "user", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(80), unique=True),
    )
    sa.Table(
        "followers", metadata,
        sa.Column("follower_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),
        sa.Column("followed_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),
    )
"""


def _constraint_names(url: str) -> dict[tuple[str, str, tuple[str, ...]], str]:
    e = engine(url)
    with e.connect() as conn:
        insp = sa.inspect(conn)
        found = {}
        for table in ("user", "followers"):
            for fk in insp.get_foreign_keys(table):
                found[("fk", table, tuple(fk["constrained_columns"]))] = fk["name"]
            for uq in insp.get_unique_constraints(table):
                found[("uq", table, tuple(uq["column_names"]))] = uq["name"]
    e.dispose()
    return found


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_names_the_server_gave_are_pinned_in_the_baseline(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    server: str,
) -> None:
    """The models name nothing; the live database's own names (followers_ibfk_1 and _2 by
    position on MariaDB, *_fkey / *_key on PostgreSQL) are written into the baseline, so a
    database built from migrations has the same key under the same name."""
    live = make_database(server)
    follow = legacy_database(tmp_path, monkeypatch, "follow", FOLLOWERS, live)
    e = engine(live)
    if server == "mariadb":
        # The live keys numbered otherwise than the baseline's order would number them, as
        # in a database whose keys were made over the years: ibfk_2 and ibfk_3.
        with e.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE followers DROP FOREIGN KEY followers_ibfk_1")
            conn.exec_driver_sql(
                "ALTER TABLE followers ADD FOREIGN KEY (follower_id) REFERENCES user (id)"
            )
    e.dispose()
    result = adopt("run", "--yes", "--models", "follow:metadata", "--url", live)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(tmp_path)
    live_names = _constraint_names(live)
    if server == "mariadb":
        assert sorted(live_names.values()) == ["email", "followers_ibfk_2", "followers_ibfk_3"]
    for name in live_names.values():
        assert f"name='{name}'" in baseline.read_text(), name
    from alembic import command
    from alembic.config import Config

    empty = make_database(server)
    monkeypatch.setenv("DATABASE_URL", empty)
    command.upgrade(Config(str(tmp_path / "alembic.ini")), "head")
    assert _constraint_names(empty) == live_names
    assert all(
        c.name is None
        for c in follow.metadata.tables["followers"].constraints
        if not isinstance(c, sa.PrimaryKeyConstraint)
    )


ORDERED = """
    import sqlalchemy as sa

    metadata = sa.MetaData()
    sa.Table("zone", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("area", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "place", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), unique=True),
        sa.Column("open", sa.Boolean(create_constraint=True)),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zone.id", ondelete="CASCADE")),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("area.id")),
        sa.Column("made", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column("rank", sa.Integer, server_default=sa.text("10")),
        sa.Column("seen", sa.DateTime, server_default=sa.func.now()),
        sa.Column("code", sa.String(20), server_default=sa.text("''")),
        sa.CheckConstraint("area_id > 0"),
        sa.Index("ix_place_code_rank", "code", sa.text("rank DESC")),
        sa.Index("ix_place_rank_pg", "rank").ddl_if(dialect="postgresql"),
        sa.CheckConstraint("rank < 1000", name="ck_place_rank").ddl_if(dialect="sqlite"),
    )
"""


def _statements(url: str) -> dict[str, str]:
    """What the server keeps of each table, as it prints it: SQLite's stored CREATE TABLE,
    MariaDB's SHOW CREATE TABLE, PostgreSQL's constraint and index definitions."""
    e = engine(url)
    with e.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'alembic%'"
            )
            found = {name: sql for name, sql in rows}
        elif conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'place'::regclass"
            )
            found = dict(rows.all())
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'place'"
            )
            found.update(rows.all())
        else:
            found = {
                t: conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").one()[1]
                for t in ("zone", "area", "place")
            }
    e.dispose()
    return found


def test_a_replay_equals_the_live_database_statement_for_statement(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    """Alembic renders a table's constraints sorted by their text; the baseline lists them
    in the order create_all wrote them (SQLite keeps the statement as written, MariaDB
    numbers unnamed foreign keys by it and names each key's index after its column); a
    one-word or quoted SQLite default is written bare, as create_all writes it; and an index
    on an expression, which Alembic's autogenerate leaves out on SQLite, is there. On SQLite
    the keys made after a Boolean's CHECK are rendered on their columns, to come after it.
    What the models make on one dialect only (`ddl_if`) is made there only."""
    live = make_database(dialect)
    legacy_database(tmp_path, monkeypatch, "ordered", ORDERED, live)
    result = adopt("run", "--yes", "--models", "ordered:metadata", "--url", live)
    assert result.exit_code == 0, result.output
    from alembic import command
    from alembic.config import Config

    empty = make_database(dialect)
    monkeypatch.setenv("DATABASE_URL", empty)
    command.upgrade(Config(str(tmp_path / "alembic.ini")), "head")
    assert _statements(empty) == _statements(live)
