"""What the live database holds beyond tables: views, triggers, routines, sequences of their
own, extensions and column collations. A baseline generated from the models cannot carry
these, so they are listed as "not in the baseline" instead of being silently left out."""

from __future__ import annotations

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
    "SELECT 'collation', table_name || '.' || column_name || ' ' || collation_name "
    "FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND collation_name IS NOT NULL",
]
_MYSQL = [
    "SELECT 'view', table_name FROM information_schema.views WHERE table_schema = database()",
    "SELECT 'trigger', CONCAT(trigger_name, ' on ', event_object_table) "
    "FROM information_schema.triggers WHERE trigger_schema = database()",
    "SELECT LOWER(routine_type), routine_name FROM information_schema.routines "
    "WHERE routine_schema = database()",
    "SELECT 'event', event_name FROM information_schema.events WHERE event_schema = database()",
]
# Columns whose collation is not their table's default (see _mysql_collations): read apart and
# matched here, as MariaDB joins information_schema.columns to .tables in 0.8 s at 1,000 tables
# where the two queries take 0.1 s.
_MYSQL_TABLE_COLLATIONS = (
    "SELECT table_name, table_collation FROM information_schema.tables "
    "WHERE table_schema = database()"
)
_MYSQL_COLUMN_COLLATIONS = (
    "SELECT table_name, column_name, collation_name, data_type FROM information_schema.columns "
    "WHERE table_schema = database() AND collation_name IS NOT NULL"
)
_SQLITE = [
    "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger') "
    "AND name NOT LIKE 'sqlite_%'",
]


def not_in_baseline(conn: Connection) -> tuple[str, ...]:
    """'kind name' for each object of the live database that the baseline will not create."""
    queries = {"postgresql": _POSTGRESQL, "mysql": _MYSQL, "mariadb": _MYSQL}.get(
        conn.dialect.name, _SQLITE if conn.dialect.name == "sqlite" else []
    )
    found: list[str] = []
    for query in queries:
        found.extend(f"{kind} {name}" for kind, name in conn.execute(text(query)))
    if conn.dialect.name in ("mysql", "mariadb"):
        found.extend(_mysql_collations(conn))
    return tuple(sorted(found))


def _mysql_collations(conn: Connection) -> list[str]:
    """'collation table.column name' for each column whose collation is not its table's."""
    # Views have no collation of their own (NULL): their columns are never listed.
    tables = {t: c.lower() for t, c in conn.execute(text(_MYSQL_TABLE_COLLATIONS)) if c is not None}
    found = []
    for table, column, collation, data_type in conn.execute(text(_MYSQL_COLUMN_COLLATIONS)):
        if table not in tables or collation.lower() == tables[table]:
            continue
        # MariaDB's JSON is LONGTEXT in utf8mb4_bin: the type itself brings that collation.
        if data_type.lower() == "longtext" and collation.lower() == "utf8mb4_bin":
            continue
        found.append(f"collation {table}.{column} {collation}")
    return found
