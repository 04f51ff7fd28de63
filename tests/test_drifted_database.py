"""A database that drifted from its models, adopted as it is: a baseline of what it has, a
catch-up revision to the models, the live database stamped at the baseline, and `flask db
upgrade` taking it to the models with its rows unchanged. On every dialect, through the
command line, the wizard (scripted and in a pseudo-terminal), and against a held lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import DOWN
from helpers import ENTER
from helpers import ByQuestion
from helpers import adopt
from helpers import adopt_json
from helpers import alembic_upgrade
from helpers import engine
from helpers import in_a_terminal
from helpers import schema_differences
from helpers import version_rows

from adopt import api

FLASK = str(Path(sys.executable).parent / "flask")

# The models, as a Flask-SQLAlchemy app.
SHOP = """
import os

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(db.Model):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(120), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)
    bio = sa.Column(sa.String(100))
    status = sa.Column(sa.String(20), server_default="active")


class Post(db.Model):
    __tablename__ = "posts"
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(
        sa.Integer, sa.ForeignKey("users.id", name="fk_posts_user"), nullable=False
    )
    title = sa.Column(sa.String(200), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    Migrate(app, db)
    return app
"""

# The live database, drifted from those models in eight ways; its keys are what each server
# makes of an Integer primary key (autoincrementing).
KEYS = {
    "sqlite": "id INTEGER NOT NULL PRIMARY KEY",
    "postgresql": "id SERIAL PRIMARY KEY",
    "mariadb": "id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY",
}
DRIFTED = [
    "CREATE TABLE users ({id}, email VARCHAR(120) NOT NULL, "
    "name VARCHAR(150) NOT NULL, bio VARCHAR(50), status VARCHAR(20) DEFAULT 'new', "
    "legacy_flag INTEGER)",
    "CREATE TABLE posts ({id}, user_id INTEGER, title VARCHAR(200) NOT NULL)",
    "CREATE INDEX ix_posts_title ON posts (title)",
    "INSERT INTO users (id, email, name, bio, status, legacy_flag) VALUES "
    "(1, 'ann@example.com', 'Ann', 'hi', 'new', 1), "
    "(2, 'bob@example.com', 'Bob', NULL, 'new', NULL)",
    "INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'One'), (2, 2, 'Two')",
]
DRIFTS = {
    "type/users.name",  # widened by hand: the catch-up narrows it (the rows fit)
    "type/users.bio",  # narrowed by hand: the catch-up widens it
    "index/posts.ix_posts_title",  # an index added in an incident
    "index/users.ix_users_email",  # an index never created
    "server_default/users.status",  # a default changed at a console
    "foreign_key/posts.fk_posts_user",  # a foreign key dropped
    "extra_column/users.legacy_flag",  # a column added by hand
    "nullable/posts.user_id",  # NOT NULL lost
}
MODEL_COLUMNS = {
    "users": ["id", "email", "name", "bio", "status"],
    "posts": ["id", "user_id", "title"],
}


class Shop:
    def __init__(self, folder: Path, url: str) -> None:
        self.folder, self.url = folder, url

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, DATABASE_URL=self.url)

    def flask(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FLASK, "--app", "shop:create_app()", "db", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of the models' columns, which neither revision may change."""
        e = engine(self.url)
        try:
            with e.connect() as conn:
                return {
                    table: sorted(
                        tuple(r)
                        for r in conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM {table}")
                    )
                    for table, cols in MODEL_COLUMNS.items()
                }
        finally:
            e.dispose()


@pytest.fixture
def shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> Callable[[str], Shop]:
    def build(dialect: str) -> Shop:
        folder = tmp_path / "shop"
        folder.mkdir()
        (folder / "shop.py").write_text(SHOP)
        made = Shop(folder, make_database(dialect))
        _drifted(made.url, dialect)
        monkeypatch.chdir(folder)
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.setenv("DATABASE_URL", made.url)
        return made

    return build


APP = ("--app", "shop:create_app()")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_a_drifted_database_is_adopted_as_it_is_then_caught_up(
    shop: Callable[[str], Shop], make_database: Callable[[str], str], dialect: str
) -> None:
    made = shop(dialect)
    rows = made.rows()
    code, found = adopt_json("run", "--yes", "--from-database", *APP)
    assert code == 0, found
    assert {
        step["difference"]["kind"] + "/" + step["difference"]["table"]
        for step in found["decisions"]
    } >= {"type/users", "index/posts"}
    keys = {_key(step["difference"]) for step in found["decisions"]}
    assert keys == DRIFTS
    assert found["verification"]["passed"]
    baseline, catch_up = found["baseline"]["revision"], found["catch_up"]["revision"]
    # Stamped at the baseline, whose schema it has; the catch-up waits for the upgrade.
    assert version_rows(made.url) == [baseline]
    assert [r["outcome"] for r in found["stamp"]] == ["stamped"]

    # Replayed independently of adopt's own proof: the baseline alone rebuilds the live
    # schema, baseline plus catch-up the schema create_all builds from the models.
    replayed = Shop(made.folder, make_database(dialect))
    assert replayed.flask("upgrade", baseline).returncode == 0
    assert schema_differences(made.url, replayed.url) == []
    assert replayed.flask("upgrade").returncode == 0
    built = make_database(dialect)
    _create_all(made.folder, built)
    assert schema_differences(built, replayed.url) == []
    # And the catch-up's downgrade takes it back to the database's schema.
    assert replayed.flask("downgrade", baseline).returncode == 0
    pristine = make_database(dialect)
    _drifted(pristine, dialect)
    assert schema_differences(pristine, replayed.url) == []

    upgraded = made.flask("upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert version_rows(made.url) == [catch_up]
    assert schema_differences(built, made.url) == []
    assert made.rows() == rows
    status = adopt_json("status", *APP)
    assert status[0] == 0, status[1]
    if dialect == "postgresql":
        text = Path(found["catch_up"]["path"]).read_text()
        assert "autocommit_block():\n        op.create_index(op.f('ix_users_email')" in text
        assert "postgresql_concurrently=True" in text
        assert "NOT VALID" in text and "VALIDATE CONSTRAINT fk_posts_user" in text
        assert _valid_indexes(made.url) >= {"ix_users_email"}


def test_a_difference_kept_as_the_database_has_it(shop: Callable[[str], Shop]) -> None:
    """Kept out of the catch-up, with a model change that, applied, takes it off the check."""
    made = shop("sqlite")
    before = adopt_json("check", *APP)[1]["check"]["differences"]
    assert len(before) == len(DRIFTS)
    code, found = adopt_json(
        "baseline", "--from-database", *APP, "--accept-database", "extra_column/users.legacy_flag"
    )
    assert code == 0, found
    [kept] = [s for s in found["decisions"] if s["decision"] == "database"]
    assert _key(kept["difference"]) == "extra_column/users.legacy_flag"
    change = kept["model_change"]
    assert "sa.Column('legacy_flag', sa.INTEGER(), nullable=True)" in change, change
    text = Path(found["catch_up"]["path"]).read_text()
    assert "legacy_flag" not in text.split("def downgrade")[0]
    assert found["verification"]["passed"]
    assert version_rows(made.url) is None  # baseline writes files only

    # The model change, applied as printed: the check finds one difference fewer.
    column = change.split(": ", 1)[1]
    models = made.folder / "shop.py"
    models.write_text(
        models.read_text().replace(
            '    status = sa.Column(sa.String(20), server_default="active")\n',
            '    status = sa.Column(sa.String(20), server_default="active")\n'
            f"    legacy_flag = {column}\n",
        )
    )
    for module in [m for m in sys.modules if m == "shop"]:
        del sys.modules[module]
    after = adopt_json("check", *APP)[1]["check"]["differences"]
    assert len(after) == len(before) - 1
    assert "extra_column/users.legacy_flag" not in {_key(d) for d in after}


def test_an_unknown_decision_is_refused_and_nothing_is_written(
    shop: Callable[[str], Shop],
) -> None:
    made = shop("sqlite")
    result = adopt("baseline", "--from-database", *APP, "--accept-database", "type/users.nope")
    assert result.exit_code == 2
    assert "names no difference the check found" in result.output
    assert "type/users.name" in result.output  # the known ones are listed
    assert not (made.folder / "migrations").exists()


def test_from_database_and_accept_differences_contradict(shop: Callable[[str], Shop]) -> None:
    made = shop("sqlite")
    result = adopt("run", "--yes", "--from-database", "--accept-differences", *APP)
    assert result.exit_code == 2
    assert "contradict" in result.output
    assert not (made.folder / "migrations").exists()
    assert version_rows(made.url) is None


def test_a_held_lock_fails_the_catch_up_within_its_lock_timeout(
    shop: Callable[[str], Shop],
) -> None:
    """PostgreSQL: the catch-up gives up after lock_timeout rather than queue every query on
    the table behind it; nothing of it stays, and it runs once the lock is gone."""
    made = shop("postgresql")
    code, found = adopt_json("run", "--yes", "--from-database", *APP)
    assert code == 0, found
    baseline = found["baseline"]["revision"]
    holder = engine(made.url)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with holder.begin() as conn:
            conn.exec_driver_sql("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            held.set()
            release.wait(120)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(30)
        started = time.monotonic()
        blocked = made.flask("upgrade", timeout=90)
        took = time.monotonic() - started
    finally:
        release.set()
        thread.join()
        holder.dispose()
    assert blocked.returncode != 0
    assert "lock timeout" in blocked.stderr
    assert took < 30, took  # lock_timeout is 5 s; the rest is starting Flask
    assert version_rows(made.url) == [baseline]
    assert made.flask("upgrade").returncode == 0
    assert version_rows(made.url) == [found["catch_up"]["revision"]]


def _drifted(url: str, dialect: str) -> None:
    e = engine(url)
    with e.begin() as conn:
        for statement in DRIFTED:
            conn.exec_driver_sql(statement.replace("{id}", KEYS[dialect]))
    e.dispose()


def _key(difference: dict[str, str]) -> str:
    return api.decision_key(api.Difference(**difference))


def _create_all(folder: Path, url: str) -> None:
    script = (
        "import shop\napp = shop.create_app()\nwith app.app_context():\n    shop.db.create_all()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        env=dict(os.environ, DATABASE_URL=url),
        check=True,
    )


def _valid_indexes(url: str) -> set[str]:
    e = engine(url)
    try:
        with e.connect() as conn:
            return {
                name
                for (name,) in conn.execute(
                    sa.text(
                        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        "WHERE i.indisvalid"
                    )
                )
            }
    finally:
        e.dispose()


# --- the wizard ----------------------------------------------------------------------------------


def test_the_wizard_decides_each_difference(shop: Callable[[str], Shop]) -> None:
    made = shop("sqlite")
    prompter = ByQuestion(
        {
            "is this right": "yes",
            "what now": "database",
            "extra_column/users.legacy_flag": "database",
            "/": "models",  # every other difference, named KIND/TABLE.OBJECT
            "use it": "auto",
            "verdict on the two revisions": "accept",
            "stamp the live database at the baseline": True,
            "another database": "",
        }
    )
    result = adopt(*APP, obj={"prompter": prompter})
    assert result.exit_code == 0, result.output
    decided = [q for q in prompter.asked if "/" in q.split(":")[0]]
    assert {q.split(":")[0] for q in decided} == DRIFTS
    [baseline, catch_up] = sorted(
        (made.folder / "migrations" / "versions").glob("*.py"),
        key=lambda p: "catch_up" in p.name,
    )
    assert version_rows(made.url) == [baseline.name.split("_")[0]]
    assert "drop_column('legacy_flag')" not in catch_up.read_text()
    assert "sa.Column('legacy_flag', sa.INTEGER(), nullable=True)" in result.output
    assert "flask db upgrade' applies the catch-up" in result.output
    assert "except the 1 difference kept as the database has them" in result.output


def test_the_wizard_in_a_pseudo_terminal(shop: Callable[[str], Shop]) -> None:
    pytest.importorskip("pexpect")
    made = shop("sqlite")
    steps: list[tuple[str, str | None]] = [
        ("Is this right", ENTER),
        ("What now", DOWN + ENTER),  # adopt the database as it is
        *[("As the models say", ENTER) for _ in DRIFTS],
        ("Use it", ENTER),
        ("verdict on the two revisions", ENTER),
        ("Stamp the live database", "y"),
        ("Another database", ENTER),
        ("Next steps", None),
    ]
    talk = in_a_terminal("adopt", list(APP), made.folder, steps, DATABASE_URL=made.url)
    assert talk.exit_status == 0, talk.text
    versions = made.folder / "migrations" / "versions"
    [baseline] = [p for p in versions.glob("*.py") if "catch_up" not in p.name]
    assert version_rows(made.url) == [baseline.name.split("_")[0]]
    assert made.flask("upgrade").returncode == 0


def test_rows_that_would_fail_the_catch_up_are_counted_in_the_review(
    shop: Callable[[str], Shop],
) -> None:
    """A NOT NULL on a column holding NULLs, a narrowing below a stored value: the review says
    how many rows need data work (read from the live database, which stays as it was)."""
    made = shop("sqlite")
    e = engine(made.url)
    with e.begin() as conn:
        conn.exec_driver_sql("INSERT INTO posts (id, user_id, title) VALUES (3, NULL, 'Orphan')")
        conn.exec_driver_sql("UPDATE users SET name = '" + "x" * 120 + "' WHERE id = 2")
    e.dispose()
    code, found = adopt_json("baseline", "--from-database", *APP)
    assert code == 0, found
    work = {_key(s["difference"]): s["data_work"] for s in found["decisions"]}
    assert work["nullable/posts.user_id"] == "1 row with NULL in posts.user_id (models: NOT NULL)"
    assert work["type/users.name"] == "1 row of users.name longer than 100"
    assert work["type/users.bio"] == ""  # widened: nothing to do
    result = adopt("baseline", "--from-database", *APP, "--rev-id", "second")
    assert result.exit_code == 2  # the first run's revisions are there: refused, as any rerun


def test_pinned_decisions_refuse_a_drift_nobody_reviewed(shop: Callable[[str], Shop]) -> None:
    made = shop("sqlite")
    decided = sorted(DRIFTS - {"index/posts.ix_posts_title"})
    flags = [arg for key in decided for arg in ("--accept-models", key)]
    result = adopt("run", "--yes", "--from-database", *APP, *flags)
    assert result.exit_code == 2
    assert "Not decided: index/posts.ix_posts_title" in result.output
    assert not (made.folder / "migrations").exists() and version_rows(made.url) is None
    flags += ["--accept-database", "index/posts.ix_posts_title"]
    code, found = adopt_json("run", "--yes", "--from-database", *APP, *flags)
    assert code == 0, found
    assert "ix_posts_title" not in Path(found["catch_up"]["path"]).read_text()


def test_other_databases_are_stamped_where_their_schema_stands(
    shop: Callable[[str], Shop], make_database: Callable[[str], str], tmp_path: Path
) -> None:
    """A copy that drifted the same way is stamped at the baseline; one built from the models
    at the catch-up (head); one that drifted otherwise is refused."""
    made = shop("sqlite")
    code, found = adopt_json("run", "--yes", "--from-database", *APP)
    assert code == 0, found
    same = make_database("sqlite")
    _drifted(same, "sqlite")
    current = make_database("sqlite")
    _create_all(made.folder, current)
    other = make_database("sqlite")
    e = engine(other)
    with e.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, nickname TEXT)")
    e.dispose()
    code, stamped = adopt_json("stamp", *APP, same, current, other)
    assert code != 0  # one target refused
    assert version_rows(same) == [found["baseline"]["revision"]]
    assert version_rows(current) == [found["catch_up"]["revision"]]
    assert version_rows(other) is None
    assert [r["ok"] for r in stamped["targets"]] == [True, True, False]


TAGGED = """
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(120), nullable=False, unique=True),
)
tags = sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_a_missing_table_and_an_unnamed_unique_are_caught_up(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[[str], str],
    dialect: str,
) -> None:
    """Plain SQLAlchemy models: the catch-up creates the table the database lacks and the
    unique constraint it lost (named on SQLite, whose batch mode needs a name)."""
    url = make_database(dialect)
    (tmp_path / "tagged.py").write_text(TAGGED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    e = engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE users ({KEYS[dialect]}, email VARCHAR(120) NOT NULL)")
    e.dispose()
    models = ("--models", "tagged:metadata", "--url", url)
    code, found = adopt_json("run", "--yes", "--from-database", *models)
    assert code == 0, found
    assert {_key(s["difference"]) for s in found["decisions"]} == {
        "missing_table/tags",
        "unique/users.(email)",
    }
    upgraded = alembic_upgrade(tmp_path, url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert version_rows(url) == [found["catch_up"]["revision"]]
    code, status = adopt_json("status", *models)
    assert code == 0, status


def test_tables_without_models_are_refused_or_left_out(shop: Callable[[str], Shop]) -> None:
    made = shop("sqlite")
    e = engine(made.url)
    with e.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE legacy_audit (id INTEGER PRIMARY KEY, note TEXT)")
    e.dispose()
    refused = adopt("run", "--yes", "--from-database", *APP)
    assert refused.exit_code == 3
    assert "legacy_audit" in refused.output and "--exclude-unmanaged" in refused.output
    assert not (made.folder / "migrations").exists() and version_rows(made.url) is None
    code, found = adopt_json("run", "--yes", "--from-database", "--exclude-unmanaged", *APP)
    assert code == 0, found
    assert "legacy_audit" not in Path(found["baseline"]["path"]).read_text()
    assert "'legacy_audit'" in (made.folder / "migrations" / "env.py").read_text()
    assert made.flask("upgrade").returncode == 0
    assert made.flask("check").returncode == 0  # flask db check: nothing left to migrate


def test_every_difference_kept_means_no_catch_up(shop: Callable[[str], Shop]) -> None:
    made = shop("sqlite")
    flags = [arg for key in sorted(DRIFTS) for arg in ("--accept-database", key)]
    code, found = adopt_json("run", "--yes", "--from-database", *APP, *flags)
    assert code == 0, found
    assert found["catch_up"] is None
    assert {d["decision"] for d in found["decisions"]} == {"database"}
    assert all(d["model_change"] for d in found["decisions"]), found["decisions"]
    [baseline] = (made.folder / "migrations" / "versions").glob("*.py")
    assert version_rows(made.url) == [baseline.name.split("_")[0]]


def test_a_database_that_matches_gets_the_baseline_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> None:
    """--from-database on a database with no drift: one revision, stamped at it (head)."""
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "shop.py").write_text(SHOP)
    made = Shop(folder, make_database("sqlite"))
    _create_all(folder, made.url)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("DATABASE_URL", made.url)
    code, found = adopt_json("run", "--yes", "--from-database", *APP)
    assert code == 0, found
    assert found["catch_up"] is None and found["decisions"] == []
    assert version_rows(made.url) == [found["baseline"]["revision"]]
    assert [r["outcome"] for r in found["stamp"]] == ["stamped"]
    assert made.flask("check").returncode == 0
