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
from collections.abc import Mapping
from contextlib import contextmanager
from contextlib import nullcontext
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from adopt.errors import AdoptError
from adopt.errors import UsageError

OptionHook = Callable[[dict[str, Any]], dict[str, Any]]


Connections = Mapping[str | None, Connection]


def bind_of(options: Mapping[str, Any]) -> str | None:
    """The bind a configure() call is for: Flask-Migrate's multidb env.py passes
    upgrade_token="<bind>_upgrades" ("" for the default database); others pass none."""
    token = str(options.get("upgrade_token") or "upgrades")
    return (token[: -len("_upgrades")] or None) if token.endswith("_upgrades") else None


class _Binds:
    """Which connection each configure() call gets. With `only_listed`, a call for a bind
    that is not listed gets a private in-memory database and migrates nothing there, so one
    bind of a multidb repository can be worked on alone."""

    def __init__(self, connections: Connections, only_listed: bool) -> None:
        self.connections = dict(connections)
        self.only_listed = only_listed
        self._spare: Engine | None = None
        self._spare_conn: Connection | None = None

    def selected(self, bind: str | None) -> bool:
        return bind in self.connections or not self.only_listed

    def connection(self, bind: str | None) -> Connection:
        if bind in self.connections:
            return self.connections[bind]
        if not self.only_listed:
            return next(iter(self.connections.values()))
        if self._spare_conn is None:
            self._spare = create_engine("sqlite://")
            self._spare_conn = self._spare.connect()
        return self._spare_conn

    def close(self) -> None:
        if self._spare_conn is not None:
            self._spare_conn.close()
        if self._spare is not None:
            self._spare.dispose()


def _redirect(
    environment: EnvironmentContext,
    binds: _Binds,
    hook: OptionHook | None,
    captured: dict[str | None, dict[str, Any]],
) -> None:
    """Make environment.configure() always use adopt's connection for the bind (alembic's
    module-level `context.configure` looks the method up on the instance, so an instance
    attribute wins)."""
    original = environment.configure

    def configure(
        connection: Connection | None = None,
        url: Any = None,
        dialect_name: str | None = None,
        **kw: Any,
    ) -> None:
        bind = bind_of(kw)
        captured[bind] = dict(kw)
        if hook is not None and binds.selected(bind):
            kw = hook(kw)
        original(connection=binds.connection(bind), **kw)

    environment.configure = configure  # type: ignore[method-assign,assignment]


def run(
    config: Config,
    script: ScriptDirectory,
    connections: Connection | Connections,
    fn: Any,
    flask_app: Any | None = None,
    hook: OptionHook | None = None,
    failure: str = "",
    only_listed: bool = False,
    **env_kw: Any,
) -> dict[str | None, dict[str, Any]]:
    """Run env.py once with `fn` as the migration function, each configure() call handed the
    connection of its bind; returns the options each bind's call passed."""
    if isinstance(connections, Connection):
        connections = {None: connections}
    binds = _Binds(connections, only_listed)
    captured: dict[str | None, dict[str, Any]] = {}
    config.attributes["connection"] = next(iter(connections.values()))

    def migrate(rev: Any, context: Any) -> Any:
        return fn(rev, context) if binds.selected(bind_of(context.opts)) else []

    environment = EnvironmentContext(config, script, fn=migrate, **env_kw)
    _redirect(environment, binds, hook, captured)
    try:
        with (
            environment,
            app_context(flask_app),
            _env_errors(script, failure),
            _logging_left_alone(),
        ):
            script.run_env()
    finally:
        binds.close()
    return captured


def options(
    config: Config, script: ScriptDirectory, flask_app: Any | None = None, bind: str | None = None
) -> dict[str, Any]:
    """The options the project's env.py passes to configure() for `bind` (include_object,
    include_name, compare_type...), so the match check honours them as autogenerate will.
    env.py runs against a private in-memory database and migrates nothing."""
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            found = run(
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
    return found.get(bind) or (next(iter(found.values())) if len(found) == 1 else {})


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
def app_context(app: Any | None) -> Iterator[None]:
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
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise  # the server went away: not env.py's fault; the CLI says so (exit 4)
        raise _env_failure(script, failure, exc) from exc
    except Exception as exc:
        raise _env_failure(script, failure, exc) from exc


def _env_failure(script: ScriptDirectory, failure: str, exc: Exception) -> AdoptError:
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if failure:
        return AdoptError(failure.format(detail=detail))
    return UsageError(
        f"Running {script.dir}/env.py failed with {detail}; fix env.py (or the models it imports)."
    )
