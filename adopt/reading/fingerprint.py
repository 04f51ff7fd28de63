"""A schema fingerprint: one hash that is equal exactly when two snapshots of the same dialect
describe the same schema (columns, keys, indexes, uniques, foreign keys, checks, and what the
server's catalog says of them: adopt.reading.catalog), names the server made up for unnamed
constraints aside."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import astuple
from typing import Any

from adopt.reading.schema import Snapshot
from adopt.reading.schema import is_generated_name
from adopt.reading.schema import is_owned_serial


def of(snapshot: Snapshot, exclude: Iterable[str] = ()) -> str:
    skipped = set(exclude)
    canonical: list[Any] = [
        _table(name, snapshot.tables[name])
        for name in sorted(snapshot.tables)
        if name not in skipped
    ]
    canonical.append(sorted(snapshot.sequences.items()))
    digest = hashlib.sha256(json.dumps(canonical, default=str, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _table(name: str, table: Any) -> list[Any]:
    return [
        name,
        sorted(astuple(c) for c in table.columns),
        list(table.primary_key),
        _named(table.indexes),
        _named(table.uniques),
        _named(table.foreign_keys),
        _named(table.checks),
        sorted((d.family, d.key, d.text) for d in table.definitions),
    ]


def _named(items: dict[Any, str | None]) -> list[Any]:
    return sorted(
        [key, None if name is None or is_generated_name(name) else name]
        for key, name in items.items()
    )


# PostgreSQL: the whole schema in one catalog query, as the server itself prints its parts
# (format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef). The schema's own name is
# stripped from the text, so tenant schemas compare equal to the head schema built in public.
_PG_CATALOG = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = :schema),
tables AS (
    SELECT c.oid, c.relname FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p')
      AND c.relname <> ALL(:skip)
)
SELECT 'c' AS kind, t.relname::text, a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END AS body
FROM tables t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
UNION ALL
SELECT 'k', t.relname::text, co.conname::text, pg_get_constraintdef(co.oid)
FROM tables t JOIN pg_constraint co ON co.conrelid = t.oid
UNION ALL
SELECT 'i', t.relname::text, ic.relname::text, pg_get_indexdef(i.indexrelid)
FROM tables t JOIN pg_index i ON i.indrelid = t.oid JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid)
UNION ALL
SELECT 'e', ty.typname::text, '', string_agg(en.enumlabel::text, ',' ORDER BY en.enumsortorder)
FROM pg_type ty JOIN pg_enum en ON en.enumtypid = ty.oid
WHERE ty.typnamespace = (SELECT oid FROM ns)
GROUP BY ty.typname
ORDER BY 1, 2, 3
"""


def catalog_lines(conn: Any, schema: str | None, exclude: Iterable[str] = ()) -> list[str] | None:
    """The schema as the server prints it, one line per column, constraint, index and enum,
    from one catalog query; None where the dialect has no such query (the snapshot is used)."""
    if conn.dialect.name == "sqlite":
        return _sqlite_lines(conn, exclude)
    if conn.dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    name = schema or conn.execute(text("SELECT current_schema()")).scalar()
    skip = sorted(set(exclude) | {"alembic_version"})
    rows = conn.execute(text(_PG_CATALOG), {"schema": name, "skip": skip}).all()
    prefixes = (f'"{name}".', f"{name}.")
    lines = []
    for kind, table, item, body in rows:
        for prefix in prefixes:
            body = body.replace(prefix, "")
        if kind == "c":
            body = _serial_default(table, item, body)
        lines.append(f"{kind}|{table}|{item}|{body}")
    return lines


_NEXTVAL = re.compile(r" DEFAULT (nextval\('[^']*'::regclass\))")


def _serial_default(table: str, column: str, body: str) -> str:
    """A serial column's default names its sequence, which the server may number (_seq1,
    _seq2) by the order long names were created in: printed as the column's own sequence."""
    found = _NEXTVAL.search(body)
    if found and is_owned_serial(table, column, found.group(1)):
        return body[: found.start()] + " DEFAULT nextval(its own sequence)" + body[found.end() :]
    return body


def of_lines(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _sqlite_lines(conn: Any, exclude: Iterable[str]) -> list[str]:
    """SQLite keeps each table's and index's CREATE statement: compared with the parts of a
    table's definition in sorted order (Alembic and create_all list constraints differently)."""
    from sqlalchemy import text

    skip = set(exclude) | {"alembic_version"}
    rows = conn.execute(
        text(
            "SELECT type, tbl_name, name, sql FROM sqlite_master "
            "WHERE type IN ('table', 'index') AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        )
    ).all()
    lines = []
    for kind, table, name, sql in rows:
        if table in skip:
            continue
        body = _table_parts(sql) if kind == "table" else " ".join(sql.split())
        lines.append(f"{kind[0]}|{table}|{name}|{body}")
    return sorted(lines)


_DELIMITERS = re.compile(r"[(),]")


def _table_parts(sql: str) -> str:
    """CREATE TABLE t (a, b, CONSTRAINT ...) with its comma-separated parts sorted."""
    start, end = sql.index("("), sql.rindex(")")
    inner = sql[start + 1 : end]
    parts: list[str] = []
    depth = 0
    begin = 0
    # Only the parentheses and commas are visited: a schema's statements run to megabytes.
    for found in _DELIMITERS.finditer(inner):
        mark = found.group()
        if mark == "(":
            depth += 1
        elif mark == ")":
            depth -= 1
        elif depth == 0:
            parts.append(" ".join(inner[begin : found.start()].split()))
            begin = found.end()
    parts.append(" ".join(inner[begin:].split()))
    # Alembic writes SQL-expression defaults in parentheses, create_all without them.
    parts = [re.sub(r"DEFAULT \(([^()]*)\)", r"DEFAULT \1", part) for part in parts]
    return " ".join(sql[:start].split()) + " (" + ", ".join(sorted(parts)) + ")"
