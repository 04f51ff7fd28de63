"""Drift made by hand on a legacy database of the corpus, the way it happens in production:
an index dropped during an incident, a column widened, a column added, a default changed, a
foreign key dropped, a NOT NULL lifted, a unique constraint dropped, an integer column made
BIGINT, a value added to an enum, a CHECK constraint dropped. Each is chosen from what the
database has (the first fitting object in name order), applied with plain SQL, and described by
the object `adopt check` must name.

SQLite cannot alter a column or drop a foreign key; there the table's stored CREATE statement
is edited (PRAGMA writable_schema), which is what a rebuilt table would hold.

Runs in the corpus runner's own environment: it needs SQLAlchemy and a driver only."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import sqlalchemy as sa

DRIFT_COLUMN = "adopt_drift_note"


@dataclass(frozen=True)
class Drift:
    what: str  # drop an index, widen a column, ...
    table: str
    object: str  # what the report must name: the index, column or foreign key
    sql: str  # as applied (the statement, or the edit of SQLite's stored statement)
    columns: tuple[str, ...] = ()  # a dropped constraint's columns

    def named_by(self, found: dict[str, object]) -> bool:
        """Whether a difference of `adopt check --json` names this drift's object."""
        if found.get("table") != self.table:
            return False
        obj = str(found.get("object") or "")
        detail = str(found.get("detail") or "")
        if self.what == "drop a foreign key":
            kind = str(found.get("kind") or "")
            return kind.startswith("foreign_key") and (self.object in obj or self.object in detail)
        if self.what == "drop a CHECK constraint":
            kind = str(found.get("kind") or "")
            # A constraint the models leave unnamed is named by its condition, which the
            # server respells: a CHECK the database lacks, on this table, is this one.
            missing = "in the models, not in the database" in detail
            return kind.startswith("check") and (
                self.object in obj or self.object in detail or missing
            )
        if self.what == "drop a unique constraint" and self.columns:
            # A constraint the models leave unnamed is named by its columns.
            kind = str(found.get("kind") or "")
            listed = "(" + ", ".join(self.columns) + ")"
            return kind.startswith(("unique", "index")) and (
                obj == self.object or obj.startswith(self.object + " ") or listed in obj
            )
        return obj == self.object or obj.startswith(self.object + " ")  # "name index (cols)"


def apply_all(url: str) -> list[Drift]:
    """Choose and apply one drift of each kind the database has an object for."""
    engine = sa.create_engine(url)
    try:
        chosen = _choose(engine)
    finally:
        engine.dispose()
    if url.startswith("sqlite"):
        _apply_sqlite(sa.make_url(url).database or "", chosen)
    else:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                for drift in chosen:
                    conn.exec_driver_sql(drift.sql)
        finally:
            engine.dispose()
    return chosen


def _choose(engine: sa.Engine) -> list[Drift]:
    inspector = sa.inspect(engine)
    dialect = engine.dialect.name
    q = engine.dialect.identifier_preparer.quote
    tables = sorted(t for t in inspector.get_table_names() if t != "alembic_version")
    found: list[Drift] = []
    used: set[tuple[str, str]] = set()  # (table, column) already drifted

    index = _droppable_index(inspector, tables, dialect)
    if index is not None:
        table, name = index
        sql = f"DROP INDEX {q(name)}" + (f" ON {q(table)}" if dialect == "mysql" else "")
        found.append(Drift("drop an index", table, name, sql))

    widen = _plain_varchar(inspector, tables, used, dialect)
    if widen is not None:
        table, column, length, nullable = widen
        used.add((table, column))
        new = f"VARCHAR({length * 2})"
        if dialect == "postgresql":
            sql = f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} TYPE {new}"
        elif dialect == "mysql":
            null = "NULL" if nullable else "NOT NULL"
            sql = f"ALTER TABLE {q(table)} MODIFY {q(column)} {new} {null}"
        else:
            sql = f"{column} VARCHAR({length}) -> {column} {new}"
        found.append(Drift("widen a column", table, column, sql))

    default = _plain_varchar(inspector, tables, used, dialect, min_length=len("drift"))
    if default is not None:
        table, column, length, _nullable = default
        used.add((table, column))
        if dialect == "sqlite":
            sql = f"{column} VARCHAR({length}) -> {column} VARCHAR({length}) DEFAULT 'drift'"
        else:
            sql = f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} SET DEFAULT 'drift'"
        found.append(Drift("change a default", table, column, sql))

    if tables:
        table = tables[0]
        sql = f"ALTER TABLE {q(table)} ADD COLUMN {q(DRIFT_COLUMN)} VARCHAR(20)"
        found.append(Drift("add a column", table, DRIFT_COLUMN, sql))

    loose = _plain_varchar(inspector, tables, used, dialect, not_null=True)
    if loose is not None:
        table, column, length, _nullable = loose
        used.add((table, column))
        if dialect == "postgresql":
            sql = f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} DROP NOT NULL"
        elif dialect == "mysql":
            sql = f"ALTER TABLE {q(table)} MODIFY {q(column)} VARCHAR({length}) NULL"
        else:
            sql = f"{column} VARCHAR({length}) NOT NULL -> {column} VARCHAR({length})"
        found.append(Drift("lift a NOT NULL", table, column, sql))

    unique = _droppable_unique(inspector, tables, dialect)
    if unique is not None:
        table, name, columns = unique
        if dialect == "postgresql":
            sql = f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}"
        else:
            sql = f"DROP INDEX {q(name)} ON {q(table)}"
        found.append(Drift("drop a unique constraint", table, name, sql, columns))

    wider = _plain_integer(inspector, tables, used)
    if wider is not None:
        table, column, nullable = wider
        used.add((table, column))
        if dialect == "postgresql":
            sql = f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} TYPE BIGINT"
        elif dialect == "mysql":
            null = "NULL" if nullable else "NOT NULL"
            sql = f"ALTER TABLE {q(table)} MODIFY {q(column)} BIGINT {null}"
        else:
            sql = f"{column} INTEGER -> {column} BIGINT"
        found.append(Drift("make an integer column BIGINT", table, column, sql))

    enum = _plain_enum(inspector, tables, used, dialect)
    if enum is not None:
        table, column, type_name, labels, nullable = enum
        used.add((table, column))
        if dialect == "postgresql":
            sql = f"ALTER TYPE {q(type_name)} ADD VALUE 'drift'"
        else:
            listed = ", ".join("'" + label.replace("'", "''") + "'" for label in labels)
            null = "NULL" if nullable else "NOT NULL"
            sql = f"ALTER TABLE {q(table)} MODIFY {q(column)} ENUM({listed}, 'drift') {null}"
        found.append(Drift("add a value to an enum", table, column, sql))

    check = _droppable_check(inspector, tables, dialect)
    if check is not None:
        table, name = check
        sql = f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}"
        found.append(Drift("drop a CHECK constraint", table, name, sql))

    key = _droppable_foreign_key(inspector, tables)
    if key is not None:
        table, name, column = key
        if dialect == "postgresql":
            sql = f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}"
        elif dialect == "mysql":
            sql = f"ALTER TABLE {q(table)} DROP FOREIGN KEY {q(name)}"
        else:
            sql = f"FOREIGN KEY({column}) removed"
        found.append(Drift("drop a foreign key", table, column, sql))
    return found


def _droppable_index(
    inspector: sa.Inspector, tables: list[str], dialect: str
) -> tuple[str, str] | None:
    for table in tables:
        keyed = {tuple(fk["constrained_columns"]) for fk in inspector.get_foreign_keys(table)}
        for index in inspector.get_indexes(table):
            name, columns = index.get("name"), tuple(index.get("column_names") or ())
            if not name or index.get("unique") or None in columns:
                continue
            # MariaDB refuses to drop the index a foreign key needs.
            if dialect == "mysql" and any(columns[: len(k)] == k for k in keyed):
                continue
            if dialect == "mysql" and name in {c for c in columns if c}:
                continue  # an index MariaDB named after the column may be a key's own
            return table, str(name)
    return None


def _involved(inspector: sa.Inspector, table: str) -> set[str]:
    """The columns of `table` that a key, index or unique constraint involves."""
    involved = set(inspector.get_pk_constraint(table).get("constrained_columns") or ())
    for fk in inspector.get_foreign_keys(table):
        involved.update(fk["constrained_columns"])
    for index in inspector.get_indexes(table):
        involved.update(c for c in index.get("column_names") or () if c)
    for unique in inspector.get_unique_constraints(table):
        involved.update(unique["column_names"])
    return involved


def _plain_varchar(
    inspector: sa.Inspector,
    tables: list[str],
    used: set[tuple[str, str]],
    dialect: str,
    not_null: bool = False,
    min_length: int = 1,
) -> tuple[str, str, int, bool] | None:
    """A VARCHAR column (NOT NULL if `not_null`) that no key, index or default involves, so
    the drift touches it alone (on MariaDB, MODIFY restates the whole column)."""
    for table in tables:
        involved = _involved(inspector, table)
        for column in inspector.get_columns(table):
            type_ = column["type"]
            length = getattr(type_, "length", None)
            if (
                type(type_).__name__ not in ("VARCHAR", "NVARCHAR")
                or not length
                or length < min_length
                or column["name"] in involved
                or column.get("default") is not None
                or column.get("comment")
                or (dialect == "mysql" and getattr(type_, "collation", None))
                or (table, column["name"]) in used
                or (not_null and column["nullable"])
            ):
                continue
            return table, column["name"], int(length), bool(column["nullable"])
    return None


def _plain_integer(
    inspector: sa.Inspector, tables: list[str], used: set[tuple[str, str]]
) -> tuple[str, str, bool] | None:
    """An INTEGER column that no key, index, default or comment involves."""
    for table in tables:
        involved = _involved(inspector, table)
        for column in inspector.get_columns(table):
            if (
                type(column["type"]).__name__ != "INTEGER"
                or column["name"] in involved
                or column.get("default") is not None
                or column.get("comment")
                or column.get("autoincrement") is True
                or column.get("identity")
                or (table, column["name"]) in used
            ):
                continue
            return table, column["name"], bool(column["nullable"])
    return None


def _droppable_unique(
    inspector: sa.Inspector, tables: list[str], dialect: str
) -> tuple[str, str, tuple[str, ...]] | None:
    """A named unique constraint no foreign key needs. SQLite keeps one as an automatic index
    tied to the table's statement, which an edit of the statement cannot drop: none there."""
    if dialect == "sqlite":
        return None
    for table in tables:
        keyed = {tuple(fk["constrained_columns"]) for fk in inspector.get_foreign_keys(table)}
        referred = {
            (fk["referred_table"], tuple(fk["referred_columns"]))
            for other in tables
            for fk in inspector.get_foreign_keys(other)
        }
        for unique in inspector.get_unique_constraints(table):
            name, columns = unique.get("name"), tuple(unique["column_names"])
            if not name or (table, columns) in referred:
                continue
            if dialect == "mysql" and any(columns[: len(k)] == k for k in keyed):
                continue
            return table, str(name), columns
    return None


def _plain_enum(
    inspector: sa.Inspector, tables: list[str], used: set[tuple[str, str]], dialect: str
) -> tuple[str, str, str, list[str], bool] | None:
    """A column of a server enum type (PostgreSQL's named types, MariaDB's ENUM) with no
    default, no comment, no key or index; on PostgreSQL, of a type no other column uses, so
    the drift is one column's."""
    if dialect == "sqlite":
        return None
    found: list[tuple[str, str, str, list[str], bool]] = []
    for table in tables:
        involved = _involved(inspector, table)
        for column in inspector.get_columns(table):
            type_ = column["type"]
            if (
                not isinstance(type_, sa.Enum)
                or column["name"] in involved
                or column.get("default") is not None
                or column.get("comment")
                or (dialect == "mysql" and getattr(type_, "collation", None))
            ):
                continue
            found.append(
                (table, column["name"], type_.name or "", list(type_.enums), column["nullable"])
            )
    for item in found:
        shared = dialect == "postgresql" and sum(other[2] == item[2] for other in found) > 1
        if (item[0], item[1]) not in used and not shared:
            return item
    return None


def _droppable_check(
    inspector: sa.Inspector, tables: list[str], dialect: str
) -> tuple[str, str] | None:
    """A named CHECK constraint. On SQLite a constraint is part of the table's statement,
    which the edit above keeps to columns and keys: none there."""
    if dialect == "sqlite":
        return None
    for table in tables:
        for check in inspector.get_check_constraints(table):
            if check.get("name"):
                return table, str(check["name"])
    return None


def _droppable_foreign_key(
    inspector: sa.Inspector, tables: list[str]
) -> tuple[str, str, str] | None:
    for table in tables:
        for fk in inspector.get_foreign_keys(table):
            columns = fk["constrained_columns"]
            if len(columns) == 1 and fk.get("name") is not None:
                return table, str(fk["name"]), columns[0]
        if inspector.bind.dialect.name == "sqlite":
            for fk in inspector.get_foreign_keys(table):
                if len(fk["constrained_columns"]) == 1:
                    return table, "", fk["constrained_columns"][0]
    return None


# --- SQLite: the stored statement edited ----------------------------------------------------


def _apply_sqlite(path: str, chosen: list[Drift]) -> None:
    con = sqlite3.connect(path)
    try:
        edits = []
        for drift in chosen:
            if drift.sql.startswith(("DROP INDEX", "ALTER TABLE")):
                con.execute(drift.sql)
            else:
                edits.append(drift)
        # Read after the statements: ADD COLUMN rewrites the stored statement too.
        statements = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type='table'"))
        edited: dict[str, str] = {}
        for drift in edits:
            sql = edited.get(drift.table, statements[drift.table])
            edited[drift.table] = _edited(sql, drift)
        if edited:
            (version,) = con.execute("PRAGMA schema_version").fetchone()
            con.execute("PRAGMA writable_schema=ON")
            for table, sql in edited.items():
                con.execute(
                    "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                    (sql, table),
                )
            con.execute(f"PRAGMA schema_version={version + 1}")
            con.execute("PRAGMA writable_schema=OFF")
        con.commit()
        (state,) = con.execute("PRAGMA integrity_check").fetchone()
        if state != "ok":
            raise RuntimeError(f"the edited SQLite schema is not sound: {state}")
    finally:
        con.close()


def _edited(sql: str, drift: Drift) -> str:
    head, _, rest = sql.partition("(")
    body, _, tail = rest.rpartition(")")
    clauses = _clauses(body)
    if drift.what == "drop a foreign key":
        pattern = re.compile(
            rf"^\s*(CONSTRAINT\s+\S+\s+)?FOREIGN KEY\s*\(\s*\"?{re.escape(drift.object)}\"?\s*\)",
            re.IGNORECASE,
        )
        kept = [c for c in clauses if not pattern.match(c)]
        if len(kept) == len(clauses):
            raise RuntimeError(f"no FOREIGN KEY({drift.object}) clause in {drift.table}")
        clauses = kept
    elif drift.what == "make an integer column BIGINT":
        integer = re.compile(rf"^(\s*\"?{re.escape(drift.object)}\"?\s+)INTEGER\b", re.IGNORECASE)
        matched = [i for i, c in enumerate(clauses) if integer.match(c)]
        if not matched:
            raise RuntimeError(f"no INTEGER column {drift.object} in {drift.table}")
        clauses[matched[0]] = integer.sub(lambda m: f"{m[1]}BIGINT", clauses[matched[0]])
    else:
        column = re.compile(
            rf"^(\s*\"?{re.escape(drift.object)}\"?\s+VARCHAR)\((\d+)\)", re.IGNORECASE
        )
        matched = [i for i, c in enumerate(clauses) if column.match(c)]
        if not matched:
            raise RuntimeError(f"no VARCHAR column {drift.object} in {drift.table}")
        i = matched[0]
        if drift.what == "lift a NOT NULL":
            clauses[i] = re.sub(r"\s+NOT NULL", "", clauses[i], count=1, flags=re.IGNORECASE)
        elif drift.what == "widen a column":
            clauses[i] = column.sub(lambda m: f"{m[1]}({int(m[2]) * 2})", clauses[i])
        else:
            clauses[i] = column.sub(lambda m: f"{m[0]} DEFAULT 'drift'", clauses[i])
    return head + "(" + ",".join(clauses) + ")" + tail


def _clauses(body: str) -> list[str]:
    """The comma-separated parts of a CREATE TABLE body, commas inside parentheses kept."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts
