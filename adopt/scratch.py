"""Scratch databases: empty, temporary, of the live database's dialect, always dropped."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from adopt import connect
from adopt import schema
from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.urls import hide_password
from adopt.urls import is_sqlite
from adopt.urls import parse_url

PREFIX = "adopt_scratch_"
MARKER = "created by adopt; safe to drop"  # written as the database comment where supported

STRATEGIES = ("auto", "memory", "server")


@dataclass(frozen=True)
class ScratchPlan:
    """Where the scratch database will live, and why."""

    strategy: str  # memory | server | url
    reason: str
    url: URL | None = None  # for strategy "url"

    @property
    def label(self) -> str:
        if self.strategy == "memory":
            return "in-memory SQLite"
        if self.strategy == "server":
            return f"temporary database {PREFIX}… on the live server"
        return hide_password(self.url) if self.url else "?"


def plan(live: URL, choice: str = "auto") -> ScratchPlan:
    """Choose the scratch database for `live`; `choice` is auto, memory, server or a URL."""
    backend = live.get_backend_name()
    if choice == "auto":
        if is_sqlite(live):
            return ScratchPlan(
                "memory", "the live database is SQLite, so an in-memory one is exact"
            )
        return ScratchPlan(
            "server",
            f"a {backend} database on the same server renders every "
            "dialect-specific type and default exactly as the live one",
        )
    if choice == "memory":
        if not is_sqlite(live):
            raise UsageError(
                f"--scratch memory cannot stand in for a {backend} database: SQLite renders its "
                "types and defaults differently; use --scratch server or --scratch URL."
            )
        return ScratchPlan("memory", "chosen with --scratch memory")
    if choice == "server":
        if is_sqlite(live):
            return ScratchPlan("memory", "SQLite has no server; an in-memory database is used")
        return ScratchPlan("server", "chosen with --scratch server")
    url = parse_url(choice)
    if url.get_backend_name() != backend:
        raise UsageError(
            f"--scratch {hide_password(url)} is {url.get_backend_name()}, but the live database "
            f"is {backend}; the baseline must come out in the live database's dialect."
        )
    return ScratchPlan("url", "chosen with --scratch URL", url)


@contextmanager
def open_scratch(live: URL, scratch_plan: ScratchPlan) -> Iterator[Engine]:
    """An empty database for the plan; dropped on exit, also on error and Ctrl-C."""
    if scratch_plan.strategy == "memory":
        engine = connect.create(parse_url("sqlite://"))
        try:
            yield engine
        finally:
            engine.dispose()
        return
    if scratch_plan.strategy == "url":
        assert scratch_plan.url is not None
        engine = connect.create(scratch_plan.url, must_exist=False)
        _require_empty(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with _server_database(live) as engine:
        yield engine


def _require_empty(engine: Engine) -> None:
    with connect.connection(engine) as conn:
        names = schema.table_names(conn)
    if names:
        raise UsageError(
            f"The scratch database {hide_password(engine.url)} is not empty ({len(names)} tables); "
            "give an empty database to --scratch, or use --scratch server."
        )


@contextmanager
def _server_database(live: URL) -> Iterator[Engine]:
    name = PREFIX + secrets.token_hex(6)
    admin = connect.create(_admin_url(live))
    try:
        with connect.connection(admin) as conn:
            _create_database(conn.execution_options(isolation_level="AUTOCOMMIT"), name)
        engine = connect.create(live.set(database=name))
        try:
            yield engine
        finally:
            engine.dispose()
            drop(admin, name)
    finally:
        admin.dispose()


def _admin_url(live: URL) -> URL:
    # PostgreSQL cannot drop the database a session is connected to: use the maintenance one.
    if live.get_backend_name() == "postgresql":
        return live.set(database="postgres")
    return live


def _create_database(conn: Connection, name: str) -> None:
    backend = conn.dialect.name
    try:
        if backend == "postgresql":
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{MARKER}'"))
        elif backend in ("mysql", "mariadb"):
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        else:
            raise UsageError(
                f"Scratch databases on {backend} servers are not supported; use --scratch URL."
            )
    except DBAPIError as exc:
        raise AdoptError(
            "Cannot create a scratch database on the live server "
            f"({str(exc.orig).splitlines()[0]}); "
            "grant this user CREATEDB/CREATE, or pass an empty database with --scratch URL."
        ) from None


def drop(admin: Engine, name: str) -> None:
    """Drop one scratch database, refusing any name without the prefix."""
    if not name.startswith(PREFIX):
        raise AdoptError(f"Refusing to drop {name!r}: only {PREFIX}* databases are scratch.")
    with connect.connection(admin) as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        if auto.dialect.name == "postgresql":
            auto.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            auto.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))


def leftovers(live: URL) -> list[str]:
    """Scratch databases on the live server that a killed run left behind."""
    if is_sqlite(live):
        return []
    admin = connect.create(_admin_url(live))
    try:
        with connect.connection(admin) as conn:
            if conn.dialect.name == "postgresql":
                rows = conn.execute(
                    text(
                        "SELECT d.datname FROM pg_database d "
                        "JOIN pg_shdescription s ON s.objoid = d.oid "
                        "WHERE d.datname LIKE :p AND s.description = :m"
                    ),
                    {"p": PREFIX + "%", "m": MARKER},
                )
            else:
                rows = conn.execute(text("SHOW DATABASES LIKE :p"), {"p": PREFIX + "%"})
            return sorted(r[0] for r in rows)
    finally:
        admin.dispose()
