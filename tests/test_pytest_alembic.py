"""The migrations adopt writes pass pytest-alembic's built-in tests, as a team that adds them to
its CI would run them: one head, upgrade from nothing to head, the models equal to what the
migrations build (its own autogenerate check), and every revision down and up again. Each
adopted sample is tested on every dialect it runs on, against a new empty database.

pytest-alembic's runner and built-in tests are called through its library API: its pytest
plugin does not load under pytest 9 (the suite turns it off, see pyproject.toml)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from flask_migrate import Migrate
from helpers import adopt
from helpers import engine
from pytest_alembic import runner
from pytest_alembic.config import Config
from pytest_alembic.tests import default as built_in

SAMPLES = {
    # sample: (models options for adopt, the Flask factory if a Flask app, dialects)
    "microblog": (
        ["--app", "microblog"],
        ("app", "create_app()"),
        ("sqlite", "postgresql", "mariadb"),
    ),
    "inventory": (["--models", "inventory.models:Base"], None, ("sqlite", "postgresql", "mariadb")),
    "pgshop": (["--app", "shop"], ("shop", "app"), ("postgresql",)),
}
CASES = [
    pytest.param(name, dialect, id=f"{name}-{dialect}")
    for name, (_models, _flask, dialects) in SAMPLES.items()
    for dialect in dialects
]
BUILT_IN = (
    "test_single_head_revision",
    "test_upgrade",
    "test_model_definitions_match_ddl",
    "test_up_down_consistency",
)


@pytest.mark.parametrize(("name", "dialect"), CASES)
def test_adopted_sample_passes_pytest_alembic(
    name: str,
    dialect: str,
    sample: Callable[..., Path],
    make_database: Callable[[str], str],
) -> None:
    models, flask, _dialects = SAMPLES[name]
    live = make_database(dialect)
    project = sample(name, live)
    result = adopt("run", "--yes", *models)
    assert result.exit_code == 0, result.output

    migrations = project / "migrations"
    ini = migrations / "alembic.ini" if flask else project / "alembic.ini"
    config = Config(config_options={"file": str(ini), "script_location": str(migrations)})
    empty = engine(make_database(dialect))
    with contextlib.ExitStack() as stack:
        if flask:  # Flask-Migrate's env.py reads the models from the app
            module, attribute = flask
            found = importlib.import_module(module)
            app = eval(attribute, vars(found))
            if "migrate" not in app.extensions:  # pgshop never registered Flask-Migrate
                Migrate(app, found.db)
            stack.enter_context(app.app_context())
        alembic_runner = stack.enter_context(runner(config, empty))
        for test in BUILT_IN:
            getattr(built_in, test)(alembic_runner)
    empty.dispose()
