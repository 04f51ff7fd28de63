"""The corpus's judge: are two databases of one dialect the same schema, strictly?

    python corpus/judge.py LIVE_URL REPLAYED_URL

Independent of adopt's own comparison: it reads each server's catalog itself and compares the
lines, names and column order included. PostgreSQL: information_schema.columns in ordinal
order, pg_get_constraintdef and pg_indexes with their names, sequences and enum labels.
MariaDB/MySQL: SHOW CREATE TABLE (the AUTO_INCREMENT counter left out). SQLite: the pragmas
(columns in order, indexes with their columns and statements, foreign keys with actions).
alembic_version and adopt's audit table are left out. Prints {"differences": [...]}: each
line found on one side only, prefixed "live only" or "replay only"; exits 1 when any."""

from __future__ import annotations

import json
import re
import sys

import sqlalchemy as sa

SKIP = {"alembic_version", "adopt_stamp_log"}

_PG = [
    (
        "column",
        "SELECT table_name, ordinal_position, column_name, data_type, udt_name, "
        "character_maximum_length, numeric_precision, numeric_scale, datetime_precision, "
        "is_nullable, column_default, is_identity, identity_generation, collation_name, "
        "is_generated, generation_expression FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    ),
    (
        "constraint",
        "SELECT c.relname, co.conname, pg_get_constraintdef(co.oid) FROM pg_constraint co "
        "JOIN pg_class c ON c.oid = co.conrelid "
        "WHERE co.connamespace = current_schema()::regnamespace",
    ),
    (
        "index",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    ),
    (
        "sequence",
        "SELECT sequencename, data_type, start_value, increment_by, min_value, max_value, "
        "cache_size, cycle FROM pg_sequences WHERE schemaname = current_schema()",
    ),
    (
        "enum",
        "SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
        "WHERE t.typnamespace = current_schema()::regnamespace GROUP BY t.typname",
    ),
]


def lines(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                return _postgresql(conn)
            if conn.dialect.name == "sqlite":
                return _sqlite(conn)
            return _mysql(conn)
    finally:
        engine.dispose()


def _postgresql(conn: sa.Connection) -> list[str]:
    out = []
    for kind, query in _PG:
        for row in conn.exec_driver_sql(query):
            if kind != "sequence" and kind != "enum" and row[0] in SKIP:
                continue
            out.append(kind + "|" + "|".join("" if v is None else str(v) for v in row))
    return sorted(out)


def _mysql(conn: sa.Connection) -> list[str]:
    out = []
    names = [r[0] for r in conn.exec_driver_sql("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")]
    for name in sorted(n for n in names if n not in SKIP):
        create = conn.exec_driver_sql(f"SHOW CREATE TABLE `{name}`").one()[1]
        create = re.sub(r" AUTO_INCREMENT=\d+", "", create)
        out += [f"{name}|{line.strip().rstrip(',')}" for line in create.splitlines()]
    return out


def _sqlite(conn: sa.Connection) -> list[str]:
    out = []
    names = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for name in sorted(n for n in names if n not in SKIP):
        quoted = name.replace('"', '""')
        for row in conn.exec_driver_sql(f'PRAGMA table_info("{quoted}")'):
            out.append(f"column|{name}|" + "|".join(str(v) for v in row))
        for row in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{quoted}")'):
            out.append(f"foreign key|{name}|" + "|".join(str(v) for v in row[2:]))
        for row in conn.exec_driver_sql(f'PRAGMA index_list("{quoted}")'):
            index = row[1]
            columns = [
                str(c[2]) for c in conn.exec_driver_sql(f'PRAGMA index_xinfo("{index}")') if c[5]
            ]
            shown = index if not index.startswith("sqlite_autoindex_") else "(automatic)"
            out.append(f"index|{name}|{shown}|unique={row[2]}|{','.join(columns)}")
    for name, sql in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ):
        out.append(f"index statement|{name}|{' '.join(sql.split())}")
    return sorted(out)


def main() -> int:
    live, replay = lines(sys.argv[1]), lines(sys.argv[2])
    only_live = [line for line in live if line not in replay]
    only_replay = [line for line in replay if line not in live]
    found = [f"live only: {line}" for line in only_live]
    found += [f"replay only: {line}" for line in only_replay]
    print(json.dumps({"differences": found}))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
