"""The names the live database gave to the constraints the models leave unnamed, so that the
baseline writes them: a database built from migrations then equals the live one strictly,
names included, and a later migration that drops a key by name drops the same key everywhere.

MariaDB/MySQL number unnamed foreign keys by position (`followers_ibfk_1`, `_2`) and name an
unnamed unique key after its first column; PostgreSQL names them after the table and columns
(`users_email_key`, `posts_user_id_fkey`), numbered when taken. Which is which follows the
order the live database created them in, which a baseline need not repeat. So each name is
read from the live catalog (one read-only query) and matched to its model constraint by what
it is (columns, referred table and columns), never by position. SQLite cannot name what it
makes for an unnamed constraint (its autoindexes): nothing is pinned there."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL

from adopt.reading import connect

# (kind, table, columns, referred table, referred columns) -> the live name
Signature = tuple[str, str, tuple[str, ...], str, tuple[str, ...]]
Names = dict[Signature, str]

_PG = """
SELECT co.contype::text, t.relname::text, co.conname::text,
       ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.n ORDER BY k.i),
       coalesce(r.relname::text, ''),
       ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid
LEFT JOIN pg_class r ON r.oid = co.confrelid
WHERE t.relnamespace = current_schema()::regnamespace AND co.contype IN ('f', 'u')
"""
_MY_KEYS = """
SELECT tc.CONSTRAINT_TYPE, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,
       coalesce(k.REFERENCED_TABLE_NAME, ''), coalesce(k.REFERENCED_COLUMN_NAME, ''),
       k.ORDINAL_POSITION
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.TABLE_CONSTRAINTS tc
  ON tc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND tc.TABLE_NAME = k.TABLE_NAME
 AND tc.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE IN ('FOREIGN KEY', 'UNIQUE')
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""


def read(url: URL, timeout: int | None = None) -> Names:
    """The live names of foreign keys and unique constraints in the default schema, keyed by
    what each constraint is; a signature two constraints share is left out (ambiguous)."""
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
        return {}
    engine = connect.create(url, read_only=True, timeout=timeout)
    try:
        with connect.connection(engine) as conn, conn.begin() as transaction:
            if conn.dialect.name == "postgresql":
                found = [_pg_row(row) for row in conn.execute(text(_PG))]
            else:
                found = _mysql_rows(list(conn.execute(text(_MY_KEYS))))
            transaction.rollback()
    finally:
        engine.dispose()
    counts = Counter(signature for signature, _name in found)
    return {signature: name for signature, name in found if counts[signature] == 1}


def _pg_row(row: Any) -> tuple[Signature, str]:
    kind, table, name, columns, referred, referred_columns = row
    kind = "foreign_key" if kind == "f" else "unique"
    return (kind, table, tuple(columns), referred, tuple(referred_columns or ())), name


def _mysql_rows(rows: list[Any]) -> list[tuple[Signature, str]]:
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for kind, table, name, column, referred, referred_column, _position in rows:
        grouped.setdefault((kind, table, name), []).append((column, referred, referred_column))
    out = []
    for (kind, table, name), parts in grouped.items():
        columns = tuple(p[0] for p in parts)
        referred = parts[0][1]
        referred_columns = tuple(p[2] for p in parts if p[2])
        label = "foreign_key" if kind == "FOREIGN KEY" else "unique"
        out.append(((label, table, columns, referred, referred_columns), name))
    return out
