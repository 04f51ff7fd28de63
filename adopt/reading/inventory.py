"""What the live database holds beyond tables: views, triggers, routines, sequences of their
own that the models do not declare, extensions. A baseline generated from the models cannot
carry these, so they are listed as "not in the baseline" instead of being silently left out.
(Column collations are compared with what the models make of them: adopt.reading.catalog.)"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Each query returns (kind, name) rows for the connection's current schema or database.
_POSTGRESQL = [
    "SELECT 'view', table_name FROM information_schema.views WHERE table_schema = current_schema()",
    "SELECT 'materialized view', matviewname FROM pg_matviews WHERE schemaname = current_schema()",
    "SELECT 'trigger', t.tgname || ' on ' || c.relname FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE NOT t.tgisinternal AND n.nspname = current_schema()",
    "SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, p.proname "
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p') AND NOT EXISTS "
    "(SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid "
    "AND d.deptype = 'e')",
    # Sequences that no column owns (serial and identity sequences come with their table).
    # With classid, the NOT EXISTS is an index lookup on pg_depend (classid, objid, objsubid);
    # without it, one scan of pg_depend per sequence: quadratic in the number of tables.
    "SELECT 'sequence', c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = current_schema() AND NOT EXISTS "
    "(SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
    "AND d.deptype IN ('a', 'i'))",
    "SELECT 'extension', extname FROM pg_extension WHERE extname <> 'plpgsql'",
]
_MYSQL = [
    "SELECT 'view', table_name FROM information_schema.views WHERE table_schema = database()",
    "SELECT 'trigger', CONCAT(trigger_name, ' on ', event_object_table) "
    "FROM information_schema.triggers WHERE trigger_schema = database()",
    "SELECT LOWER(routine_type), routine_name FROM information_schema.routines "
    "WHERE routine_schema = database()",
    "SELECT 'event', event_name FROM information_schema.events WHERE event_schema = database()",
]
_SQLITE = [
    "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger') "
    "AND name NOT LIKE 'sqlite_%'",
]


def not_in_baseline(conn: Connection, sequences: Iterable[str] = ()) -> tuple[str, ...]:
    """'kind name' for each object of the live database that the baseline will not create;
    `sequences` are those the models declare (`sa.Sequence`), which it does create."""
    queries = {"postgresql": _POSTGRESQL, "mysql": _MYSQL, "mariadb": _MYSQL}.get(
        conn.dialect.name, _SQLITE if conn.dialect.name == "sqlite" else []
    )
    declared = {f"sequence {name}" for name in sequences}
    found: list[str] = []
    for query in queries:
        found.extend(f"{kind} {name}" for kind, name in conn.execute(text(query)))
    return tuple(sorted(item for item in found if item not in declared))
