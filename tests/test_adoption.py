"""The pipeline end to end through the CLI, on SQLite, PostgreSQL and MariaDB: check, baseline,
verification, stamping; live data untouched; the result works with flask db / alembic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import APPS
from helpers import adopt
from helpers import adopt_json
from helpers import alembic_upgrade
from helpers import assert_gone
from helpers import recording_scratch_names
from helpers import revision_files
from helpers import row_checksums
from helpers import schema_differences
from helpers import version_rows

DIALECTS = ["sqlite", "postgresql", "mariadb"]
CASES = [(s, d) for s in ("microblog", "inventory") for d in DIALECTS] + [("pgshop", "postgresql")]


@pytest.fixture(params=CASES, ids=[f"{s}-{d}" for s, d in CASES])
def adopted_case(
    request: pytest.FixtureRequest, make_database: Callable[[str], str], sample: Callable[..., Path]
) -> tuple[str, str, str, Path]:
    name, dialect = request.param
    url = make_database(dialect)
    project = sample(name, url)
    return name, dialect, url, project


def test_check_baseline_stamp_rebuilds_the_live_schema(
    adopted_case: tuple[str, str, str, Path],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, dialect, url, project = adopted_case
    rows_before = row_checksums(url)
    made_scratch = recording_scratch_names(monkeypatch)

    code, document = adopt_json("check", *APPS[name])
    assert code == 0, document
    report = document["check"]
    assert report["matches"] is True and report["differences"] == []
    assert report["unmanaged_tables"] == []
    assert version_rows(url) is None  # a check writes nothing, not even alembic_version

    code, made = adopt_json("baseline", *APPS[name])
    assert code == 0, made
    assert made["verification"]["passed"] is True
    assert made["scratch"]["strategy"] == ("memory" if dialect == "sqlite" else "server")
    files = revision_files(project)
    assert [f.name for f in files] == [Path(made["baseline"]["path"]).name]
    text = files[0].read_text()
    upgrade = text.split("def downgrade")[0]
    assert "op.drop_" not in upgrade
    assert version_rows(url) is None  # baseline writes nothing to the live database either
    assert_gone(url, made_scratch)

    # The baseline, applied by the standard tool to a new empty database, rebuilds the live schema.
    empty = make_database(dialect)
    upgrade_with_standard_tool(name, project, empty)
    assert schema_differences(url, empty) == []

    code, stamped = adopt_json("stamp", *APPS[name])
    assert code == 0, stamped
    [stamped] = stamped["targets"]
    assert stamped["outcome"] == "stamped" and stamped["before"] == "absent"
    assert version_rows(url) == [made["baseline"]["revision"]]
    assert row_checksums(url) == rows_before

    code, again = adopt_json("stamp", *APPS[name])
    assert code == 0 and again["targets"][0]["outcome"] == "at head"
    assert version_rows(url) == [made["baseline"]["revision"]]


def upgrade_with_standard_tool(name: str, project: Path, url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    bin_dir = Path(sys.executable).parent
    if name == "inventory":
        command = [str(bin_dir / "alembic"), "upgrade", "head"]
    else:
        app = "microblog" if name == "microblog" else "shop"
        command = [str(bin_dir / "flask"), "--app", app, "db", "upgrade"]
        if name == "pgshop":
            pytest.importorskip("flask_migrate")
            command = [sys.executable, "-c", _PGSHOP_UPGRADE]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# pgshop has no Flask-Migrate of its own: register it just for this upgrade.
_PGSHOP_UPGRADE = (
    "from flask_migrate import Migrate, upgrade\n"
    "from shop import app, db\n"
    "Migrate(app, db)\n"
    "with app.app_context():\n"
    "    upgrade()\n"
)


def microblog_db(project: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`flask --app microblog db ARGS` in the project, on the database at url."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "microblog", "db", *args],
        cwd=project,
        env=dict(os.environ, DATABASE_URL=url),
        capture_output=True,
        text=True,
    )


def assert_microblog_at_head(project: Path, url: str, revision: str) -> None:
    """`flask db current` shows the baseline at head, and `flask db check` finds nothing."""
    assert f"{revision} (head)" in microblog_db(project, url, "current").stdout
    check = microblog_db(project, url, "check")
    assert check.returncode == 0 and "No new upgrade operations detected" in check.stdout


def test_run_yes_adopts_and_standard_tools_continue(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    url = make_database("sqlite")
    project = sample("microblog", url)
    result = adopt("run", "--yes", "--app", "microblog")
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project)
    revision = baseline.name.split("_")[0]
    assert version_rows(url) == [revision]

    assert_microblog_at_head(project, url, revision)

    # A model change afterwards gives a correct next migration on top of the baseline.
    models = project / "app" / "models.py"
    models.write_text(
        models.read_text().replace(
            "    language: so.Mapped[str | None] = so.mapped_column(sa.String(5))",
            "    language: so.Mapped[str | None] = so.mapped_column(sa.String(5))\n"
            "    likes: so.Mapped[int | None] = so.mapped_column(sa.Integer)",
        )
    )
    migrate = microblog_db(project, url, "migrate", "-m", "likes")
    assert migrate.returncode == 0, migrate.stderr
    new = [f for f in revision_files(project) if f != baseline]
    assert len(new) == 1
    text = new[0].read_text()
    assert f"down_revision = '{revision}'" in text
    assert "add_column(sa.Column('likes'" in text
    assert "create_table" not in text and "drop_table" not in text


def test_alembic_layout_for_plain_sqlalchemy(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    url = make_database("sqlite")
    project = sample("inventory", url)
    result = adopt("run", "--yes", "--models", "inventory.models:Base")
    assert result.exit_code == 0, result.output
    ini = (project / "alembic.ini").read_text()
    assert "script_location = %(here)s/migrations" in ini
    [baseline] = revision_files(project)
    assert "import inventory.types" in baseline.read_text()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # alembic.ini alone must reach the SQLite file
    current = subprocess.run(
        [str(Path(sys.executable).parent / "alembic"), "current"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout


def test_pgshop_dialect_types_render_with_imports(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    url = make_database("postgresql")
    project = sample("pgshop", url)
    code, made = adopt_json("baseline", "--app", "shop")
    assert code == 0, made
    text = revision_files(project)[0].read_text()
    assert "from sqlalchemy.dialects import postgresql" in text
    assert "postgresql.ARRAY(sa.String(length=50))" in text
    assert "server_default=sa.text('true')" in text
    assert "server_default=sa.text('now()')" in text
    assert "postgresql.JSONB" in made["baseline"]["summary"]["dialect_types"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_stamp_sql_connects_to_nothing_and_applies_cleanly(
    make_database: Callable[[str], str], sample: Callable[..., Path], dialect: str
) -> None:
    url = make_database(dialect)
    project = sample("microblog", url)
    assert adopt("baseline", "--app", "microblog").exit_code == 0
    [baseline] = revision_files(project)
    revision = baseline.name.split("_")[0]
    # An unreachable URL of the same dialect: --sql must not try to connect.
    nowhere = {
        "sqlite": "sqlite:////nonexistent/x.db",
        "postgresql": "postgresql+psycopg://u@127.0.0.1:1/x",
        "mariadb": "mysql+pymysql://u@127.0.0.1:1/x",
    }[dialect]
    result = adopt("stamp", "--sql", "--app", "microblog", "--url", nowhere)
    assert result.exit_code == 0, result.output
    sql = result.stdout
    assert "CREATE TABLE IF NOT EXISTS alembic_version" in sql
    assert f"'{revision}'" in sql
    # A DBA applies it (twice, by mistake): still one row, at head.
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    e = sa.create_engine(url)
    for _ in range(2):
        with e.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
            conn.commit()
    e.dispose()
    assert version_rows(url) == [revision]
    code, status = adopt_json("status", "--app", "microblog")
    assert code == 0, status
    [target] = status["targets"]
    assert target["outcome"] == "at head" and target["differences"] == []


def test_flask_adopt_plugin_and_a_flask_db_init_repository(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    """`flask adopt` finds the app the Flask way; an existing `flask db init` repository (stock
    env.py) is used as it is; the standard tools carry on."""
    url = make_database("sqlite")
    project = sample("microblog", url)
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "microblog"]
    env = dict(os.environ, DATABASE_URL=url, NO_COLOR="1")
    init = subprocess.run(
        [*flask, "db", "init"], cwd=project, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    stock_env = (project / "migrations" / "env.py").read_text()
    run = subprocess.run(
        [*flask, "adopt", "run", "--yes", "--json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "Flask app 'microblog'" in run.stdout
    assert (project / "migrations" / "env.py").read_text() == stock_env  # honoured, untouched
    [baseline] = revision_files(project)
    revision = baseline.name.split("_")[0]
    assert version_rows(url) == [revision]
    current = subprocess.run(
        [*flask, "db", "current"], cwd=project, env=env, capture_output=True, text=True
    )
    assert f"{revision} (head)" in current.stdout


def test_settings_precedence_and_adopt_config(
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = make_database("sqlite")
    project = sample("microblog", url)
    (project / "pyproject.toml").write_text(
        '[tool.adopt]\napp = "microblog"\nmessage = "from file"\nscratch = "memory"\n'
        '[tool.adopt.targets]\nstaging = "postgresql://deploy:s3cret@db.example/app"\n'
    )
    monkeypatch.setenv("ADOPT_MESSAGE", "from env")
    code, doc = adopt_json("config", "--scratch", "auto")
    assert code == 0
    settings = doc["settings"]
    assert settings["app"] == {"value": "microblog", "source": "pyproject.toml"}
    assert settings["message"] == {"value": "from env", "source": "ADOPT_MESSAGE"}
    assert settings["scratch"] == {"value": "auto", "source": "flag"}
    assert doc["targets"]["staging"] == "postgresql://deploy:***@db.example/app"
    assert "s3cret" not in json.dumps(doc)
    # The settings are used: no --app needed, the message comes from the environment.
    code, made = adopt_json("baseline")
    assert code == 0, made
    assert made["baseline"]["message"] == "from env"
    assert made["scratch"]["strategy"] == "memory"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_column_level_check_constraints_reach_the_baseline(
    tmp_path: Path,
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    """Alembic renders only table-level CHECKs; one declared on a column must not be lost."""
    url = make_database(dialect)
    (tmp_path / "checkmodels.py").write_text(
        "import sqlalchemy as sa\n"
        "metadata = sa.MetaData()\n"
        "stock = sa.Table('stock', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "    sa.Column('qty', sa.Integer, sa.CheckConstraint('qty >= 0', name='ck_qty')))\n"
    )
    code = "import sqlalchemy as sa, checkmodels as m; m.metadata.create_all(sa.create_engine(%r))"
    subprocess.run([sys.executable, "-c", code % url], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    result = adopt("run", "--yes", "--models", "checkmodels:metadata", "--url", url)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(tmp_path)
    assert "sa.CheckConstraint('qty >= 0', name='ck_qty')" in baseline.read_text()


OUTSIDE_THE_MODELS = {
    "sqlite": [
        "CREATE VIEW recent_posts AS SELECT * FROM post",
        "CREATE TRIGGER touch AFTER INSERT ON post BEGIN UPDATE user SET about_me = 'x'; END",
    ],
    "postgresql": [
        "CREATE VIEW recent_posts AS SELECT * FROM post",
        "CREATE MATERIALIZED VIEW post_counts AS SELECT user_id, count(*) FROM post GROUP BY 1",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
        "CREATE TRIGGER touch AFTER INSERT ON post FOR EACH ROW EXECUTE FUNCTION touch()",
        "CREATE SEQUENCE invoice_numbers",
    ],
    "mariadb": [
        "CREATE VIEW recent_posts AS SELECT * FROM post",
        "CREATE TRIGGER touch AFTER INSERT ON post FOR EACH ROW SET @x = 1",
    ],
}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_objects_the_baseline_cannot_carry_are_listed(
    make_database: Callable[[str], str], sample: Callable[..., Path], dialect: str
) -> None:
    url = make_database(dialect)
    sample("microblog", url)
    e = sa.create_engine(url)
    with e.begin() as conn:
        for statement in OUTSIDE_THE_MODELS[dialect]:
            conn.exec_driver_sql(statement)
    e.dispose()
    code, report = adopt_json("check", "--app", "microblog")
    assert code == 0, report
    report = report["check"]
    listed = report["not_in_baseline"]
    assert "view recent_posts" in listed
    assert any(item.startswith("trigger touch") for item in listed)
    if dialect == "postgresql":
        assert {
            "materialized view post_counts",
            "function touch",
            "sequence invoice_numbers",
        } <= set(listed)
        assert not any("_id_seq" in item for item in listed)  # serial sequences belong to tables
    result = adopt("run", "--yes", "--app", "microblog")
    assert result.exit_code == 0, result.output
    assert "Not in the baseline" in result.output and "recent_posts" in result.output


def test_postgresql_models_in_other_schemas(
    tmp_path: Path, make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables in a schema other than public are checked, baselined (schema created first),
    verified and stamped; schemas the models do not name are left alone."""
    url = make_database("postgresql")
    (tmp_path / "schemamodels.py").write_text(
        "import sqlalchemy as sa\n"
        "metadata = sa.MetaData()\n"
        "users = sa.Table('users', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "    sa.Column('email', sa.String(120), nullable=False, unique=True))\n"
        "log = sa.Table('log', metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "    sa.Column('user_id', sa.Integer, sa.ForeignKey('users.id')),\n"
        "    sa.Column('event', sa.String(40), index=True), schema='audit')\n"
    )
    e = sa.create_engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA audit")
        conn.exec_driver_sql("CREATE SCHEMA reporting")
        conn.exec_driver_sql("CREATE TABLE reporting.daily (id integer PRIMARY KEY)")
    code = "import sqlalchemy as sa, schemamodels as m; m.metadata.create_all(sa.create_engine(%r))"
    subprocess.run([sys.executable, "-c", code % url], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    code_, report = adopt_json("check", "--models", "schemamodels:metadata")
    assert code_ == 0, report
    report = report["check"]
    assert report["unmanaged_tables"] == []  # reporting.daily: not a schema the models use
    result = adopt("run", "--yes", "--models", "schemamodels:metadata")
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(tmp_path)
    text = baseline.read_text()
    assert text.index('CREATE SCHEMA IF NOT EXISTS "audit"') < text.index("op.create_table('log'")
    assert "schema='audit'" in text
    # The standard tool rebuilds both schemas in an empty database.
    empty = make_database("postgresql")
    done = alembic_upgrade(tmp_path, empty)
    assert done.returncode == 0, done.stderr
    f = sa.create_engine(empty)
    with f.connect() as conn:
        assert sa.inspect(conn).get_table_names(schema="audit") == ["log"]
    f.dispose()
    status = adopt("status", "--models", "schemamodels:metadata", "--json")
    assert status.exit_code == 0, status.output
    with e.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM reporting.daily").scalar() == 0
    e.dispose()


def test_a_customised_flask_db_init_env_py_is_honoured(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    """An existing `flask db init` repository whose env.py filters a table: the check, the
    baseline and the verification all honour it, and env.py is left as it was."""
    url = make_database("sqlite")
    project = sample("microblog", url)
    e = sa.create_engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE legacy_audit (id INTEGER PRIMARY KEY, note TEXT)")
    e.dispose()
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "microblog"]
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run([*flask, "db", "init"], cwd=project, env=env, check=True, capture_output=True)
    env_py = project / "migrations" / "env.py"
    custom = (
        env_py.read_text()
        .replace(
            "def run_migrations_online():",
            "def skip_legacy(obj, name, type_, reflected, compare_to):\n"
            "    return not (type_ == 'table' and name == 'legacy_audit')\n\n\n"
            "def run_migrations_online():",
        )
        .replace(
            "conf_args = current_app.extensions['migrate'].configure_args",
            "conf_args = current_app.extensions['migrate'].configure_args\n"
            "    conf_args['include_object'] = skip_legacy",
        )
    )
    assert "skip_legacy" in custom and "conf_args['include_object']" in custom
    env_py.write_text(custom)
    code, report = adopt_json("check", "--app", "microblog")
    assert code == 0, report
    report = report["check"]
    assert report["unmanaged_tables"] == []
    result = adopt("run", "--yes", "--app", "microblog")
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project)
    assert "legacy_audit" not in baseline.read_text()
    assert env_py.read_text() == custom
    check = subprocess.run(
        [*flask, "db", "check"], cwd=project, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_factory_calling_create_all_is_adopted_and_standard_tools_continue(
    make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    """An app factory that calls db.create_all() at start-up: adopt skips the call (so the
    scratch database stays empty), says so, and the result works with `flask db`."""
    url = make_database("sqlite")
    project = sample("microblog", url)
    factory = project / "app" / "__init__.py"
    factory.write_text(
        factory.read_text().replace(
            "    return app\n",
            "    with app.app_context():\n        db.create_all()\n    return app\n",
        )
    )
    result = adopt("run", "--yes", "--app", "microblog")
    assert result.exit_code == 0, result.output
    assert "create_all()" in result.output
    [baseline] = revision_files(project)
    revision = baseline.name.split("_")[0]
    assert "op.create_table('user'" in baseline.read_text()
    assert version_rows(url) == [revision]

    assert_microblog_at_head(project, url, revision)
