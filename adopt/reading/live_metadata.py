"""The live database's tables as SQLAlchemy Tables, for a baseline that describes the database
as it is (adopt.build.catch_up) rather than as the models say.

Reflection gives nearly what CREATE TABLE needs; what it gives that a rebuild must not repeat is
taken out here: PostgreSQL's nextval() default of a serial (the SERIAL type makes its own
sequence), and MySQL's index for a foreign key that CREATE TABLE makes by itself."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy.engine import Connection


def reflect(conn: Connection, tables: Iterable[str]) -> MetaData:
    """The named tables (`schema.table` outside the default schema), reflected from `conn`."""
    metadata = MetaData()
    by_schema: dict[str | None, list[str]] = {}
    for key in tables:
        prefix, _, name = key.rpartition(".")
        by_schema.setdefault(prefix or None, []).append(name)
    for schema, names in by_schema.items():
        metadata.reflect(conn, schema=schema, only=names, resolve_fks=False)
    for table in metadata.tables.values():
        _without_what_create_table_makes(table, conn.dialect.name)
    return metadata


_NEXTVAL = re.compile(r"^nextval\('.*'::regclass\)$")


def _without_what_create_table_makes(table: Table, dialect: str) -> None:
    if dialect == "postgresql":
        for column in table.columns:
            default = column.server_default
            text = str(getattr(default, "arg", "")) if default is not None else ""
            if column.autoincrement is True and _NEXTVAL.match(text):
                column.server_default = None
    if dialect == "mysql":
        implied = {
            (fk.name, tuple(c.name for c in fk.columns)) for fk in table.foreign_key_constraints
        }
        for index in list(table.indexes):
            columns = tuple(c.name for c in index.columns)
            if not index.unique and any(
                columns[: len(fk_columns)] == fk_columns and index.name in (name, columns[0])
                for name, fk_columns in implied
            ):
                table.indexes.discard(index)
