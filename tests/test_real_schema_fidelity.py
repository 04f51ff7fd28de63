"""Databases built by create_all from the very models they are checked against match them, on
every dialect, whatever the server makes of the models' spellings; drift that only the server's
catalog shows is reported by `adopt check`, refused by `adopt stamp`, and never "verified".

Each project here is a model module written into the test's folder, reproducing a construct
met in real projects, and its legacy database is built with `create_all`, as a legacy app
built it."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import adopt
from helpers import engine
from helpers import version_rows

# Models that Alembic's comparison alone reports against their own create_all database.
MODELS = {
    "mariadb": """
        import sqlalchemy as sa
        from sqlalchemy.ext.compiler import compiles

        class PreciseDateTime(sa.types.TypeDecorator):
            impl = sa.DateTime
            cache_ok = True

        @compiles(PreciseDateTime, "mysql")
        @compiles(PreciseDateTime, "mariadb")
        def _fsp(type_, compiler, **kw):
            return "DATETIME(6)"

        metadata = sa.MetaData()
        reading = sa.Table(
            "reading", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("value", sa.Float(53)),
            sa.Column("blob", sa.LargeBinary(65536)),
            sa.Column("at", PreciseDateTime()),
            sa.Column("code", sa.String(20, collation="utf8_bin")),
            sa.Column("qty", sa.Integer),
            sa.Column("label", sa.String(20)),
        )
        sa.Index("ix_reading_qty", reading.c.qty)
        sa.Index("ix_reading_label", reading.c.label)
    """,
    "sqlite": """
        import sqlalchemy as sa

        metadata = sa.MetaData()
        reading = sa.Table(
            "reading", metadata,
            sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
            sa.Column("qty", sa.Integer),
            sa.Column("label", sa.String(20)),
        )
        sa.Index("ix_reading_qty", reading.c.qty)
        sa.Index("ix_reading_qty_desc", reading.c.qty.desc())
    """,
    "postgresql": """
        import sqlalchemy as sa

        metadata = sa.MetaData()
        owner = sa.Table("owner", metadata, sa.Column("id", sa.Integer, primary_key=True))
        reading = sa.Table(
            "reading", metadata,
            sa.Column("id", sa.Integer, sa.Sequence("reading_id_seq"), primary_key=True),
            sa.Column("qty", sa.Integer),
            sa.Column("label", sa.String(20)),
            sa.Column("owner_id", sa.Integer, sa.ForeignKey("owner.id", name="fk_reading_owner")),
            sa.UniqueConstraint("label", name="uq_reading_label"),
        )
        sa.Index("ix_reading_qty", reading.c.qty)
        sa.Index("ix_reading_label", reading.c.label)
    """,
}

# Drift made by hand on copies, which only the server's catalog tells apart from the models:
# (kind, object) that `adopt check` must report, and the statements that make it.
QTY = "DROP INDEX ix_reading_qty"
DRIFTS: dict[str, dict[str, tuple[str, str, list[str]]]] = {
    "sqlite": {
        "partial": (
            "index_definition",
            "ix_reading_qty",
            [QTY, "CREATE INDEX ix_reading_qty ON reading (qty) WHERE qty > 0"],
        ),
        "desc": (
            "index_definition",
            "ix_reading_qty",
            [QTY, "CREATE INDEX ix_reading_qty ON reading (qty DESC)"],
        ),
        "nocase": ("column_definition", "label", ["collate label NOCASE"]),
    },
    "postgresql": {
        "partial": (
            "index_definition",
            "ix_reading_qty",
            [QTY, "CREATE INDEX ix_reading_qty ON reading (qty) WHERE qty > 0"],
        ),
        "desc": (
            "index_definition",
            "ix_reading_qty",
            [QTY, "CREATE INDEX ix_reading_qty ON reading (qty DESC)"],
        ),
        "hash": (
            "index_definition",
            "ix_reading_qty",
            [QTY, "CREATE INDEX ix_reading_qty ON reading USING hash (qty)"],
        ),
        "include": (
            "index_definition",
            "ix_reading_qty",
            [QTY, "CREATE INDEX ix_reading_qty ON reading (qty) INCLUDE (label)"],
        ),
        "opclass": (
            "index_definition",
            "ix_reading_label",
            [
                "DROP INDEX ix_reading_label",
                "CREATE INDEX ix_reading_label ON reading (label varchar_pattern_ops)",
            ],
        ),
        "deferrable": (
            "foreign_key_definition",
            "fk_reading_owner",
            [
                "ALTER TABLE reading DROP CONSTRAINT fk_reading_owner",
                "ALTER TABLE reading ADD CONSTRAINT fk_reading_owner FOREIGN KEY (owner_id) "
                "REFERENCES owner (id) DEFERRABLE INITIALLY DEFERRED",
            ],
        ),
        "nulls_not_distinct": (
            "unique_definition",
            "uq_reading_label",
            [
                "ALTER TABLE reading DROP CONSTRAINT uq_reading_label",
                "ALTER TABLE reading ADD CONSTRAINT uq_reading_label "
                "UNIQUE NULLS NOT DISTINCT (label)",
            ],
        ),
    },
    "mariadb": {
        "desc": (
            "index_definition",
            "ix_reading_qty",
            [f"{QTY} ON reading", "CREATE INDEX ix_reading_qty ON reading (qty DESC)"],
        ),
        "prefix": (
            "index_definition",
            "ix_reading_label",
            [
                "DROP INDEX ix_reading_label ON reading",
                "CREATE INDEX ix_reading_label ON reading (label(10))",
            ],
        ),
    },
}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str
) -> Callable[[Callable[[str], str]], str]:
    """project(make_database) -> URL of a legacy database built from this dialect's models,
    with the model module importable as `readings` and the folder the working directory."""
    (tmp_path / "readings.py").write_text(textwrap.dedent(MODELS[dialect]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))

    def build(make_database: Callable[[str], str]) -> str:
        url = make_database(dialect)
        sys.modules.pop("readings", None)
        import readings  # type: ignore[import-not-found]

        e = engine(url)
        readings.metadata.create_all(e)
        with e.begin() as conn:
            conn.execute(
                readings.reading.insert(), [{"qty": 1, "label": "a"}, {"qty": 2, "label": "b"}]
            )
        e.dispose()
        return url

    return build


def _drift(url: str, statements: list[str]) -> None:
    e = engine(url)
    with e.begin() as conn:
        for statement in statements:
            if statement.startswith("collate "):
                _sqlite_collate(conn, *statement.split()[1:])
            else:
                conn.exec_driver_sql(statement)
    e.dispose()


def _sqlite_collate(conn: sa.Connection, column: str, collation: str) -> None:
    """SQLite cannot alter a column: the table is made again with the column's collation."""
    [sql] = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'reading'"
    ).scalars()
    indexes = list(
        conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reading'"
            " AND sql IS NOT NULL"
        ).scalars()
    )
    new = re.sub(rf"(\b{column} VARCHAR\(20\))", rf"\1 COLLATE {collation}", sql)
    assert new != sql
    conn.exec_driver_sql("ALTER TABLE reading RENAME TO reading_old")
    conn.exec_driver_sql(new)
    conn.exec_driver_sql("INSERT INTO reading SELECT * FROM reading_old")
    conn.exec_driver_sql("DROP TABLE reading_old")
    for index in indexes:
        conn.exec_driver_sql(index)


def _check(url: str) -> tuple[int, dict[str, object]]:
    result = adopt("check", "--models", "readings:metadata", "--url", url, "--json")
    document = json.loads(result.stdout)
    return result.exit_code, document["check"]


def test_a_database_built_from_the_models_matches_them(
    project: Callable[[Callable[[str], str]], str], make_database: Callable[[str], str]
) -> None:
    url = project(make_database)
    code, report = _check(url)
    assert code == 0, report["differences"]
    assert report["differences"] == []
    assert not any("sequence" in item for item in report["not_in_baseline"])  # type: ignore[attr-defined]
    assert not any("collation" in item for item in report["not_in_baseline"])  # type: ignore[attr-defined]


def test_drift_only_the_catalog_shows_is_reported_and_refused(
    project: Callable[[Callable[[str], str]], str],
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    live = project(make_database)
    result = adopt("run", "--yes", "--models", "readings:metadata", "--url", live)
    assert result.exit_code == 0, result.output
    assert "Verified" in result.output
    for name, (kind, obj, statements) in DRIFTS[dialect].items():
        teammate = project(make_database)
        _drift(teammate, statements)
        code, report = _check(teammate)
        assert code == 3, (name, report)
        found = [(d["kind"], d["object"]) for d in report["differences"]]  # type: ignore[attr-defined]
        assert found == [(kind, obj)], name

        refused = adopt("stamp", "--models", "readings:metadata", teammate, "--json")
        assert refused.exit_code == 3, (name, refused.output)
        assert version_rows(teammate) is None, name


def test_a_baseline_that_cannot_carry_the_drift_is_never_called_verified(
    project: Callable[[Callable[[str], str]], str],
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    live = project(make_database)
    _drift(live, DRIFTS[dialect]["desc"][2])
    result = adopt(
        "run", "--yes", "--accept-differences", "--models", "readings:metadata", "--url", live
    )
    assert "Verified" not in result.output
    assert "does not rebuild the live schema exactly" in result.output
    assert "ix_reading_qty" in result.output
    e = engine(live)
    with e.connect() as conn:
        assert sa.inspect(conn).has_table("reading")
    e.dispose()


def test_library_warnings_are_said_once_in_adopts_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> None:
    """SQLite's reflection warns of expression indexes (once per index, with adopt's source
    path); the catalog comparison covers them, so nothing is said, and the check passes."""
    (tmp_path / "lowered.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa

            metadata = sa.MetaData()
            person = sa.Table(
                "person", metadata,
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("email", sa.String(80)),
            )
            sa.Index("ix_person_email_lower", sa.func.lower(person.c.email), unique=True)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    url = make_database("sqlite")
    import lowered  # type: ignore[import-not-found]

    e = engine(url)
    lowered.metadata.create_all(e)
    e.dispose()
    result = adopt("check", "--models", "lowered:metadata", "--url", url)
    assert result.exit_code == 0, result.output
    # A warning printed as Python prints it names a source line (.../schema.py:123:); the
    # output names the migrations folder, which is under a checkout that may be named adopt/.
    assert "Warning" not in result.output and not re.search(r"\.py:\d+", result.output)
    assert "expression-based" not in result.output


def test_reworded_warnings() -> None:
    from adopt.library_warnings import reworded

    cycle = (
        "Cannot correctly sort tables; there are unresolvable cycles between tables "
        '"teams, users", which is usually caused by mutually dependent foreign key constraints.'
    )
    assert reworded(cycle) == (
        "tables teams, users refer to each other: their foreign keys are created after the tables"
    )
    assert reworded("Generating approximate signature for index ix.") is None
    assert reworded("Did not recognize type 'citext' of column 'email'") == (
        "column email has the type citext, which SQLAlchemy does not know: its type is compared "
        "as the server prints it"
    )


def test_float_precision_is_told_by_its_bits() -> None:
    """FLOAT(p) is double precision above 24 bits of mantissa: Float(53) is no single."""
    from sqlalchemy.dialects import mysql

    from adopt.compare.drift_text import type_note

    dialect = mysql.dialect()
    assert type_note(mysql.DOUBLE(), sa.Float(53), dialect) == ""
    assert type_note(mysql.DOUBLE(), sa.Float(), dialect) == (
        "single precision in the models, double in the database"
    )
    assert type_note(mysql.FLOAT(), sa.Float(53), dialect) == (
        "double precision in the models, single in the database"
    )


def test_without_a_scratch_database_the_report_says_the_check_is_weaker(
    project: Callable[[Callable[[str], str]], str],
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    if dialect != "sqlite":
        pytest.skip("the same on every dialect: SQLite needs no server")
    url = project(make_database)
    _drift(url, DRIFTS[dialect]["partial"][2])
    result = adopt("check", "--models", "readings:metadata", "--url", url, "--scratch", "none")
    # Alembic's view alone: SQLite's ignored Identity() is reported, the partial index is not.
    assert result.exit_code == 3, result.output
    assert "autoincrement" in result.output and "ix_reading_qty" not in result.output
    assert "weaker" in result.output and "--scratch none" in result.output
