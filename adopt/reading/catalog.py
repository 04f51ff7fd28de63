"""What the server's own catalog says of each table's indexes, constraints and columns, beyond
SQLAlchemy's reflection: partial predicates, sort order, index methods, included columns,
operator classes, prefix lengths, collations, deferrability, NULLS NOT DISTINCT, table options.

Each item is read as the server prints it (PostgreSQL `pg_get_indexdef` / `pg_get_constraintdef`,
MariaDB's information_schema, SQLite's stored CREATE statements), with the object's own name
taken out, so that two databases on the same server compare equal exactly when the server
built the same thing. The text is never interpreted, except to tell whether an item is *plain*:
no more than what the reflected columns already say (see `Definition.plain`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

# The family a definition belongs to: which of the snapshot's structural comparisons covers
# the same object ("column", "index", "unique", "foreign_key", "check", "primary_key",
# "table" for table options, "sequence").
FAMILIES = ("column", "index", "unique", "foreign_key", "check", "primary_key", "table")


@dataclass(frozen=True)
class Definition:
    family: str
    key: str  # what pairs it with its counterpart: a column's name, else the text itself
    text: str  # as the server prints it, the object's own name taken out
    name: str  # the object's name in this database ("" for table options)
    plain: bool  # says nothing that the reflected columns do not already say

    @property
    def ident(self) -> tuple[str, str]:
        return (self.family, self.key)


Definitions = dict[str, tuple[Definition, ...]]  # table name -> its definitions


def read(conn: Connection, tables: Iterable[str], schema: str | None = None) -> Definitions:
    """The definitions of `tables`, in one pass of bulk queries; {} where the dialect has no
    reader."""
    wanted = sorted(set(tables))
    if not wanted:
        return {}
    name = conn.dialect.name
    if name == "postgresql":
        found = _postgresql(conn, schema)
    elif name in ("mysql", "mariadb"):
        found = _mysql(conn, schema)
    elif name == "sqlite":
        found = _sqlite(conn, wanted)
    else:
        return {}
    return {table: tuple(sorted(found.get(table, []), key=_order)) for table in wanted}


def _order(item: Definition) -> tuple[str, str, str]:
    return (item.family, item.key, item.text)


def _words(sql: str) -> str:
    return " ".join(sql.split())


# --- PostgreSQL --------------------------------------------------------------------------------

_PG = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = coalesce(:schema, current_schema())),
tables AS (
    SELECT c.oid, c.relname FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p')
)
SELECT 'i' AS kind, t.relname::text, ic.relname::text, pg_get_indexdef(i.indexrelid)
FROM tables t JOIN pg_index i ON i.indrelid = t.oid JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid
                  AND co.conrelid = t.oid)
UNION ALL
SELECT co.contype::text, t.relname::text, co.conname::text, pg_get_constraintdef(co.oid)
FROM tables t JOIN pg_constraint co ON co.conrelid = t.oid
UNION ALL
SELECT 'l', t.relname::text, a.attname::text, 'COLLATE ' || quote_ident(cl.collname)
FROM tables t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type ty ON ty.oid = a.atttypid
JOIN pg_collation cl ON cl.oid = a.attcollation
WHERE a.attcollation <> 0 AND a.attcollation <> ty.typcollation
UNION ALL
SELECT 'o', t.relname::text, '', coalesce(array_to_string(t2.reloptions, ', '), '')
       || CASE WHEN t2.relpersistence = 'u' THEN ' UNLOGGED' ELSE '' END
FROM tables t JOIN pg_class t2 ON t2.oid = t.oid
WHERE t2.reloptions IS NOT NULL OR t2.relpersistence = 'u'
"""

_PG_FAMILY = {"p": "primary_key", "u": "unique", "f": "foreign_key", "c": "check", "x": "index"}
# Words that say more than columns, actions and the referred table: a constraint with one of
# them is not plain.
_PG_CONSTRAINT_EXTRAS = re.compile(
    r"\b(DEFERRABLE|MATCH FULL|MATCH PARTIAL|NOT VALID|NULLS NOT DISTINCT|INCLUDE|"
    r"USING INDEX TABLESPACE|WITH \()|NO INHERIT"
)


def _postgresql(conn: Connection, schema: str | None) -> dict[str, list[Definition]]:
    rows = conn.execute(text(_PG), {"schema": schema}).all()
    current = schema or conn.execute(text("SELECT current_schema()")).scalar()
    prefixes = (f'"{current}".', f"{current}.")
    found: dict[str, list[Definition]] = {}
    for kind, table, name, body in rows:
        for prefix in prefixes:
            body = body.replace(prefix, "")
        found.setdefault(table, []).append(_pg_definition(kind, table, name, body))
    return found


def _pg_definition(kind: str, table: str, name: str, body: str) -> Definition:
    if kind == "i":
        unnamed = re.sub(
            r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ", r"CREATE \1INDEX ON ", body
        )
        family = "unique" if unnamed.startswith("CREATE UNIQUE") else "index"
        return Definition(family, unnamed, unnamed, name, _pg_plain_index(unnamed))
    if kind == "l":
        return Definition("column", name, body, name, False)
    if kind == "o":
        return Definition("table", "options", body, "", False)
    family = _PG_FAMILY.get(kind, "check")
    plain = family != "index" and _PG_CONSTRAINT_EXTRAS.search(body) is None
    return Definition(family, body, body, name, plain)


# btree over plain column names, each with the default order, collation and operator class.
_PG_PLAIN_INDEX = re.compile(
    r'CREATE (UNIQUE )?INDEX ON USING btree \((?:"[^"]+"|[a-z_][a-z0-9_$]*)'
    r'(?:, (?:"[^"]+"|[a-z_][a-z0-9_$]*))*\)'
)


def _pg_plain_index(unnamed: str) -> bool:
    return _PG_PLAIN_INDEX.fullmatch(unnamed) is not None


_PG_SEQUENCES = """
SELECT c.relname::text, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
       s.seqmax, s.seqcache, s.seqcycle
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
WHERE c.relnamespace = (SELECT oid FROM pg_namespace
                        WHERE nspname = coalesce(:schema, current_schema()))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
"""


def sequences(conn: Connection, schema: str | None = None) -> dict[str, str]:
    """PostgreSQL: the sequences no column owns (the models' `sa.Sequence` objects, and any
    other), by name, with their options as one text; {} elsewhere. Serial and identity
    sequences belong to their columns, which the snapshot compares."""
    if conn.dialect.name != "postgresql":
        return {}
    found = {}
    for name, type_, start, step, low, high, cache, cycle in conn.execute(
        text(_PG_SEQUENCES), {"schema": schema}
    ):
        found[name] = (
            f"AS {type_} START {start} INCREMENT {step} MINVALUE {low} MAXVALUE {high} "
            f"CACHE {cache}{' CYCLE' if cycle else ''}"
        )
    return found


# --- MariaDB / MySQL ---------------------------------------------------------------------------

_MY_WHERE = "TABLE_SCHEMA = " + "coalesce(:schema, DATABASE())"
_MY_INDEXES = (
    "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE, SEQ_IN_INDEX, COLUMN_NAME, "
    "SUB_PART, COLLATION FROM information_schema.STATISTICS WHERE " + _MY_WHERE
)
_MY_COLUMNS = (
    "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME, EXTRA, COLUMN_TYPE "
    "FROM information_schema.COLUMNS WHERE " + _MY_WHERE
)
_MY_DEFAULTS = (
    "SELECT @@default_storage_engine, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
    "WHERE SCHEMA_NAME = coalesce(:schema, DATABASE())"
)
_MY_TABLES = (
    "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, CREATE_OPTIONS FROM information_schema.TABLES "
    "WHERE TABLE_TYPE = 'BASE TABLE' AND " + _MY_WHERE
)
# EXTRA words that reflection already covers (auto_increment) or that are the server's own
# bookkeeping; the rest (on update ..., INVISIBLE, generated columns) is part of the column.
_MY_EXTRA_COVERED = re.compile(r"\bauto_increment\b|\bDEFAULT_GENERATED\b", re.IGNORECASE)


def _mysql(conn: Connection, schema: str | None) -> dict[str, list[Definition]]:
    found: dict[str, list[Definition]] = {}
    table_collation: dict[str, str] = {}
    default_engine, default_collation = conn.execute(text(_MY_DEFAULTS), {"schema": schema}).one()
    for table, engine, collation, options in conn.execute(text(_MY_TABLES), {"schema": schema}):
        table_collation[table] = collation or ""
        body = f"ENGINE={engine} COLLATE={collation}" + (f" {options}" if options else "")
        plain = (engine, collation, options or "") == (default_engine, default_collation, "")
        found.setdefault(table, []).append(Definition("table", "options", body, "", plain))
    for item in _mysql_indexes(conn, schema):
        found.setdefault(item[0], []).append(item[1])
    for table, column, charset, collation, extra, column_type in conn.execute(
        text(_MY_COLUMNS), {"schema": schema}
    ):
        words = []
        if collation and collation != table_collation.get(table):
            words.append(f"CHARACTER SET {charset} COLLATE {collation}")
        rest = _words(_MY_EXTRA_COVERED.sub("", extra or ""))
        if rest:
            words.append(rest)
        if "zerofill" in (column_type or "").lower():
            words.append("ZEROFILL")
        if words:
            found.setdefault(table, []).append(
                Definition("column", column, " ".join(words), column, False)
            )
    return found


def _mysql_indexes(conn: Connection, schema: str | None) -> list[tuple[str, Definition]]:
    parts: dict[tuple[str, str], list[Any]] = {}
    for row in conn.execute(text(_MY_INDEXES), {"schema": schema}):
        parts.setdefault((row[0], row[1]), []).append(row)
    out = []
    for (table, name), rows in parts.items():
        rows.sort(key=lambda r: r[4])
        unique = not rows[0][2]
        method = rows[0][3]
        columns = []
        plain = method == "BTREE"
        for row in rows:
            column = f"`{row[5]}`"
            if row[6] is not None:
                column += f"({row[6]})"
                plain = False
            if row[7] == "D":
                column += " DESC"
                plain = False
            columns.append(column)
        family = "primary_key" if name == "PRIMARY" else ("unique" if unique else "index")
        body = ("UNIQUE " if unique else "") + f"INDEX USING {method} (" + ", ".join(columns) + ")"
        out.append((table, Definition(family, body, body, name, plain)))
    return out


# --- SQLite ------------------------------------------------------------------------------------

_SQLITE_INDEX_HEAD = re.compile(
    r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\S+)\s+ON\s+\S+?\s*\(",
    re.IGNORECASE,
)
_SQLITE_EXTRAS = re.compile(r"\b(WHERE|DESC|ASC|COLLATE)\b|\(.*\(", re.IGNORECASE)


def _sqlite(conn: Connection, tables: list[str]) -> dict[str, list[Definition]]:
    rows = conn.execute(
        text(
            "SELECT type, tbl_name, name, sql FROM sqlite_master "
            "WHERE type IN ('table', 'index') AND sql IS NOT NULL"
        )
    ).all()
    wanted = set(tables)
    found: dict[str, list[Definition]] = {}
    for kind, table, name, sql in rows:
        if table not in wanted:
            continue
        items = _sqlite_index(name, sql) if kind == "index" else _sqlite_table(sql)
        found.setdefault(table, []).extend(items)
    return found


def _sqlite_index(name: str, sql: str) -> list[Definition]:
    head = _SQLITE_INDEX_HEAD.match(sql)
    if head is None:
        return []
    body = "(" + sql[head.end() :]
    unique = bool(head.group(1))
    normal = _sqlite_normal(body)
    plain = _SQLITE_EXTRAS.search(body) is None
    family = "unique" if unique else "index"
    shown = ("UNIQUE " if unique else "") + "INDEX " + normal
    return [Definition(family, shown, shown, name, plain)]


def _sqlite_normal(sql: str) -> str:
    """SQLite keeps statements as written: quotes, case and spacing do not change what the
    statement builds."""
    t = re.sub(r'["`\[\]]', "", _words(sql))
    t = re.sub(r"\s*,\s*", ", ", t)
    t = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", t))
    t = re.sub(r"\s+\(", "(", t)
    return re.sub(r"\)(?=\w)", ") ", t).lower()


def _sqlite_table(sql: str) -> list[Definition]:
    """Column collations and table options (WITHOUT ROWID, STRICT) of a CREATE TABLE."""
    start, end = sql.find("("), sql.rfind(")")
    if start < 0 or end < start:
        return []
    out = []
    options = _sqlite_normal(sql[end + 1 :])
    if options:
        out.append(Definition("table", "options", options, "", False))
    if "collate" not in sql.lower():  # most tables: no need to take the statement apart
        return out
    for part in _split_top_level(sql[start + 1 : end]):
        words = part.split()
        if not words or words[0].upper() in _SQLITE_TABLE_CONSTRAINTS:
            continue
        collation = re.search(r"\bCOLLATE\s+(\"?\w+\"?)", part, re.IGNORECASE)
        if collation:
            column = words[0].strip('"`[]')
            shown = "COLLATE " + collation.group(1).strip('"').upper()
            out.append(Definition("column", column, shown, column, False))
    return out


_SQLITE_TABLE_CONSTRAINTS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


def _split_top_level(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quote = ""
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        else:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append("".join(current).strip())
                current = []
                continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts
