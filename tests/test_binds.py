"""Several databases through Flask-SQLAlchemy binds (the helpdesk sample: tickets in the main
database, the audit trail in the 'audit' bind): one baseline in Flask-Migrate's multidb layout,
each database checked, verified and stamped, and the standard tools working afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import SAMPLES
from helpers import Scripted
from helpers import adopt
from helpers import adopt_json
from helpers import revision_files
from helpers import row_checksums
from helpers import schema_differences
from helpers import version_rows

APP = ["--app", "helpdesk:create_app()"]
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "helpdesk:create_app()", "db"]
MAIN_TABLES = {"agent", "ticket", "comment"}
AUDIT_TABLES = {"audit_event", "login_attempt"}


class Helpdesk:
    def __init__(self, folder: Path, main: str, audit: str) -> None:
        self.folder, self.main, self.audit = folder, main, audit

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, DATABASE_URL=self.main, AUDIT_DATABASE_URL=self.audit)

    def flask(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*FLASK, *args], cwd=self.folder, env=env or self.env, capture_output=True, text=True
        )


@pytest.fixture
def helpdesk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> Callable[[str], Helpdesk]:
    """helpdesk(main_dialect): the sample copied and built, its main database on that dialect
    and its audit bind on SQLite."""

    def build(dialect: str) -> Helpdesk:
        folder = tmp_path / "helpdesk"
        shutil.copytree(
            SAMPLES / "helpdesk", folder, ignore=shutil.ignore_patterns("*.db", "__pycache__")
        )
        made = Helpdesk(folder, make_database(dialect), make_database("sqlite"))
        subprocess.run([sys.executable, "build_legacy_db.py"], cwd=folder, env=made.env, check=True)
        monkeypatch.chdir(folder)
        monkeypatch.setenv("DATABASE_URL", made.main)
        monkeypatch.setenv("AUDIT_DATABASE_URL", made.audit)
        return made

    return build


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_two_binds_adopted_and_standard_tools_continue(
    dialect: str, helpdesk: Callable[[str], Helpdesk], make_database: Callable[[str], str]
) -> None:
    project = helpdesk(dialect)
    rows = (row_checksums(project.main), row_checksums(project.audit))

    result = adopt("run", "--yes", *APP)
    assert result.exit_code == 0, result.output
    assert "bind 'audit'" in result.output

    # One revision, Flask-Migrate's multidb shape: upgrade_<bind>() per database.
    [baseline] = revision_files(project.folder)
    revision = baseline.name.split("_")[0]
    text = baseline.read_text()
    assert "def upgrade(engine_name):" in text
    default_part = text.split("def upgrade_():", 1)[1].split("def downgrade_():", 1)[0]
    audit_part = text.split("def upgrade_audit():", 1)[1].split("def downgrade_audit():", 1)[0]
    assert {t for t in MAIN_TABLES if f"'{t}'" in default_part} == MAIN_TABLES
    assert not any(f"'{t}'" in default_part for t in AUDIT_TABLES)
    assert {t for t in AUDIT_TABLES if f"'{t}'" in audit_part} == AUDIT_TABLES
    assert not any(f"'{t}'" in audit_part for t in MAIN_TABLES)

    # Each database stamped in its own alembic_version; the data untouched.
    assert version_rows(project.main) == [revision]
    assert version_rows(project.audit) == [revision]
    assert (row_checksums(project.main), row_checksums(project.audit)) == rows

    # The standard tools: current, check, and upgrade of two empty databases to the same schemas.
    current = project.flask("current")
    assert current.stdout.count(f"{revision} (head)") == 2, current.stderr
    check = project.flask("check")
    assert check.returncode == 0 and "No new upgrade operations detected" in check.stdout
    fresh_main, fresh_audit = make_database(dialect), make_database("sqlite")
    fresh = dict(project.env, DATABASE_URL=fresh_main, AUDIT_DATABASE_URL=fresh_audit)
    upgraded = project.flask("upgrade", env=fresh)
    assert upgraded.returncode == 0, upgraded.stderr
    assert schema_differences(project.main, fresh_main) == []
    assert schema_differences(project.audit, fresh_audit) == []

    # A model change in each database gives the right next migration on top of the baseline.
    models = project.folder / "helpdesk" / "models.py"
    models.write_text(
        models.read_text() + "\n\nclass Tag(db.Model):\n"
        "    id: so.Mapped[int] = so.mapped_column(primary_key=True)\n"
        "    label: so.Mapped[str] = so.mapped_column(sa.String(30))\n"
        "\n\nclass ExportJob(db.Model):\n"
        "    __bind_key__ = 'audit'\n"
        "    id: so.Mapped[int] = so.mapped_column(primary_key=True)\n"
    )
    migrate = project.flask("migrate", "-m", "tags")
    assert migrate.returncode == 0, migrate.stderr
    [new] = [f for f in revision_files(project.folder) if f != baseline]
    text = new.read_text()
    assert f"down_revision = '{revision}'" in text
    assert "op.create_table('tag'" in text.split("def upgrade_():", 1)[1].split("def ", 1)[0]
    audit_part = text.split("def upgrade_audit():", 1)[1].split("def ", 1)[0]
    assert "op.create_table('export_job'" in audit_part
    assert "drop_table" not in text.split("def downgrade(", 1)[0]


def test_excluded_bind_is_left_alone(helpdesk: Callable[[str], Helpdesk]) -> None:
    project = helpdesk("sqlite")
    result = adopt("run", "--yes", *APP, "--exclude-bind", "audit")
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project.folder)
    revision = baseline.name.split("_")[0]
    assert version_rows(project.main) == [revision]
    assert version_rows(project.audit) is None  # never written
    assert "EXCLUDED_BINDS = {'audit'}" in (project.folder / "migrations" / "env.py").read_text()
    assert "audit_event" not in baseline.read_text()
    # The standard tools leave the excluded database alone too.
    assert project.flask("upgrade").returncode == 0
    assert version_rows(project.audit) is None


def test_unknown_excluded_bind_is_refused(helpdesk: Callable[[str], Helpdesk]) -> None:
    project = helpdesk("sqlite")
    result = adopt("check", *APP, "--exclude-bind", "billing")
    assert result.exit_code == 2
    assert "no bind of that name" in result.output and "audit" in result.output
    assert not (project.folder / "migrations").exists()


def test_drift_in_one_bind_names_it_and_writes_nothing(helpdesk: Callable[[str], Helpdesk]) -> None:
    project = helpdesk("sqlite")
    engine = sa.create_engine(project.audit)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE login_attempt ADD COLUMN ip VARCHAR(45)")
    engine.dispose()

    code, document = adopt_json("check", *APP)
    assert code == 3
    [main, audit] = document["databases"]
    assert (main["bind"], audit["bind"]) == (None, "audit")
    assert main["check"]["differences"] == []
    assert [d["object"] for d in audit["check"]["differences"]] == ["ip"]

    result = adopt("run", "--yes", *APP)
    assert result.exit_code == 3
    assert "ip" in result.output
    assert not (project.folder / "migrations").exists()
    assert version_rows(project.main) is None and version_rows(project.audit) is None


def test_stamp_each_bind_and_named_targets(
    helpdesk: Callable[[str], Helpdesk], make_database: Callable[[str], str]
) -> None:
    project = helpdesk("sqlite")
    assert adopt("baseline", *APP).exit_code == 0
    [baseline] = revision_files(project.folder)
    revision = baseline.name.split("_")[0]

    # A teammate's copies: stamping without targets stamps each bind's database.
    code, document = adopt_json("stamp", *APP)
    assert code == 0, document
    assert [t["outcome"] for t in document["targets"]] == ["stamped", "stamped"]
    assert version_rows(project.audit) == [revision]

    # Another copy of the audit database: it must say which bind it belongs to.
    other = make_database("sqlite")
    shutil.copyfile(project.audit.removeprefix("sqlite:///"), other.removeprefix("sqlite:///"))
    engine = sa.create_engine(other)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
    engine.dispose()
    refused = adopt("stamp", *APP, other)
    assert refused.exit_code == 2 and "--bind" in refused.output
    wrong = adopt("stamp", *APP, "--bind", "default", other)
    assert wrong.exit_code == 3  # the audit tables are not the default database's schema
    assert version_rows(other) == []
    right = adopt("stamp", *APP, "--bind", "audit", other)
    assert right.exit_code == 0, right.output
    assert version_rows(other) == [revision]

    sql = adopt("stamp", *APP, "--sql")
    assert sql.exit_code == 0
    assert "-- default database (sqlite)" in sql.output and "-- bind 'audit' (sqlite)" in sql.output


def test_existing_flask_db_init_multidb_repository(helpdesk: Callable[[str], Helpdesk]) -> None:
    """A repository made by 'flask db init --multidb' (Flask-Migrate's own env.py) is used as
    it is."""
    project = helpdesk("sqlite")
    init = project.flask("init", "--multidb")
    assert init.returncode == 0, init.stderr
    env_before = (project.folder / "migrations" / "env.py").read_text()

    result = adopt("run", "--yes", *APP)
    assert result.exit_code == 0, result.output
    assert (project.folder / "migrations" / "env.py").read_text() == env_before
    [baseline] = revision_files(project.folder)
    revision = baseline.name.split("_")[0]
    assert version_rows(project.main) == [revision] and version_rows(project.audit) == [revision]
    assert f"{revision} (head)" in project.flask("heads").stdout
    check = project.flask("check")
    assert check.returncode == 0 and "No new upgrade operations detected" in check.stdout
    assert tables(project.audit) == AUDIT_TABLES


def test_wizard_adopts_every_bind(helpdesk: Callable[[str], Helpdesk]) -> None:
    project = helpdesk("sqlite")
    prompter = Scripted(
        ("is this right", "yes"),
        ("verdict", "accept"),
        ("stamp the live databases (every bind's)", True),
    )
    result = adopt(*APP, obj={"prompter": prompter})
    assert result.exit_code == 0, result.output
    assert not prompter.answers
    assert "bind 'audit'" in result.output and "default database" in result.output
    [baseline] = revision_files(project.folder)
    revision = baseline.name.split("_")[0]
    assert version_rows(project.main) == [revision] and version_rows(project.audit) == [revision]


LEDGER_MODELS = """
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)


class Entry(Base):
    __tablename__ = "entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    amount: Mapped[int] = mapped_column(server_default="0")


class AnalyticsBase(DeclarativeBase):
    pass


class PageView(AnalyticsBase):
    __tablename__ = "page_view"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(200), index=True)
    at: Mapped[datetime]
"""

LEDGER_CONFIG = """
[tool.adopt]
models = "ledger.models:Base"

[tool.adopt.binds.analytics]
models = "ledger.models:AnalyticsBase"
url = "env:ANALYTICS_URL"
"""


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_plain_sqlalchemy_with_two_metadata(
    dialect: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
) -> None:
    folder = tmp_path / "ledger"
    (folder / "ledger").mkdir(parents=True)
    (folder / "ledger" / "__init__.py").write_text("")
    (folder / "ledger" / "models.py").write_text(LEDGER_MODELS)
    (folder / "pyproject.toml").write_text(LEDGER_CONFIG)
    main, analytics = make_database(dialect), make_database("sqlite")
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    for cached in ("ledger", "ledger.models"):  # an earlier parameter's copy
        monkeypatch.delitem(sys.modules, cached, raising=False)
    monkeypatch.setenv("DATABASE_URL", main)
    monkeypatch.setenv("ANALYTICS_URL", analytics)
    from ledger import models  # type: ignore[import-not-found]

    for url, base in ((main, models.Base), (analytics, models.AnalyticsBase)):
        engine = sa.create_engine(url)
        base.metadata.create_all(engine)
        engine.dispose()

    result = adopt("run", "--yes")
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(folder)
    revision = baseline.name.split("_")[0]
    assert version_rows(main) == [revision] and version_rows(analytics) == [revision]
    assert "page_view" in baseline.read_text().split("def upgrade_analytics():", 1)[1]
    ini = (folder / "alembic.ini").read_text()
    assert "[analytics]" in ini

    alembic = [str(Path(sys.executable).parent / "alembic")]
    env = dict(os.environ)
    run = lambda *a, **kw: subprocess.run(  # noqa: E731
        [*alembic, *a], cwd=folder, capture_output=True, text=True, **kw
    )
    current = run("current", env=env)
    assert current.stdout.count(f"{revision} (head)") == 2, current.stderr
    check = run("check", env=env)
    assert check.returncode == 0 and "No new upgrade operations detected" in check.stdout
    fresh_main, fresh_analytics = make_database(dialect), make_database("sqlite")
    fresh = dict(env, DATABASE_URL=fresh_main, ANALYTICS_URL=fresh_analytics)
    assert run("upgrade", "head", env=fresh).returncode == 0
    assert schema_differences(main, fresh_main) == []
    assert schema_differences(analytics, fresh_analytics) == []

    # The next model change lands in the right database's function.
    source = folder / "ledger" / "models.py"
    source.write_text(
        source.read_text().replace(
            "    at: Mapped[datetime]\n",
            "    at: Mapped[datetime]\n    referrer: Mapped[str | None] = mapped_column(sa.Text)\n",
        )
    )
    made = run("revision", "--autogenerate", "-m", "referrer", env=env)
    assert made.returncode == 0, made.stderr
    [new] = [f for f in revision_files(folder) if f != baseline]
    text = new.read_text()
    assert "add_column('referrer'" in text.split("def upgrade_analytics():", 1)[1] or (
        "sa.Column('referrer'" in text.split("def upgrade_analytics():", 1)[1]
    )
    assert "op." not in text.split("def upgrade_():", 1)[1].split("def ", 1)[0]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("[tool.adopt.binds]\nanalytics = 3\n", "needs a name made of letters"),
        (
            '[tool.adopt.binds.analytics]\nmodels = "ledger.models:AnalyticsBase"\n',
            "exactly models and url",
        ),
        (
            '[tool.adopt.binds.analytics]\nmodels = "ledger.models:Base"\nurl = "sqlite:///a.db"\n',
            "same MetaData",
        ),
        (
            '[tool.adopt.binds.analytics]\nmodels = "ledger.models:AnalyticsBase"\n'
            'url = "env:ADOPT_TEST_UNSET_VARIABLE"\n',
            "$ADOPT_TEST_UNSET_VARIABLE, which is not set",
        ),
    ],
)
def test_bad_binds_configuration_is_refused(
    config: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / "__init__.py").write_text("")
    (tmp_path / "ledger" / "models.py").write_text(LEDGER_MODELS)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.adopt]\nmodels = "ledger.models:Base"\n' + config
    )
    monkeypatch.chdir(tmp_path)
    for cached in ("ledger", "ledger.models"):
        monkeypatch.delitem(sys.modules, cached, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'main.db'}")
    monkeypatch.delenv("ADOPT_TEST_UNSET_VARIABLE", raising=False)
    result = adopt("check")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger", "pyproject.toml"]


def test_binds_configuration_with_a_flask_app_is_refused(
    helpdesk: Callable[[str], Helpdesk],
) -> None:
    project = helpdesk("sqlite")
    (project.folder / "pyproject.toml").write_text(
        '[tool.adopt.binds.extra]\nmodels = "helpdesk:db"\nurl = "sqlite:///x.db"\n'
    )
    result = adopt("check", *APP)
    assert result.exit_code == 2
    assert "SQLALCHEMY_BINDS" in result.output


ONLY_BINDS_APP = """
import os

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Event(db.Model):
    __bind_key__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(40), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_BINDS"] = {"events": os.environ["EVENTS_URL"]}
    db.init_app(app)
    Migrate(app, db)
    return app
"""


def test_every_model_in_a_named_bind_and_no_default_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> None:
    """SQLALCHEMY_DATABASE_URI may be absent when every model names its bind."""
    (tmp_path / "eventsapp.py").write_text(ONLY_BINDS_APP)
    events = make_database("sqlite")
    engine = sa.create_engine(events)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE event (id INTEGER NOT NULL, name VARCHAR(40) NOT NULL, PRIMARY KEY (id))"
        )
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVENTS_URL", events)
    monkeypatch.delitem(sys.modules, "eventsapp", raising=False)

    result = adopt("run", "--yes", "--app", "eventsapp:create_app()")
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(tmp_path)
    assert version_rows(events) == [baseline.name.split("_")[0]]
    assert "def upgrade_events():" in baseline.read_text()

    fresh = make_database("sqlite")
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "eventsapp:create_app()", "db"]
    upgraded = subprocess.run(
        [*flask, "upgrade"],
        cwd=tmp_path,
        env=dict(os.environ, EVENTS_URL=fresh),
        capture_output=True,
        text=True,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert tables(fresh) == {"event"}
