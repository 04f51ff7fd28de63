"""The corpus's judge: are two databases of one dialect the same schema, strictly?

    python corpus/judge.py LIVE_URL REPLAYED_URL

Independent of adopt's own comparison (nothing of adopt is imported): it reads each server's
catalog itself, turns it into lines, and compares the two multisets of lines. Names count, and
so does column order.

- PostgreSQL: information_schema.columns ordered by ordinal_position (type, length, precision,
  nullability, default, identity, collation, generated expression), every constraint with its
  name and pg_get_constraintdef, every index with its name and pg_get_indexdef, pg_sequences
  (with the column that owns each sequence), enum types with their labels in order, table and
  column comments.
- MariaDB/MySQL: SHOW CREATE TABLE, less the AUTO_INCREMENT=N table option (a counter, not
  schema), and SHOW CREATE SEQUENCE for MariaDB's sequences; column lines are numbered so
  that their order counts, key lines are not (the order of KEY lines follows creation order,
  which a server does not use).
- SQLite: the CREATE statements in sqlite_master (whitespace normalised), PRAGMA table_xinfo
  (columns in order), index_list with index_xinfo, and foreign_key_list.

alembic_version and adopt's audit table adopt_stamp_log are left out. Prints
{"differences": [...]}, each line found on one side only (prefixed "live only:" or
"replay only:"), and exits 1 when there is any."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

import sqlalchemy as sa

SKIP = {"alembic_version", "adopt_stamp_log"}

_PG: list[tuple[str, str]] = [
    (
        "column",
        "SELECT table_name, ordinal_position, column_name, data_type, udt_name, "
        "character_maximum_length, numeric_precision, numeric_scale, datetime_precision, "
        "interval_type, is_nullable, column_default, is_identity, identity_generation, "
        "identity_start, identity_increment, collation_name, is_generated, "
        "generation_expression FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    ),
    (
        "constraint",
        "SELECT c.relname, co.conname, co.contype, pg_get_constraintdef(co.oid) "
        "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid "
        "WHERE co.connamespace = current_schema()::regnamespace",
    ),
    (
        "index",
        "SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relnamespace = current_schema()::regnamespace",
    ),
    (
        "sequence",
        "SELECT s.sequencename, s.data_type, s.start_value, s.increment_by, s.min_value, "
        "s.max_value, s.cache_size, s.cycle, "
        "(SELECT t.relname || '.' || a.attname FROM pg_depend d "
        " JOIN pg_class t ON t.oid = d.refobjid "
        " JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        " WHERE d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))"
        "::regclass AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) "
        "AS owned_by FROM pg_sequences s WHERE s.schemaname = current_schema()",
    ),
    (
        "enum",
        "SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
        "WHERE t.typnamespace = current_schema()::regnamespace GROUP BY t.typname",
    ),
    (
        "comment",
        "SELECT c.relname, a.attname, d.description FROM pg_description d "
        "JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass "
        "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid "
        "AND d.objsubid > 0 WHERE c.relnamespace = current_schema()::regnamespace",
    ),
]

# Sequences and enum types belong to no table; what alembic_version brings is skipped by name.
_BY_TABLE = {"column", "constraint", "index", "comment"}


def lines(url: str) -> list[str]:
    """The schema of the database at `url`, as sorted catalog lines."""
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


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _postgresql(conn: sa.Connection) -> list[str]:
    out = []
    for kind, query in _PG:
        for row in conn.exec_driver_sql(query):
            if kind in _BY_TABLE and row[0] in SKIP:
                continue
            out.append(kind + "|" + "|".join(_cell(v) for v in row))
    return sorted(out)


def _mysql(conn: sa.Connection) -> list[str]:
    out = []
    names = [r[0] for r in conn.exec_driver_sql("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")]
    sequences = conn.exec_driver_sql("SHOW FULL TABLES WHERE Table_type = 'SEQUENCE'")
    for name, _kind in sequences:  # MariaDB's sequences (sa.Sequence in the models)
        create = conn.exec_driver_sql(f"SHOW CREATE SEQUENCE `{name}`").one()[1]
        out.append(f"sequence|{name}|{' '.join(create.split())}")
    for name in sorted(n for n in names if n not in SKIP):
        create = conn.exec_driver_sql(f"SHOW CREATE TABLE `{name}`").one()[1]
        create = re.sub(r" AUTO_INCREMENT=\d+", "", create)
        position = 0
        for raw in create.splitlines()[1:]:
            line = raw.strip().rstrip(",")
            if line.startswith("`"):  # a column: its place counts
                position += 1
                out.append(f"{name}|column {position}|{line}")
            else:
                out.append(f"{name}|{line}")
    return sorted(out)


def _sqlite(conn: sa.Connection) -> list[str]:
    out = []
    for kind, name, table, sql in conn.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ):
        if table not in SKIP and sql is not None:
            out.append(f"{kind} statement|{name}|{' '.join(sql.split())}")
    names = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for name in sorted(n for n in names if n not in SKIP):
        quoted = name.replace('"', '""')
        for row in conn.exec_driver_sql(f'PRAGMA table_xinfo("{quoted}")'):
            out.append(f"column|{name}|" + "|".join(_cell(v) for v in row))
        for row in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{quoted}")'):
            out.append(f"foreign key|{name}|" + "|".join(_cell(v) for v in row[2:]))
        for row in conn.exec_driver_sql(f'PRAGMA index_list("{quoted}")'):
            index = row[1]
            escaped = index.replace('"', '""')
            columns = [
                f"{c[2]}{' DESC' if c[3] else ''}"
                for c in conn.exec_driver_sql(f'PRAGMA index_xinfo("{escaped}")')
                if c[5]
            ]
            shown = "(automatic)" if index.startswith("sqlite_autoindex_") else index
            out.append(
                f"index|{name}|{shown}|unique={row[2]}|origin={row[3]}|partial={row[4]}|"
                + ",".join(columns)
            )
    return sorted(out)


def _clauses(statement: str) -> list[str]:
    """The top-level comma-separated clauses of a CREATE statement's parentheses."""
    body = statement[statement.find("(") + 1 : statement.rfind(")")]
    out, depth, current = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    return [*out, current.strip()]


def _statement_pairs(only_live: list[str], only_replay: list[str]) -> list[str]:
    """A stored CREATE statement that differs on the two sides, said in one line: which
    clauses only one side has, or, when both have the same clauses, their two orders."""
    said = []
    for line in [*only_live]:
        if " statement|" not in line:
            continue
        head = line.rsplit("|", 1)[0] + "|"
        other = next((o for o in only_replay if o.startswith(head)), None)
        if other is None:
            continue
        only_live.remove(line)
        only_replay.remove(other)
        live, replay = _clauses(line.rsplit("|", 1)[1]), _clauses(other.rsplit("|", 1)[1])
        live_extra = [c for c in live if c not in replay]
        replay_extra = [c for c in replay if c not in live]
        if not live_extra and not replay_extra:
            moved = [c for c, d in zip(live, replay, strict=False) if c != d]
            said.append(
                f"{head}same clauses in another order: live {moved} / replay "
                f"{[d for c, d in zip(live, replay, strict=False) if c != d]}"
            )
        else:
            said.append(f"{head}live {live_extra} / replay {replay_extra}")
    return said


def differences(live_url: str, replay_url: str) -> list[str]:
    """Each catalog line found on one side only, live side first; a stored CREATE statement
    (SQLite) that differs is said in one line, clause by clause."""
    live, replay = Counter(lines(live_url)), Counter(lines(replay_url))
    only_live = sorted((live - replay).elements())
    only_replay = sorted((replay - live).elements())
    found = [f"statement differs: {line}" for line in _statement_pairs(only_live, only_replay)]
    found += [f"live only: {line}" for line in only_live]
    found += [f"replay only: {line}" for line in only_replay]
    return found


def self_test(folder: str) -> None:
    """The judge is not blind: two SQLite databases that differ only in column order, one
    default and one index name must differ, and a database must equal its twin."""
    base = [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10) DEFAULT 'x', b INTEGER NOT NULL)",
        "CREATE INDEX ix_a ON t (a)",
    ]
    other = [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER NOT NULL, a VARCHAR(10) DEFAULT 'y')",
        "CREATE INDEX ix_b ON t (a)",
    ]
    urls = []
    for name, statements in (("one", base), ("twin", base), ("other", other)):
        url = f"sqlite:///{folder}/judge_{name}.db"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        engine.dispose()
        urls.append(url)
    if differences(urls[0], urls[1]):
        raise AssertionError("the judge finds differences between twin databases")
    found = "\n".join(differences(urls[0], urls[2]))
    for expected in ("column|t|1|a", "column|t|1|b", "DEFAULT 'y'", "ix_a", "ix_b"):
        if expected not in found:
            raise AssertionError(f"the judge missed {expected!r}:\n{found}")


def main() -> int:
    found = differences(sys.argv[1], sys.argv[2])
    print(json.dumps({"differences": found}, indent=1))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
