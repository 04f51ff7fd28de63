"""Databases that are not at head: each is told the revision whose schema it has (a data-only
migration makes two revisions alike: ambiguous), stamped there, and upgraded on request;
`adopt status` compares a stamped database with its own revision, not with head.

The chain: the baseline, then five revisions written as a team would after adoption:
r1 adds a column, r2 changes data only, r3 adds a table, r4 an index, r5 another column."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from helpers import adopt
from helpers import engine
from helpers import revision_files
from helpers import version_rows

MODELS = """
    import sqlalchemy as sa

    metadata = sa.MetaData()
    sa.Table(
        "thing", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
    )
"""

REVISIONS = [
    ("r1", "op.add_column('thing', sa.Column('color', sa.String(20)))",
     "op.drop_column('thing', 'color')"),
    ("r2", "op.execute(\"UPDATE thing SET color = 'red'\")", "pass"),
    ("r3", "op.create_table('tag', sa.Column('id', sa.Integer, primary_key=True), "
           "sa.Column('label', sa.String(30), nullable=False))", "op.drop_table('tag')"),
    ("r4", "op.create_index('ix_thing_color', 'thing', ['color'])",
     "op.drop_index('ix_thing_color', table_name='thing')"),
    ("r5", "op.add_column('thing', sa.Column('size', sa.Integer))",
     "op.drop_column('thing', 'size')"),
]  # fmt: skip

TEMPLATE = """
revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None

from alembic import op
import sqlalchemy as sa


def upgrade():
    {up}


def downgrade():
    {down_op}
"""

ARGS = ["--models", "things:metadata"]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def chain(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    dialect: str,
) -> tuple[Path, list[str]]:
    """An adopted project whose chain is the baseline and r1..r5; the revisions, base first."""
    (tmp_path / "things.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("things", None)
    live = _legacy(make_database(dialect))
    result = adopt("run", "--yes", *ARGS, "--url", live)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(tmp_path)
    down = baseline.name.split("_")[0]
    order = [down]
    for rev, up, back in REVISIONS:
        text = TEMPLATE.format(rev=rev, down=down, up=up, down_op=back)
        (tmp_path / "migrations" / "versions" / f"{rev}_step.py").write_text(text)
        order.append(rev)
        down = rev
    return tmp_path, order


def _legacy(url: str) -> str:
    import things  # type: ignore[import-not-found]

    e = engine(url)
    things.metadata.create_all(e)
    with e.begin() as conn:
        conn.execute(things.metadata.tables["thing"].insert(), [{"name": "a"}, {"name": "b"}])
    e.dispose()
    return url


def _at(project: Path, url: str, revision: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty `url` upgraded to `revision` with plain Alembic, given two rows, then its
    alembic_version dropped: a database built at that revision, never stamped."""
    monkeypatch.setenv("DATABASE_URL", url)
    command.upgrade(Config(str(project / "alembic.ini")), revision)
    e = engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql("INSERT INTO thing (name) VALUES ('a'), ('b')")
        conn.exec_driver_sql("DROP TABLE alembic_version")
    e.dispose()
    return url


def _stamp(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = adopt("stamp", *ARGS, *args, "--json")
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)["targets"]


def test_each_database_is_told_its_revision(
    chain: tuple[Path, list[str]],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    project, order = chain
    baseline = order[0]
    databases = {rev: _at(project, make_database(dialect), rev, monkeypatch) for rev in order}
    code, targets = _stamp(*databases.values(), "--jobs", "4")
    by_url = dict(zip(databases, targets, strict=True))
    for rev in (baseline, "r3", "r4"):
        assert by_url[rev]["outcome"] == "stamped", by_url[rev]
        assert version_rows(databases[rev]) == [rev]
        assert f"stamped at {rev}" in str(by_url[rev]["reason"])
    assert by_url["r5"]["outcome"] == "stamped" and version_rows(databases["r5"]) == ["r5"]
    for rev in ("r1", "r2"):  # the data-only pair: alike
        assert by_url[rev]["outcome"] == "refused", by_url[rev]
        assert "r1, r2" in str(by_url[rev]["reason"]) and "--revision" in str(by_url[rev]["reason"])
        assert version_rows(databases[rev]) is None
    assert code != 0

    # --revision settles the pair, checked against that revision's schema.
    code, [target] = _stamp(databases["r2"], "--revision", "r2")
    assert code == 0 and target["outcome"] == "stamped", target
    assert version_rows(databases["r2"]) == ["r2"]
    code, [target] = _stamp(databases["r1"], "--revision", "r3")
    assert code == 3 and target["outcome"] == "drifted", target
    assert version_rows(databases["r1"]) is None


def test_one_extra_change_is_reported_against_the_nearest_revision(
    chain: tuple[Path, list[str]],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    project, _order = chain
    url = _at(project, make_database(dialect), "r3", monkeypatch)
    e = engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE tag ADD COLUMN note VARCHAR(10)")
    e.dispose()
    code, [target] = _stamp(url)
    assert code == 3 and target["outcome"] == "drifted", target
    assert "nearest is r3" in str(target["reason"])
    differences = target["differences"]
    assert [(d["kind"], d["table"], d["object"]) for d in differences] == [  # type: ignore[attr-defined]
        ("extra_column", "tag", "note")
    ]
    assert version_rows(url) is None


def test_stamp_upgrade_takes_a_database_two_revisions_behind_to_head(
    chain: tuple[Path, list[str]],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    project, _order = chain
    url = _at(project, make_database(dialect), "r3", monkeypatch)
    rows = _rows(url)
    code, [target] = _stamp(url, "--upgrade")
    assert code == 0 and target["outcome"] == "stamped", target
    assert version_rows(url) == ["r5"]
    e = engine(url)
    with e.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("thing")}
    e.dispose()
    assert {"color", "size"} <= columns
    assert _rows(url) == rows  # r4 and r5 change no data

    # Without --upgrade: stamped at r3, and plain Alembic finishes the job.
    other = _at(project, make_database(dialect), "r3", monkeypatch)
    code, [target] = _stamp(other)
    assert code == 0 and version_rows(other) == ["r3"], target
    monkeypatch.setenv("DATABASE_URL", other)
    command.upgrade(Config(str(project / "alembic.ini")), "head")
    assert version_rows(other) == ["r5"]


def test_status_compares_each_database_with_its_own_revision(
    chain: tuple[Path, list[str]],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    project, _order = chain
    behind = _at(project, make_database(dialect), "r3", monkeypatch)
    assert _stamp(behind)[0] == 0
    result = adopt("status", *ARGS, behind, "--json")
    [target] = json.loads(result.stdout)["targets"]
    assert result.exit_code == 0, result.output
    assert target["outcome"] == "behind head" and "r4, r5" in target["reason"]
    e = engine(behind)
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE tag ADD COLUMN note VARCHAR(10)")
    e.dispose()
    result = adopt("status", *ARGS, behind, "--json")
    [target] = json.loads(result.stdout)["targets"]
    assert result.exit_code == 3, result.output
    assert target["outcome"] == "drifted" and "schema of r3" in target["reason"]
    assert version_rows(behind) == ["r3"]


def _rows(url: str) -> list[tuple[object, ...]]:
    e = engine(url)
    with e.connect() as conn:
        found = [tuple(r) for r in conn.exec_driver_sql("SELECT id, name FROM thing ORDER BY id")]
    e.dispose()
    return found
