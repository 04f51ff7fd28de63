"""Running the project's env.py against a connection of adopt's choosing.

The project's env.py holds the options that shape autogenerate (include_object, compare_type,
render_item, ...), so the baseline is generated through it. Whatever connection env.py opens
itself, `configure()` is handed adopt's scratch connection instead, and the options env.py
passes are recorded. adopt's own env.py templates take the connection from config.attributes
and open nothing else."""

from __future__ import annotations

import logging.config
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import nullcontext
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from adopt.errors import AdoptError
from adopt.errors import UsageError

OptionHook = Callable[[dict[str, Any]], dict[str, Any]]


def _redirect(
    environment: EnvironmentContext,
    ours: Connection,
    hook: OptionHook | None,
    captured: dict[str, Any],
) -> None:
    """Make environment.configure() always use `connection` (alembic's module-level
    `context.configure` looks the method up on the instance, so an instance attribute wins)."""
    original = environment.configure

    def configure(
        connection: Connection | None = None,
        url: Any = None,
        dialect_name: str | None = None,
        **kw: Any,
    ) -> None:
        captured.update(kw)
        if hook is not None:
            kw = hook(kw)
        original(connection=ours, **kw)

    environment.configure = configure  # type: ignore[method-assign,assignment]


def run(
    config: Config,
    script: ScriptDirectory,
    connection: Connection,
    fn: Any,
    flask_app: Any | None = None,
    hook: OptionHook | None = None,
    failure: str = "",
    **env_kw: Any,
) -> dict[str, Any]:
    """Run env.py once with `fn` as the migration function; returns the options it passed."""
    captured: dict[str, Any] = {}
    config.attributes["connection"] = connection
    environment = EnvironmentContext(config, script, fn=fn, **env_kw)
    _redirect(environment, connection, hook, captured)
    with (
        environment,
        _app_context(flask_app),
        _env_errors(script, failure),
        _logging_left_alone(),
    ):
        script.run_env()
    return captured


def options(
    config: Config, script: ScriptDirectory, flask_app: Any | None = None
) -> dict[str, Any]:
    """The options the project's env.py passes to configure() (include_object, include_name,
    compare_type...), so the match check honours them as autogenerate will. env.py runs
    against a private in-memory database and migrates nothing."""
    from sqlalchemy import create_engine

    engine = create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            return run(
                config,
                script,
                conn,
                lambda _rev, _context: [],
                flask_app=flask_app,
                hook=lambda kw: dict(kw, dont_mutate=True),
                as_sql=False,
            )
    finally:
        engine.dispose()


@contextmanager
def _logging_left_alone() -> Iterator[None]:
    """env.py calls logging.config.fileConfig(alembic.ini): that would turn on Alembic's INFO
    chatter and disable other loggers in adopt's process. Skip it while env.py runs."""
    original = logging.config.fileConfig
    logging.config.fileConfig = lambda *args, **kwargs: None
    try:
        yield
    finally:
        logging.config.fileConfig = original


@contextmanager
def _app_context(app: Any | None) -> Iterator[None]:
    with app.app_context() if app is not None else nullcontext():
        yield


@contextmanager
def _env_errors(script: ScriptDirectory, failure: str) -> Iterator[None]:
    try:
        yield
    except (AdoptError, KeyboardInterrupt):
        raise
    except CommandError as exc:
        raise AdoptError(f"Alembic refused: {exc}.") from None
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if failure:
            raise AdoptError(failure.format(detail=detail)) from exc
        where = f"{script.dir}/env.py"
        raise UsageError(
            f"Running {where} failed with {detail}; fix env.py (or the models it imports)."
        ) from exc
