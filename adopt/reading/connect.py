"""Opening databases: read-only where the server allows it, errors translated into AdoptErrors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import pool
from sqlalchemy.engine import URL
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import NoSuchModuleError

from adopt.errors import UnreachableError
from adopt.errors import UsageError
from adopt.urls import describe
from adopt.urls import hide_password
from adopt.urls import is_sqlite
from adopt.urls import scrub
from adopt.urls import sqlite_path

CONNECT_TIMEOUT = 10

# Set in Connection.info of sessions opened read-only (see create): they cannot change the schema.
READ_ONLY = "adopt.read_only"
# Set in Connection.info of sessions opened in autocommit (see create): each statement commits.
AUTOCOMMIT = "adopt.autocommit"

_EXTRAS = {
    "postgresql": "alembic-adopt[postgres]",
    "mysql": "alembic-adopt[mysql]",
    "mariadb": "alembic-adopt[mysql]",
}

# Statements that make every transaction of a session read-only, so even a bug cannot write.
_READ_ONLY_SESSION = {
    "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    "mysql": "SET SESSION TRANSACTION READ ONLY",
    "mariadb": "SET SESSION TRANSACTION READ ONLY",
}


def create(
    url: URL,
    *,
    read_only: bool = False,
    must_exist: bool = True,
    timeout: int | None = None,
    autocommit: bool = False,
) -> Engine:
    """An engine for `url`; SQLite files must already exist unless must_exist is False.

    `timeout` (seconds) bounds connecting and each statement, so a server that accepts the
    connection and never answers cannot hang a run. With `autocommit` (servers only), every
    statement commits on its own, also inside conn.begin(): for scratch databases, which are
    dropped afterwards, so that building a large schema never holds all its locks at once
    (PostgreSQL keeps each lock until the commit, and its lock table is bounded)."""
    backend = url.get_backend_name()
    if is_sqlite(url):
        return _sqlite_engine(url, read_only=read_only, must_exist=must_exist, timeout=timeout)
    connect_args: dict[str, Any] = {"connect_timeout": timeout or CONNECT_TIMEOUT}
    if timeout and backend == "postgresql":
        connect_args["options"] = f"-c statement_timeout={timeout * 1000}"
    elif backend in ("mysql", "mariadb"):
        # PyMySQL's connect_timeout covers only the TCP connect; the handshake is read with
        # read_timeout, so that must be bounded too, or a server that accepts and never
        # answers hangs the run for ever.
        wait = timeout or CONNECT_TIMEOUT
        connect_args.update(read_timeout=wait, write_timeout=wait)
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    try:
        engine = create_engine(url, connect_args=connect_args, poolclass=pool.NullPool, **options)
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as exc:
        raise _driver_error(url, exc) from None
    if timeout is None and backend in ("mysql", "mariadb"):

        @event.listens_for(engine, "connect")
        def _unbounded_statements(dbapi_conn: Any, _record: Any) -> None:
            # Handshake done: statements may take as long as they need, as on PostgreSQL
            # (PyMySQL keeps the per-read timeout in this attribute).
            dbapi_conn._read_timeout = None
            dbapi_conn._write_timeout = None

    if autocommit:

        @event.listens_for(engine, "connect")
        def _autocommit(_dbapi_conn: Any, record: Any) -> None:
            record.info[AUTOCOMMIT] = True

    if read_only and backend in _READ_ONLY_SESSION:
        statement = _READ_ONLY_SESSION[backend]

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_conn: Any, record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(statement)
            cursor.close()
            if backend == "postgresql":
                dbapi_conn.commit()
            record.info[READ_ONLY] = True

    return engine


def _sqlite_engine(url: URL, *, read_only: bool, must_exist: bool, timeout: int | None) -> Engine:
    path = sqlite_path(url)
    if path is None:
        # A private in-memory database shared by every connection of this engine.
        return create_engine(
            "sqlite://", poolclass=pool.StaticPool, connect_args={"check_same_thread": False}
        )
    if must_exist and not path.is_file():
        raise UnreachableError(
            f"SQLite database {path} does not exist; check the path (relative paths in "
            "Flask-SQLAlchemy apps live under instance/) or build the database first."
        )
    mode = "ro" if read_only else "rw"
    if not must_exist:
        mode = "rwc"
    # An SQLite URI, so mode=ro really opens read-only and mode=rw never creates a file; the
    # path is percent-encoded, or a '#' or '?' in it would cut the URI short.
    uri = f"file:{quote(str(path))}?mode={mode}"
    wait = timeout or CONNECT_TIMEOUT

    def open_file() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=wait, check_same_thread=False)

    engine = create_engine(
        URL.create("sqlite", database=str(path)), poolclass=pool.NullPool, creator=open_file
    )
    if read_only:

        @event.listens_for(engine, "connect")
        def _read_only(_dbapi_conn: Any, record: Any) -> None:
            record.info[READ_ONLY] = True

    return engine


def immediate_transactions(engine: Engine) -> Engine:
    """Make SQLite take its write lock when a transaction begins (BEGIN IMMEDIATE), so two
    stampers queue instead of both reading 'not stamped'. The pysqlite recipe from the
    SQLAlchemy docs: let SQLAlchemy, not the driver, emit BEGIN."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _driver_error(url: URL, exc: Exception) -> UsageError:
    extra = _EXTRAS.get(url.get_backend_name())
    fix = f"pip install '{extra}'" if extra else "install the driver named in the URL"
    return UsageError(
        f"No database driver for {url.drivername} ({type(exc).__name__}: {exc}); {fix}."
    )


@contextmanager
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose failure to open becomes an UnreachableError naming the fix."""
    try:
        conn = engine.connect()
        if engine.dialect.name == "sqlite":
            # SQLite opens any file; the first read tells whether it is a database at all.
            conn.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1").all()
            conn.rollback()
    except DBAPIError as exc:
        raise unreachable(engine.url, exc) from None
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise _driver_error(engine.url, exc) from None
    try:
        yield conn
    finally:
        conn.close()


def unreachable(url: URL, exc: BaseException) -> UnreachableError:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else repr(exc)
    lowered = text.lower()
    where = describe(url)
    if "password" in lowered or "access denied" in lowered or "authentication" in lowered:
        fix = "check the user name and password"
    elif "does not exist" in lowered or "unknown database" in lowered:
        fix = "check the database name"
    elif "unable to open" in lowered:
        fix = "check the path and its permissions"
    elif "not a database" in lowered:
        fix = "point at the SQLite database file, not another file"
    else:
        fix = "check that the server is running and the host and port are right"
    text = scrub(text, url)
    if not is_sqlite(url):  # for SQLite the file says it all; its engine URL is internal
        where = f"{where} ({hide_password(url)})"
    return UnreachableError(f"Cannot connect to {where}: {text}; {fix}.")
