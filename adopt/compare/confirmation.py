"""The match check's second opinion: what the same server makes of the models.

Alembic's comparison (with adopt's corrections, adopt.compare.drift) compares the live database with
the models as SQLAlchemy describes them. Where it finds nothing and nothing on either side says
more than it can compare, that is the answer. Otherwise the tables concerned are built from the
models with `create_all` in an empty scratch database of the live dialect, read by the same
reflection and catalog readers as the live ones (adopt.reading), and compared:
a difference is reported only when the server's own rendering of the models confirms it, and
what the catalog shows beyond Alembic's view (partial indexes, sort order, collations...) is
reported even where Alembic saw nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Column
from sqlalchemy import Computed
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Index
from sqlalchemy import MetaData
from sqlalchemy import Sequence
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy import exc
from sqlalchemy import text
from sqlalchemy.engine import Engine

from adopt.compare.differences import Difference
from adopt.compare.differences import SetAside
from adopt.compare.drift_text import cols_tuple
from adopt.reading import connect
from adopt.reading import schema

Classified = Difference | SetAside | str
ScratchOpener = Callable[[], AbstractContextManager[Engine]]

# Difference kinds by the part of a table they are about (see `_family`).
_COLUMN_KINDS = {
    "missing_column",
    "extra_column",
    "type",
    "enum",
    "nullable",
    "server_default",
    "autoincrement",
    "identity",
    "computed",
    "column_definition",
}


def undecided(live: schema.Snapshot, metadata: MetaData, tables: Iterable[str]) -> set[str]:
    """Of `tables` (model table keys that exist in the live database), those whose comparison
    Alembic cannot settle: the live catalog says more than the reflected columns of an index,
    constraint, column or the table itself, or the model declares something of that kind."""
    found = set()
    for key in tables:
        shape = live.tables.get(key)
        model = metadata.tables.get(key)
        if shape is None or model is None:
            continue
        if any(not d.plain for d in shape.definitions) or says_more(model):
            found.add(key)
    return found


def says_more(table: Table) -> bool:
    """Whether a model table declares what Alembic does not compare: dialect options on the
    table, its indexes or constraints, ordered or expression index columns, deferrable or
    matched foreign keys, collations, explicit sequences, generated columns."""
    if table.dialect_kwargs:
        return True
    for index in table.indexes:
        if index.dialect_kwargs or not all(isinstance(e, Column) for e in index.expressions):
            return True
    for constraint in table.constraints:
        if constraint.dialect_kwargs:
            return True
        if isinstance(constraint, ForeignKeyConstraint) and (
            constraint.deferrable is not None
            or constraint.initially is not None
            or constraint.match is not None
        ):
            return True
    return _repeats_a_key(table) or any(_column_says_more(column) for column in table.columns)


def _repeats_a_key(table: Table) -> bool:
    """Whether two of the table's keys (primary key, unique constraints, unique indexes) are on
    the same columns. Alembic takes one for the other (MySQL reflects a unique constraint as a
    unique index), so it cannot tell that one of them is missing."""
    seen = {cols_tuple(table.primary_key)}
    for item in (*table.constraints, *table.indexes):
        if isinstance(item, UniqueConstraint) or (isinstance(item, Index) and item.unique):
            columns = cols_tuple(item)
            if columns in seen:
                return True
            seen.add(columns)
    return False


def _column_says_more(column: Column[Any]) -> bool:
    if getattr(column.type, "collation", None):
        return True
    if isinstance(column.default, Sequence) or isinstance(column.server_default, Computed):
        return True
    return column.server_onupdate is not None


def reviewed(
    classified: list[Classified],
    live: schema.Snapshot,
    metadata: MetaData,
    compared: Iterable[str],
    opener: ScratchOpener,
    dialect: str,
) -> list[Classified]:
    """The check's findings after the second opinion: the `compared` tables (model tables
    present in the live database) that Alembic cannot settle, or where it found differences,
    are built from the models by `opener`'s scratch database and compared like with like."""
    tables = needing_review(classified, live, metadata, compared, dialect)
    if not tables:
        return classified
    return confirm(classified, live, built(opener, metadata, tables), tables)


def needing_review(
    classified: list[Classified],
    live: schema.Snapshot,
    metadata: MetaData,
    compared: Iterable[str],
    dialect: str,
) -> set[str]:
    wanted = set(compared)
    found = undecided(live, metadata, wanted) | (tables_with_differences(classified) & wanted)
    return {key for key in found if _buildable(metadata.tables.get(key), dialect)}


def _buildable(table: Table | None, dialect: str) -> bool:
    """Only a PostgreSQL schema lives inside the scratch database: elsewhere a table's schema
    names another database on the server (MySQL) or an attached file (SQLite), which a
    scratch build must never create or write."""
    if table is None:
        return False
    return table.schema is None or dialect == "postgresql"


def tables_with_differences(classified: Iterable[Classified]) -> set[str]:
    return {
        c.table
        for c in classified
        if isinstance(c, Difference) and c.kind not in ("missing_table", "extra_table")
    }


def built(opener: ScratchOpener, metadata: MetaData, tables: set[str]) -> schema.Snapshot:
    """`tables` as the server builds them from the models: created with create_all (with the
    tables they refer to, which CREATE TABLE needs) in an empty scratch database, and read
    back as the live database is read."""
    wanted = _with_referred(metadata, tables)
    schemas = sorted({t.schema for t in wanted if t.schema})
    with opener() as engine, connect.connection(engine) as conn:
        with conn.begin():
            for name in schemas:
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quoted(conn, name)}"))
            metadata.create_all(conn, tables=wanted)
        with conn.begin():
            snapshot = schema.take_all(conn, schemas)
    return snapshot.only(tables, declared_sequences(wanted))


def declared_sequences(tables: Iterable[Table]) -> list[str]:
    """The sequences the columns of `tables` declare (`sa.Sequence`), as snapshots name them."""
    return [
        f"{column.default.schema}.{column.default.name}"
        if column.default.schema
        else column.default.name
        for table in tables
        for column in table.columns
        if isinstance(column.default, Sequence)
    ]


def _quoted(conn: Any, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def _with_referred(metadata: MetaData, keys: set[str]) -> list[Table]:
    chosen: dict[str, Table] = {}
    pending = [metadata.tables[k] for k in sorted(keys) if k in metadata.tables]
    while pending:
        table = pending.pop()
        if table.key in chosen:
            continue
        chosen[table.key] = table
        for fk in table.foreign_key_constraints:
            try:
                referred = fk.referred_table
            except exc.NoReferencedTableError:  # create_all will say so, in its words
                continue
            if referred.metadata is metadata:
                pending.append(referred)
    return list(chosen.values())


def confirm(
    classified: list[Classified],
    live: schema.Snapshot,
    models: schema.Snapshot,
    tables: set[str],
) -> list[Classified]:
    """`classified` with each difference about `tables` kept only where comparing `live` with
    `models` (what the server built of the models) confirms it, and set aside otherwise;
    plus what that comparison finds that `classified` does not say."""
    found = [
        d
        for d in schema.compare(
            models,
            live.only(tables, models.sequences),
            expected_label="models",
            actual_label="database",
        )
        if not d.kind.endswith("_generated_name")
    ]
    found += schema.missing_sequences(models.sequences, models, live, "models", "database")
    out: list[Classified] = []
    covered: set[int] = set()
    for item in classified:
        # Alembic compares comments' text exactly: nothing for the server to confirm.
        if not isinstance(item, Difference) or item.table not in tables or item.kind == "comment":
            out.append(item)
            continue
        matching = [i for i, c in enumerate(found) if _same_object(item, c)]
        if matching:
            # The server's findings this one accounts for: those naming the same object where
            # the two spellings tell it (a name, or the columns), and those that tell no object
            # (a foreign key's timing); all of its family where none names it.
            exact = [i for i in matching if _identifies(item, found[i])]
            untold = [i for i in matching if not _told(found[i])]
            covered.update(exact + untold if exact else matching)
            out.append(item)
        else:
            out.append(
                SetAside(
                    item.table,
                    item.object,
                    "the server stores the models this way too (" + item.detail + ")",
                )
            )
    # MySQL gives each foreign key an index of its columns when it has none: a foreign key
    # reported on a table accounts for the index differences that come with it.
    keyed = {d.table for d in out if isinstance(d, Difference) and _family(d.kind) == "foreign_key"}
    covered.update(
        i for i, c in enumerate(found) if c.table in keyed and _family(c.kind) == "index"
    )
    out += [_with_fix(c) for i, c in enumerate(found) if i not in covered]
    return out


def _family(kind: str) -> str:
    if kind in _COLUMN_KINDS:
        return "column"
    for family in ("foreign_key", "primary_key", "check", "table"):
        if kind.startswith(family):
            return family
    if kind.startswith(("index", "unique")):
        return "index"  # a unique index and a unique constraint are one thing on MySQL
    return kind


def _same_object(reported: Difference, confirmed: Difference) -> bool:
    if reported.table != confirmed.table:
        return False
    family = _family(reported.kind)
    if family != _family(confirmed.kind):
        return reported.kind == "comment" and confirmed.kind == "comment"
    return family != "column" or reported.object == confirmed.object


# The first parenthesized column list in an object or detail: "(a, b)" of "ix index (a, b)".
_COLUMNS = re.compile(r"\(([\w$ ,]+)\)")
_KIND_WORDS = ("index", "unique", "check", "primary", "foreign")


def _identifies(reported: Difference, confirmed: Difference) -> bool:
    """Whether a reported difference and one the server's build confirms name the same index,
    constraint or key: the same name, or the same columns, where both spellings show it."""
    if _family(reported.kind) == "column":
        return True  # _same_object compares the column's name already
    names = (_name_of(reported.object), _name_of(confirmed.object))
    if None not in names and names[0] == names[1]:
        return True
    columns = (_columns_of(reported), _columns_of(confirmed))
    return None not in columns and columns[0] == columns[1]


def _told(found: Difference) -> bool:
    """Whether a difference's spelling tells which object it is about."""
    return _name_of(found.object) is not None or _columns_of(found) is not None


def _name_of(label: str) -> str | None:
    """The name a label starts with: "ix_a index (a)" and "ix_a" give "ix_a"; "unique (a)" and
    "(a) -> b(id)" give none."""
    first = label.split(" ", 1)[0]
    if not first or first.startswith("(") or first in _KIND_WORDS:
        return None
    return first


def _columns_of(found: Difference) -> str | None:
    for spelled in (found.object, found.detail):
        match = _COLUMNS.search(spelled)
        if match is not None:
            return match.group(1)
    return None


_FIXES = {
    "column": "declare the column in the model as the database has it",
    "index": "declare the index in the model as the database has it (postgresql_where=, "
    "postgresql_using=, postgresql_include=, postgresql_ops=, mysql_length=, sqlite_where=, "
    "or a column's .desc()), or change the database first",
    "unique": "declare the unique constraint in the model as the database has it",
    "foreign_key": "declare the foreign key in the model as the database has it (ondelete=, "
    "onupdate=, deferrable=, initially=)",
    "check": "declare the CHECK constraint in the model as the database has it",
    "primary_key": "mark exactly the database's key columns primary_key=True",
    "table": "declare the table's options in the model as the database has them "
    "(mysql_engine=, mysql_charset=, mysql_collate=, ...)",
    "comment": "set comment= as the database has it",
    "sequence": "declare the sa.Sequence(...) in the model with the database's options "
    "(start=, increment=, minvalue=, maxvalue=, cache=, cycle=), or change the database first",
}


def _with_fix(found: Difference) -> Difference:
    if found.fix:
        return found
    if found.kind.endswith("_definition") and found.detail.endswith("database has none"):
        fix = "create it in the database first, or remove it from the model"
    elif found.kind.endswith("_definition") and found.detail.startswith("models has none"):
        fix = "declare it in the model as the database has it, or drop it from the database first"
    elif found.kind == "column_definition":
        fix = "declare the column's collation or options in the model as the database has them"
    elif found.kind in ("comment", "sequence"):
        fix = _FIXES[found.kind]
    elif found.kind.startswith("unique"):
        fix = _FIXES["unique"]
    else:
        fix = _FIXES.get(_family(found.kind), "make the model match the database")
    return Difference(found.kind, found.table, found.object, found.detail, fix)
