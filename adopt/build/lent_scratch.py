"""A scratch database lent with `--scratch URL`: used only when it holds nothing at all, by one
run at a time, and left as it was lent.

"Nothing at all" is read from the catalog, not from the table list: a database with no tables
but an enum type, a view, a sequence or a function is someone's, and emptying it after the run
would destroy what they keep there."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine

from adopt.build import project_lock
from adopt.errors import UsageError
from adopt.reading import connect
from adopt.urls import hide_password

# Objects of any kind in the schemas a user can use (the system's own left out).
_PG_OBJECTS = """
SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
UNION ALL
SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND t.typtype IN ('e', 'd', 'r', 'm') AND NOT EXISTS
  (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
   AND d.deptype = 'e')
UNION ALL
SELECT 'routine ' || n.nspname || '.' || p.proname FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT EXISTS
  (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
   AND d.deptype = 'e')
UNION ALL
SELECT 'schema ' || nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
  AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
"""
_MY_OBJECTS = """
SELECT CONCAT(LOWER(TABLE_TYPE), ' ', TABLE_NAME) FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES
WHERE ROUTINE_SCHEMA = DATABASE()
UNION ALL
SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS
WHERE EVENT_SCHEMA = DATABASE()
"""
_SQLITE_OBJECTS = "SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"


def objects(conn: Connection) -> list[str]:
    """'kind name' of everything the database holds outside the system's own catalog."""
    query = {"postgresql": _PG_OBJECTS, "sqlite": _SQLITE_OBJECTS}.get(
        conn.dialect.name, _MY_OBJECTS
    )
    return sorted(str(row[0]) for row in conn.execute(text(query)))


def require_empty(engine: Engine, shown: URL) -> None:
    with connect.connection(engine) as conn:
        found = objects(conn)
    if found:
        listed = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        raise UsageError(
            f"The scratch database {hide_password(shown)} is not empty ({len(found)} objects: "
            f"{listed}); give an empty database to --scratch, or use --scratch server."
        )


def empty_out(engine: Engine) -> None:
    """Drop everything the run built in the database it was lent empty, whatever kind."""
    with connect.connection(engine) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            _pg_empty_out(conn)
            return
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            for kind, name in conn.execute(
                text("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            ).all():
                if kind in ("table", "view", "trigger"):
                    conn.exec_driver_sql(f'DROP {kind.upper()} IF EXISTS "{name}"')
            return
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for kind, name in conn.execute(
            text(
                "SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE()"
            )
        ).all():
            what = {"VIEW": "VIEW", "SEQUENCE": "SEQUENCE"}.get(kind, "TABLE")
            conn.exec_driver_sql(f"DROP {what} IF EXISTS `{name}`")
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


# What the run may have made in `public` (kept, with its owner and grants, as it was lent),
# as DROP statements; other schemas were made by the run (a lent database has none) and go whole.
_PG_PUBLIC = """
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
       WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'TYPE', t.typname FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
  AND t.typtype IN ('e', 'd', 'r', 'm')
UNION ALL
SELECT 'ROUTINE', p.oid::regprocedure::text FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace
"""
_PG_SCHEMAS = (
    "SELECT nspname FROM pg_namespace WHERE nspname NOT IN "
    "('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg_toast%' "
    "AND nspname NOT LIKE 'pg_temp%'"
)


def _pg_empty_out(conn: Connection) -> None:
    for (name,) in conn.execute(text(_PG_SCHEMAS)).all():
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    for kind, name in conn.execute(text(_PG_PUBLIC)).all():
        target = name if kind == "ROUTINE" else f'public."{name}"'
        conn.execute(text(f"DROP {kind} IF EXISTS {target} CASCADE"))


@contextlib.contextmanager
def held(engine: Engine, shown: URL) -> Iterator[None]:
    """One run at a time in a lent database: a lock named after it, held on a connection of
    its own while the run uses it (a file lock for SQLite); the second run is refused."""
    if engine.dialect.name == "sqlite":
        with _file_lock(engine.url.database or "", shown):
            yield
        return
    name = f"adopt_lent_{engine.url.database}"
    with connect.connection(engine) as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        if conn.dialect.name == "postgresql":
            taken = auto.execute(text("SELECT pg_try_advisory_lock(hashtext(:n))"), {"n": name})
        else:
            taken = auto.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": name})
        if not taken.scalar():
            raise UsageError(
                f"Another adopt is using the scratch database {hide_password(shown)}; wait for "
                "it to finish, or give this run another empty database."
            )
        try:
            yield
        finally:
            # Session locks die with the session too; released here for a pooled connection.
            with contextlib.suppress(Exception):
                if conn.dialect.name == "postgresql":
                    auto.execute(text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": name})
                else:
                    auto.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": name})


@contextlib.contextmanager
def _file_lock(path: str, shown: URL) -> Iterator[None]:
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with project_lock.exclusive(
        fd,
        f"Another adopt is using the scratch database {hide_password(shown)}; wait for it to "
        "finish, or give this run another empty database.",
    ):
        yield
