"""Scratch databases: empty, temporary, of the live database's dialect, always dropped."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from adopt._speedups import background
from adopt._speedups import enabled as speedups_enabled
from adopt.build import lent_scratch
from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.reading import connect
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
def open_scratch(
    live: URL, scratch_plan: ScratchPlan, timeout: int | None = None
) -> Iterator[Engine]:
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
        engine = connect.create(scratch_plan.url, must_exist=False, timeout=timeout)
        try:
            with lent_scratch.held(engine, scratch_plan.url):
                lent_scratch.require_empty(engine, scratch_plan.url)
                try:
                    yield engine
                finally:
                    # It was empty when lent to adopt: leave it empty for the next use.
                    lent_scratch.empty_out(engine)
        finally:
            engine.dispose()
        return
    with _server_database(live, timeout) as engine:
        yield engine


@contextmanager
def _server_database(live: URL, timeout: int | None = None) -> Iterator[Engine]:
    # The run holds a lock named after its scratch database for as long as it exists: a
    # database whose lock nobody holds was left by a killed run, and may be dropped.
    name = scratch_name()
    admin = connect.create(_admin_url(live), timeout=timeout)
    try:
        with connect.connection(admin) as holder:
            holder = holder.execution_options(isolation_level="AUTOCOMMIT")
            _drop_abandoned(admin, holder)
            if not _try_lock(holder, name):
                raise AdoptError(f"Could not take the lock for scratch database {name}.")
            try:
                _create_database(holder, name, live.database)
                # Dropped afterwards, so nothing in it needs a transaction: built statement by
                # statement, the baseline never holds more locks than one statement takes, and
                # PostgreSQL's lock table (max_locks_per_transaction) bounds no schema's size.
                engine = connect.create(live.set(database=name), timeout=timeout, autocommit=True)
                try:
                    yield engine
                finally:
                    engine.dispose()
            except BaseException:
                # Also when CREATE DATABASE itself failed or was interrupted (it may have
                # completed server-side); a failing cleanup must not hide the first error.
                with contextlib.suppress(AdoptError, DBAPIError):
                    drop(admin, name)
                raise
            else:
                _drop_now_or_behind(admin, name)
    finally:
        admin.dispose()  # a NullPool engine: a drop behind still opens its own connection


# The drops handed to threads inside dropped_behind(); None outside it.
_BEHIND: ContextVar[list[background.Job[None]] | None] = ContextVar(
    "adopt_scratch_drops", default=None
)


def _drop_now_or_behind(admin: Engine, name: str) -> None:
    pending = _BEHIND.get()
    if pending is None or not speedups_enabled():
        drop(admin, name)
    else:
        # NullPool: the drop's own connection is closed when it ends, nothing to dispose.
        pending.append(background.Job(lambda: drop(admin, name), "adopt-drop").start())


@contextmanager
def dropped_behind() -> Iterator[None]:
    """Within the block, a scratch database on a server is dropped by a thread once its work
    is done, while the block goes on (PostgreSQL's DROP DATABASE waits for a checkpoint, about
    half a second after a large rebuild: `adopt run` stamps meanwhile). The block ends only
    once every such drop has, also on an error or Ctrl-C; a drop that failed is raised then,
    unless the block failed first. While the drop runs, the database's lock is released: a
    concurrent `adopt clean` may drop it first, which changes nothing."""
    pending: list[background.Job[None]] = []
    token = _BEHIND.set(pending)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        _BEHIND.reset(token)
        for job in pending:
            job.wait(None)
        if not failed:
            for job in pending:
                job.result()  # raises the first drop that failed


def _try_lock(conn: Connection, name: str) -> bool:
    """A session lock named after the scratch database (PostgreSQL advisory, MySQL GET_LOCK)."""
    if conn.dialect.name == "postgresql":
        query = "SELECT pg_try_advisory_lock(hashtext(:n))"
    else:
        query = "SELECT GET_LOCK(:n, 0)"
    return bool(conn.execute(text(query), {"n": name}).scalar())


def _unlock(conn: Connection, name: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": name})
    else:
        conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})


def _admin_url(live: URL) -> URL:
    # Never a session on the live database itself: PostgreSQL's maintenance database, and no
    # database at all on MySQL/MariaDB (CREATE/DROP DATABASE need none).
    if live.get_backend_name() == "postgresql":
        return live.set(database="postgres")
    return live.set(database=None)


def _create_database(conn: Connection, name: str, like: str | None = None) -> None:
    """Create the scratch database `name`; on MySQL/MariaDB with the character set and
    collation of the live database `like`, which its tables inherit: the scratch schema is
    compared with the live one, table options included (adopt.reading.catalog)."""
    backend = conn.dialect.name
    try:
        if backend == "postgresql":
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{MARKER}'"))
        elif backend in ("mysql", "mariadb"):
            mariadb = getattr(conn.dialect, "is_mariadb", False)
            comment = f" COMMENT '{MARKER}'" if mariadb else ""
            charset = _mysql_charset(conn, like)
            conn.execute(text(f"CREATE DATABASE `{name}` {charset}{comment}"))
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


def _mysql_charset(conn: Connection, like: str | None) -> str:
    row = None
    if like:
        row = conn.execute(
            text(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"
            ),
            {"name": like},
        ).first()
    if (
        row is None
        or not re.fullmatch(r"\w+", row[0] or "")
        or not re.fullmatch(r"\w+", row[1] or "")
    ):
        return "CHARACTER SET utf8mb4"
    return f"CHARACTER SET {row[0]} COLLATE {row[1]}"


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


def scratch_name(born: float | None = None) -> str:
    """adopt_scratch_<creation time>_<random><signature>: the name is adopt's marker, set in the
    same statement that creates the database (a comment would need a second one, and a run
    killed in between would leave a database nobody could tell was adopt's)."""
    stamp = f"{int(time.time() if born is None else born):x}"
    nonce = secrets.token_hex(2)
    return f"{PREFIX}{stamp}_{nonce}{_signature(stamp, nonce)}"


def _signature(stamp: str, nonce: str) -> str:
    return hashlib.sha256(f"{MARKER}:{stamp}:{nonce}".encode()).hexdigest()[:4]


def _marked(admin: Engine, older_than: float) -> list[str]:
    """Scratch databases adopt created (their name carries its signature), at least
    `older_than` seconds old."""
    with connect.connection(admin) as conn:
        if conn.dialect.name == "postgresql":
            query = "SELECT datname FROM pg_database WHERE datname LIKE :p"
        else:
            query = "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p"
        names = [r[0] for r in conn.execute(text(query), {"p": PREFIX + "%"})]
    cutoff = time.time() - older_than
    return sorted(n for n in names if (born := _born(n)) is not None and born <= cutoff)


def _born(name: str) -> int | None:
    """The creation time of an adopt scratch database, None for any other name."""
    match = re.fullmatch(PREFIX + r"([0-9a-f]+)_([0-9a-f]{4})([0-9a-f]{4})", name)
    if match is None or _signature(match.group(1), match.group(2)) != match.group(3):
        return None
    return int(match.group(1), 16)


def _drop_abandoned(admin: Engine, conn: Connection) -> list[str]:
    """Drop the marked scratch databases whose run is gone (nobody holds their lock)."""
    dropped = []
    try:
        for name in _marked(admin, 0):
            if _try_lock(conn, name):
                try:
                    drop(admin, name)
                    dropped.append(name)
                finally:
                    _unlock(conn, name)
    except (AdoptError, DBAPIError):
        pass  # best effort: cleaning up after others must not stop this run
    return dropped


def clean(live: URL, dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Drop the scratch databases killed runs left on the live server (with dry_run, only
    list them). Returns (abandoned, in use by a running adopt). Databases without adopt's
    prefix and marker are never touched."""
    if is_sqlite(live):
        return [], []
    admin = connect.create(_admin_url(live))
    try:
        with connect.connection(admin) as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if not dry_run:
                gone = _drop_abandoned(admin, conn)
                return gone, [n for n in _marked(admin, 0) if n not in gone]
            abandoned, busy = [], []
            for name in _marked(admin, 0):
                if _try_lock(conn, name):
                    _unlock(conn, name)
                    abandoned.append(name)
                else:
                    busy.append(name)
            return abandoned, busy
    finally:
        admin.dispose()
