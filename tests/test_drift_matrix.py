"""The match check on a matrix of injected drift and benign variants, on SQLite, PostgreSQL and
MariaDB: each case runs DDL on a live database, declares models, and says what `adopt check`
must report. Drift cases must come out as differences of the right kind on the right object
(and nothing else); benign cases must come out with no difference at all (what Alembic reports
about them is set aside, with a reason).

Each case also rebuilds its models with create_all in a second database and compares the two
schemas the way the baseline verification does: benign cases must match there too."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import SERVERS
from helpers import TEST_DB_PREFIX
from helpers import require_server
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles

from adopt.compare import confirmation
from adopt.compare import drift
from adopt.compare.differences import Difference
from adopt.compare.differences import SetAside
from adopt.reading import schema

DIALECTS = ("sqlite", "postgresql", "mariadb")
PG = ("postgresql",)
MARIADB = ("mariadb",)
SQLITE = ("sqlite",)
SERVER_DIALECTS = ("postgresql", "mariadb")
NOT_MARIADB = ("sqlite", "postgresql")

Model = Callable[[sa.MetaData, str, str], object]  # (metadata, table prefix, dialect)
Expected = tuple[str, str, str]  # (kind, table without prefix, substring of the object)

# Per-dialect spellings used in the DDL as {name}.
SPELLINGS: dict[str, dict[str, str]] = {
    "pk": {
        "sqlite": "INTEGER PRIMARY KEY",
        "postgresql": "SERIAL PRIMARY KEY",
        "mariadb": "INTEGER AUTO_INCREMENT PRIMARY KEY",
    },
    "ts": {"sqlite": "DATETIME", "postgresql": "TIMESTAMP", "mariadb": "DATETIME"},
    "bool": {"sqlite": "BOOLEAN", "postgresql": "BOOLEAN", "mariadb": "BOOL"},
    "false": {"sqlite": "0", "postgresql": "false", "mariadb": "0"},
    "true": {"sqlite": "1", "postgresql": "true", "mariadb": "1"},
    "double": {"sqlite": "DOUBLE", "postgresql": "DOUBLE PRECISION", "mariadb": "DOUBLE"},
    "decimal": {"sqlite": "NUMERIC", "postgresql": "NUMERIC", "mariadb": "DECIMAL"},
}


@dataclass(frozen=True)
class Case:
    id: str
    ddl: list[str] | dict[str, list[str]]  # {p} is the table prefix; a dict is per dialect
    model: Model
    expect: tuple[Expected, ...] = ()  # empty: benign
    unmanaged: tuple[str, ...] = ()
    dialects: tuple[str, ...] = DIALECTS
    rebuild: bool = True  # compare with create_all of the models too (see module docstring)

    @property
    def benign(self) -> bool:
        return not self.expect and not self.unmanaged

    def statements(self, dialect: str, prefix: str) -> list[str]:
        ddl = self.ddl if isinstance(self.ddl, list) else self.ddl.get(dialect) or self.ddl["*"]
        subs = {k: v[dialect] for k, v in SPELLINGS.items()}
        statements = [s.format(p=prefix, **subs) for s in ddl]
        # psycopg and PyMySQL read % as a placeholder, even with no parameters.
        return [s.replace("%", "%%") if dialect != "sqlite" else s for s in statements]


def table(md: sa.MetaData, name: str, *items: Any, **kw: Any) -> sa.Table:
    """A model table with the usual autoincrement id key."""
    return sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True), *items, **kw)


def col(name: str, type_: Any = sa.Integer, *args: Any, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, type_, *args, **kw)


def parent_child(md: sa.MetaData, p: str, *child_items: Any) -> None:
    table(md, p + "parent")
    table(md, p + "other")
    table(md, p + "child", *child_items)


PARENTS = [
    "CREATE TABLE {p}parent (id {pk})",
    "CREATE TABLE {p}other (id {pk})",
]


class PreciseDateTime(sa.types.UserDefinedType[Any]):
    """A project type with its own DDL rule: DATETIME(6) on MySQL/MariaDB."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "DATETIME"


@compiles(PreciseDateTime, "mysql")
@compiles(PreciseDateTime, "mariadb")
def _precise_on_mysql(type_: Any, compiler: Any, **kw: Any) -> str:
    return "DATETIME(6)"


def _desc_index(md: sa.MetaData, p: str) -> None:
    t = table(md, p + "t", col("qty"))
    sa.Index(p + "ix", t.c.qty.desc())


UNIQUE_INDEX_ONLY = [
    "CREATE TABLE {p}t (id {pk}, code VARCHAR(20))",
    "CREATE UNIQUE INDEX {p}ix ON {p}t (code)",
]


def _unique_twice(md: sa.MetaData, p: str, d: str) -> None:
    """A unique constraint and a unique index on the same column."""
    table(
        md,
        p + "t",
        col("code", sa.String(20), unique=True),
        sa.Index(p + "ix", "code", unique=True),
    )


# --- drift: each must be reported with the right kind and object --------------------------------

DRIFT = [
    Case(
        "missing_table",
        ["CREATE TABLE {p}a (id {pk})"],
        lambda md, p, d: (table(md, p + "a"), table(md, p + "b")),
        (("missing_table", "b", ""),),
    ),
    Case(
        "extra_table",
        ["CREATE TABLE {p}a (id {pk})", "CREATE TABLE {p}old (id {pk})"],
        lambda md, p, d: table(md, p + "a"),
        unmanaged=("old",),
    ),
    Case(
        "missing_column",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR(20))"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20)), col("age")),
        (("missing_column", "t", "age"),),
    ),
    Case(
        "extra_column",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR(20), legacy INTEGER)"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20))),
        (("extra_column", "t", "legacy"),),
    ),
    Case(
        "varchar_length",
        ["CREATE TABLE {p}t (id {pk}, email VARCHAR(255))"],
        lambda md, p, d: table(md, p + "t", col("email", sa.String(120))),
        (("type", "t", "email"),),
    ),
    Case(
        "integer_vs_bigint",
        ["CREATE TABLE {p}t (id {pk}, hits BIGINT)"],
        lambda md, p, d: table(md, p + "t", col("hits", sa.Integer)),
        (("type", "t", "hits"),),
    ),
    Case(
        "text_vs_varchar",
        ["CREATE TABLE {p}t (id {pk}, body TEXT)"],
        lambda md, p, d: table(md, p + "t", col("body", sa.String(255))),
        (("type", "t", "body"),),
    ),
    Case(
        "numeric_precision_scale",
        ["CREATE TABLE {p}t (id {pk}, price {decimal}(10, 2))"],
        lambda md, p, d: table(md, p + "t", col("price", sa.Numeric(12, 4))),
        (("type", "t", "price"),),
    ),
    Case(
        "datetime_vs_date",
        ["CREATE TABLE {p}t (id {pk}, born {ts})"],
        lambda md, p, d: table(md, p + "t", col("born", sa.Date)),
        (("type", "t", "born"),),
    ),
    Case(
        "nullable_in_database",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR(20))"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20), nullable=False)),
        (("nullable", "t", "name"),),
    ),
    Case(
        "integer_nullable_in_database",
        ["CREATE TABLE {p}t (id {pk}, n INTEGER)"],
        lambda md, p, d: table(md, p + "t", col("n", nullable=False)),
        (("nullable", "t", "n"),),
    ),
    Case(
        "not_null_in_database",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR(20) NOT NULL)"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20), nullable=True)),
        (("nullable", "t", "name"),),
    ),
    Case(
        "default_added_in_models",
        ["CREATE TABLE {p}t (id {pk}, state VARCHAR(10))"],
        lambda md, p, d: table(md, p + "t", col("state", sa.String(10), server_default="new")),
        (("server_default", "t", "state"),),
    ),
    Case(
        "default_only_in_database",
        ["CREATE TABLE {p}t (id {pk}, state VARCHAR(10) DEFAULT 'new')"],
        lambda md, p, d: table(md, p + "t", col("state", sa.String(10))),
        (("server_default", "t", "state"),),
    ),
    Case(
        "default_changed",
        ["CREATE TABLE {p}t (id {pk}, state VARCHAR(10) DEFAULT 'new', n INTEGER DEFAULT 1)"],
        lambda md, p, d: table(
            md,
            p + "t",
            col("state", sa.String(10), server_default="old"),
            col("n", server_default="2"),
        ),
        (("server_default", "t", "state"), ("server_default", "t", "n")),
    ),
    Case(
        "boolean_default_changed",
        ["CREATE TABLE {p}t (id {pk}, active {bool} DEFAULT {true})"],
        lambda md, p, d: table(md, p + "t", col("active", sa.Boolean, server_default=sa.false())),
        (("server_default", "t", "active"),),
    ),
    Case(
        "text_default_is_not_a_boolean",
        ["CREATE TABLE {p}t (id {pk}, code VARCHAR(5) DEFAULT 't')"],
        lambda md, p, d: table(md, p + "t", col("code", sa.String(5), server_default="1")),
        (("server_default", "t", "code"),),
    ),
    Case(
        "index_missing",
        ["CREATE TABLE {p}t (id {pk}, a INTEGER)"],
        lambda md, p, d: table(md, p + "t", col("a"), sa.Index(p + "ix_a", "a")),
        (("index", "t", "ix_a"),),
    ),
    Case(
        "index_extra",
        ["CREATE TABLE {p}t (id {pk}, b INTEGER)", "CREATE INDEX {p}ix_b ON {p}t (b)"],
        lambda md, p, d: table(md, p + "t", col("b")),
        (("index", "t", "ix_b"),),
    ),
    Case(
        "index_uniqueness",
        ["CREATE TABLE {p}t (id {pk}, c INTEGER)", "CREATE INDEX {p}ix_c ON {p}t (c)"],
        lambda md, p, d: table(md, p + "t", col("c"), sa.Index(p + "ix_c", "c", unique=True)),
        (("index", "t", "ix_c"),),
    ),
    Case(
        "index_columns",
        ["CREATE TABLE {p}t (id {pk}, e INTEGER, f INTEGER)", "CREATE INDEX {p}ix_e ON {p}t (e)"],
        lambda md, p, d: table(md, p + "t", col("e"), col("f"), sa.Index(p + "ix_e", "e", "f")),
        (("index", "t", "ix_e"),),
    ),
    Case(
        "index_renamed",
        ["CREATE TABLE {p}t (id {pk}, g INTEGER)", "CREATE INDEX {p}idx_g ON {p}t (g)"],
        lambda md, p, d: table(md, p + "t", col("g"), sa.Index(p + "ix_g", "g")),
        (("index_name", "t", "ix_g"),),
    ),
    Case(
        "unique_missing",
        ["CREATE TABLE {p}t (id {pk}, a INTEGER)"],
        lambda md, p, d: table(md, p + "t", col("a"), sa.UniqueConstraint("a", name=p + "uq_a")),
        (("unique", "t", "(a)"),),
    ),
    Case(
        "unique_extra_named",
        ["CREATE TABLE {p}t (id {pk}, a INTEGER, CONSTRAINT {p}uq_a UNIQUE (a))"],
        lambda md, p, d: table(md, p + "t", col("a")),
        (("unique", "t", "uq_a"),),
    ),
    Case(
        "unique_extra_unnamed",
        ["CREATE TABLE {p}t (id {pk}, a INTEGER UNIQUE, b INTEGER, UNIQUE (b))"],
        lambda md, p, d: table(md, p + "t", col("a"), col("b")),
        (("unique", "t", "(a)"), ("unique", "t", "(b)")),
    ),
    Case(
        "unique_index_vs_constraint",
        ["CREATE TABLE {p}t (id {pk}, a INTEGER)", "CREATE UNIQUE INDEX {p}uq_a ON {p}t (a)"],
        lambda md, p, d: table(md, p + "t", col("a"), sa.UniqueConstraint("a", name=p + "uq_a")),
        (("unique", "t", "uq_a"),),
        dialects=NOT_MARIADB,  # on MariaDB the two are one thing (see the benign cases)
    ),
    Case(
        "fk_missing",
        [*PARENTS, "CREATE TABLE {p}child (id {pk}, parent_id INTEGER)"],
        lambda md, p, d: parent_child(md, p, col("parent_id", sa.ForeignKey(p + "parent.id"))),
        (("foreign_key", "child", "(parent_id)"),),
    ),
    Case(
        "fk_extra",
        [
            *PARENTS,
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER REFERENCES {p}parent (id))",
        ],
        lambda md, p, d: parent_child(md, p, col("parent_id")),
        (("foreign_key", "child", "(parent_id)"),),
    ),
    Case(
        "fk_target",
        [
            *PARENTS,
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER REFERENCES {p}other (id))",
        ],
        lambda md, p, d: parent_child(md, p, col("parent_id", sa.ForeignKey(p + "parent.id"))),
        (("foreign_key", "child", "(parent_id)"),),
    ),
    Case(
        "fk_on_delete",
        [
            *PARENTS,
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER,"
            " FOREIGN KEY (parent_id) REFERENCES {p}parent (id) ON DELETE CASCADE)",
        ],
        lambda md, p, d: parent_child(md, p, col("parent_id", sa.ForeignKey(p + "parent.id"))),
        (("foreign_key", "child", "(parent_id)"),),
    ),
    Case(
        "fk_on_update",
        [
            *PARENTS,
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER,"
            " FOREIGN KEY (parent_id) REFERENCES {p}parent (id))",
        ],
        lambda md, p, d: parent_child(
            md, p, col("parent_id", sa.ForeignKey(p + "parent.id", onupdate="CASCADE"))
        ),
        (("foreign_key", "child", "(parent_id)"),),
    ),
    Case(
        "check_only_in_database",
        [
            "CREATE TABLE {p}t (id {pk}, qty INTEGER, price INTEGER CHECK (price > 0),"
            " CONSTRAINT {p}qty_pos CHECK (qty >= 0))"
        ],
        lambda md, p, d: table(md, p + "t", col("qty"), col("price")),
        (("check", "t", "qty >= 0"), ("check", "t", "price > 0")),
    ),
    Case(
        "check_only_in_models",
        ["CREATE TABLE {p}t (id {pk}, qty INTEGER)"],
        lambda md, p, d: table(
            md, p + "t", col("qty"), sa.CheckConstraint("qty >= 0", name=p + "qty_pos")
        ),
        (("check", "t", "qty_pos"),),
    ),
    Case(
        "check_changed",
        ["CREATE TABLE {p}t (id {pk}, qty INTEGER, CONSTRAINT {p}qty_pos CHECK (qty >= 0))"],
        lambda md, p, d: table(
            md, p + "t", col("qty"), sa.CheckConstraint("qty > 0", name=p + "qty_pos")
        ),
        (("check", "t", "qty_pos"),),
    ),
    Case(
        "primary_key",
        ["CREATE TABLE {p}t (id INTEGER NOT NULL, k INTEGER NOT NULL, PRIMARY KEY (id))"],
        lambda md, p, d: sa.Table(
            p + "t",
            md,
            col("id", primary_key=True, autoincrement=False),
            col("k", primary_key=True, autoincrement=False),
        ),
        (("primary_key", "t", "(id)"),),
    ),
    Case(
        "varchar_without_length",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR)"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(50))),
        (("type", "t", "name"),),
        dialects=NOT_MARIADB,  # MariaDB has no VARCHAR without a length
    ),
    Case(
        "numeric_without_precision",
        ["CREATE TABLE {p}t (id {pk}, amount {decimal})"],
        lambda md, p, d: table(md, p + "t", col("amount", sa.Numeric(10, 2))),
        (("type", "t", "amount"),),
    ),
    Case(
        "numeric_model_without_precision",
        ["CREATE TABLE {p}t (id {pk}, amount {decimal}(10, 2))"],
        lambda md, p, d: table(md, p + "t", col("amount", sa.Numeric())),
        (("type", "t", "amount"),),
    ),
    Case(
        "timestamp_vs_timestamptz",
        ["CREATE TABLE {p}t (id {pk}, a TIMESTAMP, b TIMESTAMPTZ)"],
        lambda md, p, d: table(
            md, p + "t", col("a", sa.DateTime(timezone=True)), col("b", sa.DateTime())
        ),
        (("type", "t", "a"), ("type", "t", "b")),
        dialects=PG,
    ),
    Case(
        "timestamp_precision",
        {
            "postgresql": ["CREATE TABLE {p}t (id {pk}, at TIMESTAMP(3))"],
            "mariadb": ["CREATE TABLE {p}t (id {pk}, at DATETIME(6))"],
        },
        lambda md, p, d: table(md, p + "t", col("at", sa.DateTime)),
        (("type", "t", "at"),),
        dialects=SERVER_DIALECTS,
    ),
    Case(
        "pg_enum_label_added",
        [
            "CREATE TYPE {p}status AS ENUM ('draft', 'live')",
            "CREATE TABLE {p}t (id {pk}, status {p}status)",
        ],
        lambda md, p, d: table(
            md, p + "t", col("status", sa.Enum("draft", "live", "archived", name=p + "status"))
        ),
        (("enum", "t", "status"),),
        dialects=PG,
    ),
    Case(
        "pg_enum_label_missing_in_models",
        [
            "CREATE TYPE {p}status AS ENUM ('draft', 'live', 'gone')",
            "CREATE TABLE {p}t (id {pk}, status {p}status)",
        ],
        lambda md, p, d: table(
            md, p + "t", col("status", sa.Enum("draft", "live", name=p + "status"))
        ),
        (("enum", "t", "status"),),
        dialects=PG,
    ),
    Case(
        "mysql_enum_values",
        ["CREATE TABLE {p}t (id {pk}, size ENUM('s', 'm'))"],
        lambda md, p, d: table(md, p + "t", col("size", sa.Enum("s", "m", "l"))),
        (("enum", "t", "size"),),
        dialects=MARIADB,
    ),
    Case(
        "mysql_unsigned",
        ["CREATE TABLE {p}t (id {pk}, hits INT UNSIGNED, big BIGINT UNSIGNED)"],
        lambda md, p, d: table(md, p + "t", col("hits"), col("big", sa.BigInteger)),
        (("type", "t", "hits"), ("type", "t", "big")),
        dialects=MARIADB,
    ),
    Case(
        "mediumtext_vs_text",
        ["CREATE TABLE {p}t (id {pk}, body MEDIUMTEXT)"],
        lambda md, p, d: table(md, p + "t", col("body", sa.Text)),
        (("type", "t", "body"),),
        dialects=MARIADB,
    ),
    Case(
        "double_vs_float",
        {
            "*": ["CREATE TABLE {p}t (id {pk}, ratio DOUBLE)"],
            "postgresql": ["CREATE TABLE {p}t (id {pk}, ratio REAL)"],
        },
        lambda md, p, d: table(md, p + "t", col("ratio", sa.Float)),
        (("type", "t", "ratio"),),
    ),
    Case(
        "json_vs_jsonb",
        ["CREATE TABLE {p}t (id {pk}, doc JSONB)"],
        lambda md, p, d: table(md, p + "t", col("doc", sa.JSON)),
        (("type", "t", "doc"),),
        dialects=PG,
    ),
    Case(
        "timestamp_vs_datetime",
        ["CREATE TABLE {p}t (id {pk}, at TIMESTAMP NULL)"],
        lambda md, p, d: table(md, p + "t", col("at", sa.DateTime)),
        (("type", "t", "at"),),
        dialects=MARIADB,
    ),
    Case(
        "column_comment_differs",
        {
            "postgresql": [
                "CREATE TABLE {p}t (id {pk}, x INTEGER)",
                "COMMENT ON COLUMN {p}t.x IS 'old words'",
            ],
            "mariadb": ["CREATE TABLE {p}t (id {pk}, x INTEGER COMMENT 'old words')"],
        },
        lambda md, p, d: table(md, p + "t", col("x", comment="new words")),
        (("comment", "t", "x"),),
        dialects=SERVER_DIALECTS,
        rebuild=False,  # snapshots leave comments out
    ),
    Case(
        "table_comment_differs",
        {
            "postgresql": [
                "CREATE TABLE {p}t (id {pk})",
                "COMMENT ON TABLE {p}t IS 'old words'",
                "CREATE TABLE {p}u (id {pk})",
            ],
            "mariadb": [
                "CREATE TABLE {p}t (id {pk}) COMMENT 'old words'",
                "CREATE TABLE {p}u (id {pk})",
            ],
        },
        lambda md, p, d: (
            table(md, p + "t", comment="new words"),
            table(md, p + "u", comment="new words"),
        ),
        (("comment", "t", ""), ("comment", "u", "")),
        dialects=SERVER_DIALECTS,
        rebuild=False,  # snapshots leave comments out
    ),
    Case(
        "identity_always_vs_integer",
        ["CREATE TABLE {p}t (id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY)"],
        lambda md, p, d: table(md, p + "t"),
        (("autoincrement", "t", "id"),),
        dialects=PG,
    ),
    Case(
        "model_identity_always_vs_serial",
        ["CREATE TABLE {p}t (id {pk})"],
        lambda md, p, d: sa.Table(
            p + "t", md, col("id", sa.Integer, sa.Identity(always=True), primary_key=True)
        ),
        (("autoincrement", "t", "id"),),
        dialects=PG,
    ),
    Case(
        "key_not_generated_in_database",
        ["CREATE TABLE {p}t (id INTEGER PRIMARY KEY)"],
        lambda md, p, d: table(md, p + "t"),
        (("autoincrement", "t", "id"),),
        dialects=SERVER_DIALECTS,
    ),
    Case(
        "key_generated_only_in_database",
        ["CREATE TABLE {p}t (id {pk})"],
        lambda md, p, d: sa.Table(p + "t", md, col("id", primary_key=True, autoincrement=False)),
        (("autoincrement", "t", "id"),),
        dialects=SERVER_DIALECTS,
    ),
    Case(
        "fk_renamed",
        [
            *PARENTS,
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER,"
            " CONSTRAINT {p}fk_old FOREIGN KEY (parent_id) REFERENCES {p}parent (id))",
        ],
        lambda md, p, d: parent_child(
            md, p, col("parent_id", sa.ForeignKey(p + "parent.id", name=p + "fk_new"))
        ),
        (("foreign_key_name", "child", "fk_new"),),
    ),
    Case(
        "pg_enum_type_renamed",
        [
            "CREATE TYPE {p}mood AS ENUM ('sad', 'ok')",
            "CREATE TABLE {p}t (id {pk}, mood {p}mood)",
        ],
        lambda md, p, d: table(md, p + "t", col("mood", sa.Enum("sad", "ok", name=p + "feeling"))),
        (("type", "t", "mood"),),
        dialects=PG,
    ),
    Case(
        "mariadb_bit_default_only_in_database",
        ["CREATE TABLE {p}t (id {pk}, flag BIT(1) DEFAULT b'1')"],
        lambda md, p, d: table(md, p + "t", col("flag", mysql.BIT(1))),
        (("server_default", "t", "flag"),),
        dialects=MARIADB,
    ),
    Case(
        "mariadb_bit_vs_boolean",
        ["CREATE TABLE {p}t (id {pk}, flag BIT(1))"],
        lambda md, p, d: table(md, p + "t", col("flag", sa.Boolean)),
        (("type", "t", "flag"),),
        dialects=MARIADB,
    ),
    Case(
        "mariadb_on_update_missing_in_models",
        [
            "CREATE TABLE {p}t (id {pk}, changed TIMESTAMP NOT NULL"
            " DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)"
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("changed", mysql.TIMESTAMP, nullable=False, server_default=sa.func.now()),
        ),
        (("server_default", "t", "changed"),),
        dialects=MARIADB,
    ),
    # --- a key the models repeat on the same columns, missing from the database ---------
    # Alembic takes the unique index for the unique constraint (and on PostgreSQL and SQLite
    # a CREATE TABLE keeps one of two alike constraints, but not of a constraint and an index).
    Case(
        "unique_constraint_dropped_beside_a_unique_index",
        UNIQUE_INDEX_ONLY,
        _unique_twice,
        (("unique", "t", "(code)"),),
        dialects=NOT_MARIADB,
    ),
    Case(  # MariaDB's catalog names the constraint's own unique key after its column
        "unique_constraint_dropped_beside_a_unique_index_mariadb",
        UNIQUE_INDEX_ONLY,
        _unique_twice,
        (("unique_definition", "t", "code"),),
        dialects=MARIADB,
    ),
    # Alembic sees the missing index; only the catalog sees the other one's lost WHERE: both
    # are reported, one not taken for the other.
    Case(
        "index_missing_beside_a_partial_index_made_plain",
        [
            "CREATE TABLE {p}t (id {pk}, qty INTEGER, name VARCHAR(20))",
            "CREATE INDEX {p}ix ON {p}t (qty)",
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("qty"),
            col("name", sa.String(20)),
            sa.Index(
                p + "ix",
                "qty",
                postgresql_where=sa.text("qty > 0"),
                sqlite_where=sa.text("qty > 0"),
            ),
            sa.Index(p + "ix_name", "name"),
        ),
        (("index", "t", "ix_name"), ("index_definition", "t", "ix")),
        dialects=NOT_MARIADB,
    ),
    # --- what only the server's catalog shows: the models make a plain object -------------
    Case(
        "partial_index",
        [
            "CREATE TABLE {p}t (id {pk}, qty INTEGER)",
            "CREATE INDEX {p}ix ON {p}t (qty) WHERE qty > 0",
        ],
        lambda md, p, d: table(md, p + "t", col("qty"), sa.Index(p + "ix", "qty")),
        (("index_definition", "t", "ix"),),
        dialects=NOT_MARIADB,
    ),
    Case(
        "descending_index_column",
        ["CREATE TABLE {p}t (id {pk}, qty INTEGER)", "CREATE INDEX {p}ix ON {p}t (qty DESC)"],
        lambda md, p, d: table(md, p + "t", col("qty"), sa.Index(p + "ix", "qty")),
        (("index_definition", "t", "ix"),),
    ),
    Case(
        "hash_index",
        ["CREATE TABLE {p}t (id {pk}, qty INTEGER)", "CREATE INDEX {p}ix ON {p}t USING hash (qty)"],
        lambda md, p, d: table(md, p + "t", col("qty"), sa.Index(p + "ix", "qty")),
        (("index_definition", "t", "ix"),),
        dialects=PG,
    ),
    Case(
        "index_include_columns",
        [
            "CREATE TABLE {p}t (id {pk}, qty INTEGER, name VARCHAR(20))",
            "CREATE INDEX {p}ix ON {p}t (qty) INCLUDE (name)",
        ],
        lambda md, p, d: table(
            md, p + "t", col("qty"), col("name", sa.String(20)), sa.Index(p + "ix", "qty")
        ),
        (("index_definition", "t", "ix"),),
        dialects=PG,
    ),
    Case(
        "index_operator_class",
        [
            "CREATE TABLE {p}t (id {pk}, name VARCHAR(20))",
            "CREATE INDEX {p}ix ON {p}t (name varchar_pattern_ops)",
        ],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20)), sa.Index(p + "ix", "name")),
        (("index_definition", "t", "ix"),),
        dialects=PG,
    ),
    Case(
        "deferrable_foreign_key",
        [
            *PARENTS,
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER, CONSTRAINT {p}fk FOREIGN KEY"
            " (parent_id) REFERENCES {p}parent (id) DEFERRABLE INITIALLY DEFERRED)",
        ],
        lambda md, p, d: parent_child(
            md,
            p,
            col("parent_id"),
            sa.ForeignKeyConstraint(["parent_id"], [p + "parent.id"], name=p + "fk"),
        ),
        (("foreign_key_definition", "child", "fk"),),
        dialects=PG,
    ),
    Case(
        "unique_nulls_not_distinct",
        [
            "CREATE TABLE {p}t (id {pk}, code INTEGER,"
            " CONSTRAINT {p}uq UNIQUE NULLS NOT DISTINCT (code))"
        ],
        lambda md, p, d: table(
            md, p + "t", col("code"), sa.UniqueConstraint("code", name=p + "uq")
        ),
        (("unique_definition", "t", "uq"),),
        dialects=PG,
    ),
    Case(
        "index_prefix_length",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR(50))", "CREATE INDEX {p}ix ON {p}t (name(10))"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(50)), sa.Index(p + "ix", "name")),
        (("index_definition", "t", "ix"),),
        dialects=MARIADB,
    ),
    Case(
        "sequence_options",
        [
            "CREATE SEQUENCE {p}t_id_seq INCREMENT 10",
            "CREATE TABLE {p}t (id INTEGER NOT NULL, n INTEGER, PRIMARY KEY (id))",
        ],
        lambda md, p, d: sa.Table(
            p + "t",
            md,
            sa.Column("id", sa.Integer, sa.Sequence(p + "t_id_seq"), primary_key=True),
            sa.Column("n", sa.Integer),
        ),
        (("sequence", "t_id_seq", ""),),
        dialects=PG,
    ),
    Case(
        "sequence_missing",
        ["CREATE TABLE {p}t (id INTEGER NOT NULL, n INTEGER, PRIMARY KEY (id))"],
        lambda md, p, d: sa.Table(
            p + "t",
            md,
            sa.Column("id", sa.Integer, sa.Sequence(p + "t_id_seq"), primary_key=True),
            sa.Column("n", sa.Integer),
        ),
        (("sequence", "t_id_seq", ""),),
        dialects=PG,
        rebuild=False,
    ),
    Case(
        "column_collation",
        ["CREATE TABLE {p}t (id {pk}, name VARCHAR(20) COLLATE NOCASE)"],
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20))),
        (("column_definition", "t", "name"),),
        dialects=SQLITE,
    ),
    Case(
        "column_collation_in_the_type",
        {
            "postgresql": ['CREATE TABLE {p}t (id {pk}, name VARCHAR(20) COLLATE "C")'],
            "mariadb": ["CREATE TABLE {p}t (id {pk}, name VARCHAR(20) COLLATE utf8mb4_bin)"],
        },
        lambda md, p, d: table(md, p + "t", col("name", sa.String(20))),
        (("type", "t", "name"),),
        dialects=SERVER_DIALECTS,
    ),
]


# --- benign: nothing may be reported ------------------------------------------------------------


def _boolean_defaults(md: sa.MetaData, p: str, d: str) -> None:
    table(
        md,
        p + "t",
        col("disabled", sa.Boolean, server_default=sa.false(), nullable=False),
        col("enabled", sa.Boolean, server_default=sa.true(), nullable=False),
        col("plain", sa.Boolean),
    )


def _timestamps(md: sa.MetaData, p: str, d: str) -> None:
    table(
        md,
        p + "t",
        col("a", sa.DateTime, server_default=sa.func.now()),
        col("b", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
        col("c", sa.DateTime, server_default=sa.func.current_timestamp()),
    )


def _literal_defaults(md: sa.MetaData, p: str, d: str) -> None:
    table(
        md,
        p + "t",
        col("a", server_default=sa.text("0")),
        col("b", server_default="0"),
        col("c", sa.String(5), server_default="x"),
        col("d", sa.Numeric(5, 2), server_default=sa.text("1.50")),
    )


def _type_constraints(md: sa.MetaData, p: str, d: str) -> None:
    table(
        md,
        p + "t",
        col("flag", sa.Boolean(create_constraint=True)),
        col("state", sa.Enum("a", "b", native_enum=False, create_constraint=True, length=5)),
    )


def _named_like_the_database(md: sa.MetaData, p: str, d: str) -> None:
    table(md, p + "parent")
    table(
        md,
        p + "child",
        col("email", sa.String(100), unique=True),
        col("parent_id", sa.ForeignKey(p + "parent.id")),
        col("qty", sa.Integer, sa.CheckConstraint("qty >= 0")),
    )


def _conventions(md: sa.MetaData, p: str, d: str) -> None:
    md.naming_convention = {
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
    table(md, p + "parent")
    table(
        md,
        p + "child",
        col("email", sa.String(100), unique=True),
        col("code", sa.String(10), index=True),
        col("parent_id", sa.ForeignKey(p + "parent.id")),
        col("qty"),
        sa.CheckConstraint("qty >= 0", name="qty_pos"),
    )


def _check_spellings(md: sa.MetaData, p: str, d: str) -> None:
    table(
        md,
        p + "t",
        col("qty"),
        col("name", sa.String(20)),
        col("kind", sa.String(5)),
        sa.CheckConstraint("qty BETWEEN 0 AND 10", name=p + "qty_range"),
        sa.CheckConstraint("name LIKE 'a%'", name=p + "name_a"),
        sa.CheckConstraint("kind IN ('x', 'y')", name=p + "kind_xy"),
        sa.CheckConstraint("qty <> 5", name=p + "not_five"),
    )


def _fk_default_actions(md: sa.MetaData, p: str, d: str) -> None:
    parent_child(
        md,
        p,
        col("a", sa.ForeignKey(p + "parent.id")),
        col("b", sa.ForeignKey(p + "other.id")),
        col("c", sa.ForeignKey(p + "parent.id", ondelete="SET NULL")),
    )


BENIGN = [
    Case(
        "boolean_defaults",
        [
            "CREATE TABLE {p}t (id {pk}, disabled {bool} NOT NULL DEFAULT {false},"
            " enabled {bool} NOT NULL DEFAULT {true}, plain {bool})"
        ],
        _boolean_defaults,
        dialects=NOT_MARIADB,
    ),
    Case(
        "mariadb_tinyint_booleans",
        [
            "CREATE TABLE {p}t (id {pk}, disabled TINYINT(1) NOT NULL DEFAULT 0,"
            " enabled TINYINT(1) NOT NULL DEFAULT 1, plain TINYINT(1))"
        ],
        _boolean_defaults,
        dialects=MARIADB,
    ),
    Case(
        "timestamp_default_spellings",
        {
            "sqlite": [
                "CREATE TABLE {p}t (id {pk}, a DATETIME DEFAULT CURRENT_TIMESTAMP,"
                " b DATETIME DEFAULT (datetime('now')), c DATETIME DEFAULT (CURRENT_TIMESTAMP))"
            ],
            "postgresql": [
                "CREATE TABLE {p}t (id {pk}, a TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
                " b TIMESTAMP DEFAULT now(), c TIMESTAMP DEFAULT now())"
            ],
            "mariadb": [
                "CREATE TABLE {p}t (id {pk}, a DATETIME DEFAULT current_timestamp(),"
                " b DATETIME DEFAULT NOW(), c DATETIME DEFAULT CURRENT_TIMESTAMP)"
            ],
        },
        _timestamps,
    ),
    Case(
        "quoted_literal_defaults",
        [
            "CREATE TABLE {p}t (id {pk}, a INTEGER DEFAULT '0', b INTEGER DEFAULT 0,"
            " c VARCHAR(5) DEFAULT 'x', d {decimal}(5, 2) DEFAULT '1.50')"
        ],
        _literal_defaults,
    ),
    Case(
        "pg_cast_defaults",
        [
            "CREATE TYPE {p}status AS ENUM ('draft', 'live')",
            "CREATE TABLE {p}t (id {pk}, code VARCHAR(5) DEFAULT 'x'::character varying,"
            " status {p}status DEFAULT 'draft'::{p}status, note TEXT DEFAULT ''::text)",
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("code", sa.String(5), server_default="x"),
            col("status", sa.Enum("draft", "live", name=p + "status"), server_default="draft"),
            col("note", sa.Text, server_default=""),
        ),
        dialects=PG,
    ),
    Case(
        "pg_identity_by_default_vs_integer",
        [
            "CREATE TABLE {p}t (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
            "CREATE TABLE {p}big (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
        ],
        lambda md, p, d: (
            table(md, p + "t"),
            sa.Table(p + "big", md, col("id", sa.BigInteger, primary_key=True)),
        ),
        dialects=PG,
    ),
    Case(
        "pg_serial_vs_integer_and_identity",
        [
            "CREATE TABLE {p}t (id SERIAL PRIMARY KEY)",
            "CREATE TABLE {p}big (id BIGSERIAL PRIMARY KEY)",
        ],
        lambda md, p, d: (
            table(md, p + "t"),
            sa.Table(p + "big", md, col("id", sa.BigInteger, sa.Identity(), primary_key=True)),
        ),
        dialects=PG,
    ),
    Case(
        "type_created_checks",
        {
            "*": [
                "CREATE TABLE {p}t (id {pk}, flag {bool} CHECK (flag IN (0, 1)),"
                " state VARCHAR(5) CHECK (state IN ('a', 'b')))"
            ],
            "postgresql": [
                "CREATE TABLE {p}t (id {pk}, flag BOOLEAN,"
                " state VARCHAR(5) CHECK (state IN ('a', 'b')))"
            ],
        },
        _type_constraints,
    ),
    Case(
        "comments_only_in_database",
        {
            "postgresql": [
                "CREATE TABLE {p}t (id {pk}, email VARCHAR(50))",
                "COMMENT ON COLUMN {p}t.email IS 'login email'",
                "COMMENT ON TABLE {p}t IS 'people'",
            ],
            "mariadb": [
                "CREATE TABLE {p}t (id {pk}, email VARCHAR(50) COMMENT 'login email')"
                " COMMENT 'people'"
            ],
        },
        lambda md, p, d: table(md, p + "t", col("email", sa.String(50))),
        dialects=SERVER_DIALECTS,
    ),
    Case(
        "sqlite_integer_primary_key",
        ["CREATE TABLE {p}t (id INTEGER PRIMARY KEY, n INTEGER)"],
        lambda md, p, d: table(md, p + "t", col("n")),
        dialects=SQLITE,
    ),
    Case(
        "unnamed_constraints_named_by_the_database",
        [
            "CREATE TABLE {p}parent (id {pk})",
            "CREATE TABLE {p}child (id {pk}, email VARCHAR(100) UNIQUE,"
            " parent_id INTEGER REFERENCES {p}parent (id), qty INTEGER CHECK (qty >= 0))",
        ],
        _named_like_the_database,
    ),
    Case(
        "table_level_unnamed_unique",
        ["CREATE TABLE {p}t (id {pk}, email VARCHAR(100), UNIQUE (email))"],
        lambda md, p, d: table(md, p + "t", col("email", sa.String(100), unique=True)),
    ),
    Case(
        "names_from_a_naming_convention",
        [
            "CREATE TABLE {p}parent (id INTEGER NOT NULL,"
            " CONSTRAINT pk_{p}parent PRIMARY KEY (id))",
            "CREATE TABLE {p}child (id INTEGER NOT NULL, email VARCHAR(100), code VARCHAR(10),"
            " parent_id INTEGER, qty INTEGER, CONSTRAINT pk_{p}child PRIMARY KEY (id),"
            " CONSTRAINT uq_{p}child_email UNIQUE (email),"
            " CONSTRAINT fk_{p}child_parent_id_{p}parent FOREIGN KEY (parent_id)"
            " REFERENCES {p}parent (id), CONSTRAINT ck_{p}child_qty_pos CHECK (qty >= 0))",
            "CREATE INDEX ix_{p}child_code ON {p}child (code)",
        ],
        _conventions,
        dialects=SQLITE,  # a plain INTEGER key is numbered by SQLite only (others: below)
    ),
    Case(
        "names_from_a_naming_convention_servers",
        [
            "CREATE TABLE {p}parent (id {pk})",
            "CREATE TABLE {p}child (id {pk}, email VARCHAR(100), code VARCHAR(10),"
            " parent_id INTEGER, qty INTEGER,"
            " CONSTRAINT uq_{p}child_email UNIQUE (email),"
            " CONSTRAINT fk_{p}child_parent_id_{p}parent FOREIGN KEY (parent_id)"
            " REFERENCES {p}parent (id), CONSTRAINT ck_{p}child_qty_pos CHECK (qty >= 0))",
            "CREATE INDEX ix_{p}child_code ON {p}child (code)",
        ],
        _conventions,
        dialects=SERVER_DIALECTS,
    ),
    Case(
        "foreign_keys_without_declared_indexes",  # MariaDB indexes them by itself
        [
            "CREATE TABLE {p}parent (id {pk})",
            "CREATE TABLE {p}other (id {pk})",
            "CREATE TABLE {p}child (id {pk}, parent_id INTEGER, other_id INTEGER,"
            " FOREIGN KEY (parent_id) REFERENCES {p}parent (id),"
            " CONSTRAINT {p}fk_other FOREIGN KEY (other_id) REFERENCES {p}other (id))",
        ],
        lambda md, p, d: parent_child(
            md,
            p,
            col("parent_id", sa.ForeignKey(p + "parent.id")),
            col("other_id", sa.ForeignKey(p + "other.id", name=p + "fk_other")),
        ),
    ),
    Case(
        "mariadb_unique_index_is_unique_constraint",
        [
            "CREATE TABLE {p}t (id {pk}, a INTEGER, b INTEGER, CONSTRAINT {p}uq_b UNIQUE (b))",
            "CREATE UNIQUE INDEX {p}uq_a ON {p}t (a)",
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("a"),
            col("b"),
            sa.UniqueConstraint("a", name=p + "uq_a"),
            sa.Index(p + "uq_b", "b", unique=True),
        ),
        dialects=MARIADB,
        rebuild=False,  # the rebuilt side reflects the same; kept for speed
    ),
    Case(
        "fk_default_actions_spelled_out",
        {
            "*": [
                *PARENTS,
                "CREATE TABLE {p}child (id {pk}, a INTEGER, b INTEGER, c INTEGER,"
                " FOREIGN KEY (a) REFERENCES {p}parent (id)"
                " ON DELETE NO ACTION ON UPDATE NO ACTION,"
                " FOREIGN KEY (b) REFERENCES {p}other (id) ON UPDATE NO ACTION,"
                " FOREIGN KEY (c) REFERENCES {p}parent (id) ON DELETE SET NULL)",
            ],
            "mariadb": [
                *PARENTS,
                "CREATE TABLE {p}child (id {pk}, a INTEGER, b INTEGER, c INTEGER,"
                " FOREIGN KEY (a) REFERENCES {p}parent (id) ON DELETE RESTRICT ON UPDATE RESTRICT,"
                " FOREIGN KEY (b) REFERENCES {p}other (id) ON UPDATE NO ACTION,"
                " FOREIGN KEY (c) REFERENCES {p}parent (id) ON DELETE SET NULL)",
            ],
        },
        _fk_default_actions,
    ),
    Case(
        "double_precision_types",
        ["CREATE TABLE {p}t (id {pk}, a {double}, b {double})"],
        lambda md, p, d: table(
            md,
            p + "t",
            col("a", sa.Double),
            col("b", sa.Float if d == "postgresql" else sa.Double),
        ),
    ),
    Case(
        "mariadb_display_widths_and_defaults",
        [
            "CREATE TABLE {p}t (id INT(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, a INT(11),"
            " b BIGINT(20), c DECIMAL, d SMALLINT(6), e BIGINT UNSIGNED)"
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("a"),
            col("b", sa.BigInteger),
            col("c", sa.Numeric()),
            col("d", sa.SmallInteger),
            col("e", mysql.BIGINT(unsigned=True)),
        ),
        dialects=MARIADB,
    ),
    Case(
        "mariadb_text_variant",
        ["CREATE TABLE {p}t (id {pk}, body MEDIUMTEXT)"],
        lambda md, p, d: table(
            md, p + "t", col("body", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql"))
        ),
        dialects=MARIADB,
    ),
    Case(
        "mariadb_json",
        ["CREATE TABLE {p}t (id {pk}, doc JSON)"],
        lambda md, p, d: table(md, p + "t", col("doc", sa.JSON)),
        dialects=MARIADB,
    ),
    Case(
        "check_spellings",
        [
            "CREATE TABLE {p}t (id {pk}, qty INTEGER, name VARCHAR(20), kind VARCHAR(5),"
            " CONSTRAINT {p}qty_range CHECK (qty BETWEEN 0 AND 10),"
            " CONSTRAINT {p}name_a CHECK (name LIKE 'a%'),"
            " CONSTRAINT {p}kind_xy CHECK (kind IN ('x', 'y')),"
            " CONSTRAINT {p}not_five CHECK (qty != 5))"
        ],
        _check_spellings,
    ),
    Case(
        "enums_with_the_same_labels",
        {
            "postgresql": [
                "CREATE TYPE {p}mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE TABLE {p}t (id {pk}, mood {p}mood NOT NULL DEFAULT 'ok')",
            ],
            "mariadb": [
                "CREATE TABLE {p}t (id {pk}, mood ENUM('sad', 'ok', 'happy') NOT NULL DEFAULT 'ok')"
            ],
        },
        lambda md, p, d: table(
            md,
            p + "t",
            col(
                "mood",
                sa.Enum("sad", "ok", "happy", name=p + "mood"),
                nullable=False,
                server_default="ok",
            ),
        ),
        dialects=SERVER_DIALECTS,
    ),
    Case(
        "unbounded_types_on_both_sides",
        {
            "sqlite": ["CREATE TABLE {p}t (id {pk}, name VARCHAR, amount NUMERIC, code CHAR)"],
            "postgresql": [
                "CREATE TABLE {p}t (id {pk}, name VARCHAR, amount NUMERIC, code CHAR(1))"
            ],
        },
        lambda md, p, d: table(
            md,
            p + "t",
            col("name", sa.String()),
            col("amount", sa.Numeric()),
            col("code", sa.CHAR()),
        ),
        dialects=NOT_MARIADB,
    ),
    Case(
        "pg_types",
        [
            "CREATE TABLE {p}t (id {pk}, a TIMESTAMPTZ, b TIMESTAMP(6), c JSONB, d UUID,"
            " e TEXT[], f NUMERIC(10))"
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("a", sa.DateTime(timezone=True)),
            col("b", sa.DateTime),
            col("c", pg.JSONB),
            col("d", sa.Uuid),
            col("e", pg.ARRAY(sa.Text)),
            col("f", sa.Numeric(10, 0)),
        ),
        dialects=PG,
    ),
    Case(
        "mariadb_bit_and_on_update_defaults",
        [
            "CREATE TABLE {p}t (id {pk}, yes BIT(1) DEFAULT b'1', no BIT(1) DEFAULT b'0',"
            " changed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)"
        ],
        lambda md, p, d: table(
            md,
            p + "t",
            col("yes", mysql.BIT(1), server_default=sa.text("b'1'")),
            col("no", mysql.BIT(1), server_default=sa.text("b'0'")),
            col(
                "changed",
                mysql.TIMESTAMP,
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
            ),
        ),
        dialects=MARIADB,
    ),
    # --- what the server stores alike: Alembic reports them, the server's build confirms none
    Case(
        "float_53_is_double",
        ["CREATE TABLE {p}t (id {pk}, x DOUBLE)"],
        lambda md, p, d: table(md, p + "t", col("x", sa.Float(53))),
        dialects=MARIADB,
    ),
    Case(
        "large_binary_sized_is_mediumblob",
        ["CREATE TABLE {p}t (id {pk}, x MEDIUMBLOB)"],
        lambda md, p, d: table(md, p + "t", col("x", sa.LargeBinary(65536))),
        dialects=MARIADB,
    ),
    Case(
        "type_with_its_own_compiles_rule",
        ["CREATE TABLE {p}t (id {pk}, at DATETIME(6))"],
        lambda md, p, d: table(md, p + "t", col("at", PreciseDateTime())),
        dialects=MARIADB,
    ),
    Case(
        "collation_alias",
        ["CREATE TABLE {p}t (id {pk}, code VARCHAR(20) COLLATE utf8mb3_bin)"],
        lambda md, p, d: table(md, p + "t", col("code", sa.String(20, collation="utf8_bin"))),
        dialects=MARIADB,
    ),
    Case(
        "identity_on_sqlite",
        ["CREATE TABLE {p}t (id INTEGER NOT NULL, PRIMARY KEY (id))"],
        lambda md, p, d: sa.Table(
            p + "t", md, sa.Column("id", sa.Integer, sa.Identity(), primary_key=True)
        ),
        dialects=SQLITE,
    ),
    Case(
        "descending_index_in_both",
        ["CREATE TABLE {p}t (id {pk}, qty INTEGER)", "CREATE INDEX {p}ix ON {p}t (qty DESC)"],
        lambda md, p, d: _desc_index(md, p),
    ),
    Case(
        "explicit_sequence_primary_key",
        [
            "CREATE SEQUENCE {p}t_id_seq",
            "CREATE TABLE {p}t (id INTEGER NOT NULL, n INTEGER, PRIMARY KEY (id))",
        ],
        lambda md, p, d: sa.Table(
            p + "t",
            md,
            sa.Column("id", sa.Integer, sa.Sequence(p + "t_id_seq"), primary_key=True),
            sa.Column("n", sa.Integer),
        ),
        dialects=PG,
    ),
]

CASES = [(c, d) for c in DRIFT + BENIGN for d in c.dialects]


# --- the databases: one live and one rebuilt per dialect, shared by the module ------------------


class Databases:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.engines: dict[tuple[str, str], sa.Engine] = {}
        self.made: list[tuple[str, str]] = []

    def engine(self, dialect: str, role: str) -> sa.Engine:
        require_server(dialect)
        key = (dialect, role)
        if key not in self.engines:
            self.engines[key] = sa.create_engine(self._create(dialect, role))
        return self.engines[key]

    def _create(self, dialect: str, role: str) -> str:
        if dialect == "sqlite":
            return f"sqlite:///{self.tmp / (role + '.db')}"
        name = TEST_DB_PREFIX + secrets.token_hex(5)
        self._admin(dialect, f"CREATE DATABASE {_quote(dialect, name)}")
        self.made.append((dialect, name))
        return make_url(SERVERS[dialect]).set(database=name).render_as_string(hide_password=False)

    def _admin(self, dialect: str, statement: str) -> None:
        admin = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(statement)
        finally:
            admin.dispose()

    def drop(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        for dialect, name in self.made:
            force = " WITH (FORCE)" if dialect == "postgresql" else ""
            self._admin(dialect, f"DROP DATABASE IF EXISTS {_quote(dialect, name)}{force}")


def _quote(dialect: str, name: str) -> str:
    return f'"{name}"' if dialect == "postgresql" else f"`{name}`"


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory.mktemp("drift"))
    yield made
    made.drop()


# --- the test -----------------------------------------------------------------------------------


def _prefix(case: Case) -> str:
    return "x" + str(CASE_NUMBERS[case.id]) + "_"


CASE_NUMBERS = {c.id: n for n, c in enumerate(DRIFT + BENIGN)}


@pytest.mark.parametrize(("case", "dialect"), CASES, ids=[f"{c.id}-{d}" for c, d in CASES])
def test_match_check(case: Case, dialect: str, databases: Databases) -> None:
    live = databases.engine(dialect, "live")
    prefix = _prefix(case)
    with live.begin() as conn:
        for statement in case.statements(dialect, prefix):
            conn.exec_driver_sql(statement)
    md = sa.MetaData()
    case.model(md, prefix, dialect)

    diffs, set_aside, unmanaged = check(live, md, prefix, databases.engine(dialect, "rebuilt"))

    for d in diffs:
        assert d.detail and d.fix, d
    for s in set_aside:
        assert s.reason, s
    if case.benign:
        assert diffs == [], "\n".join(map(str, diffs))
    else:
        expected = [(k, prefix + t, o) for k, t, o in case.expect]
        unexpected = [d for d in diffs if not any(_matches(d, e) for e in expected)]
        assert unexpected == [], "\n".join(map(str, diffs))
        missed = [e for e in expected if not any(_matches(d, e) for d in diffs)]
        assert missed == [], "\n".join(map(str, diffs))
    assert unmanaged == [prefix + t for t in case.unmanaged]

    if case.rebuild:
        _compare_with_rebuilt(case, dialect, md, prefix, databases)


def check(
    engine: sa.Engine, md: sa.MetaData, prefix: str, scratch: sa.Engine
) -> tuple[list[Difference], list[SetAside], list[str]]:
    """The core of `adopt check`, limited to this case's tables: Alembic's comparison, then
    the server's build of the models (in `scratch`, where each case's tables have their own
    names) where that is needed."""

    def only_this_case(name: str | None, type_: str, parents: Any) -> bool:
        return type_ != "table" or (name or "").startswith(prefix)

    with engine.connect() as conn:
        options = drift.comparison_options({"include_name": only_this_case})
        found = drift.classify(drift.raw_differences(conn, md, options), conn.dialect)
        live = schema.take(conn, only=list(md.tables))
    found = confirmation.reviewed(
        found,
        live,
        md,
        [k for k in md.tables if k in live.tables],
        lambda: nullcontext(scratch),
        scratch.dialect.name,
    )
    return (
        [f for f in found if isinstance(f, Difference)],
        [f for f in found if isinstance(f, SetAside)],
        sorted(f for f in found if isinstance(f, str)),
    )


def _matches(d: Difference, expected: Expected) -> bool:
    kind, table_name, obj = expected
    return d.kind == kind and d.table == table_name and obj in d.object


def _compare_with_rebuilt(
    case: Case, dialect: str, md: sa.MetaData, prefix: str, databases: Databases
) -> None:
    """The models created from scratch compare with the live tables as verification does."""
    rebuilt = databases.engine(dialect, "rebuilt")
    with rebuilt.begin() as conn:
        md.create_all(conn)
    names = list(md.tables)
    sequences = confirmation.declared_sequences(md.tables.values())
    with databases.engine(dialect, "live").connect() as conn:
        live_snapshot = schema.take(conn, only=names).only(names, sequences)
    with rebuilt.connect() as conn:
        rebuilt_snapshot = schema.take(conn, only=names).only(names, sequences)
    found = schema.compare(
        live_snapshot, rebuilt_snapshot, expected_label="live", actual_label="rebuilt"
    )
    found = [d for d in found if not d.kind.endswith("_generated_name")]
    if case.benign:
        assert found == [], "\n".join(map(str, found))
    elif not case.unmanaged and case.expect[0][0] != "missing_table":
        assert found, "the verification would not see this drift"


def test_the_matrix_is_wide_enough() -> None:
    kinds = {(c.id, e) for c in DRIFT for e in c.expect} | {
        (c.id, u) for c in DRIFT for u in c.unmanaged
    }
    assert len(kinds) >= 30
    assert len(BENIGN) >= 15


def test_project_filters_and_options_reach_the_own_comparisons(databases: Databases) -> None:
    """include_object and compare_type=False hold for what adopt compares itself, too."""
    live = databases.engine("sqlite", "live")
    with live.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE f_t (id INTEGER NOT NULL, k INTEGER, name VARCHAR)")
        conn.exec_driver_sql(
            "CREATE TABLE f_u (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty > 0))"
        )
    md = sa.MetaData()
    sa.Table(
        "f_t",
        md,
        col("id", primary_key=True),
        col("k", primary_key=True),
        col("name", sa.String(9)),
    )
    table(md, "f_u", col("qty"))

    def only_f(name: str | None, type_: str, parents: Any) -> bool:
        return type_ != "table" or (name or "").startswith("f_")

    def without_f_u(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        return not (type_ == "table" and name == "f_u")

    with live.connect() as conn:
        base = {"include_name": only_f}
        for options, kinds in (
            (base, {"primary_key", "nullable", "type", "check"}),
            ({**base, "include_object": without_f_u}, {"primary_key", "nullable", "type"}),
            ({**base, "compare_type": False}, {"primary_key", "nullable", "check"}),
        ):
            raw = drift.raw_differences(conn, md, drift.comparison_options(options))
            found = drift.classify(raw, conn.dialect)
            assert {f.kind for f in found if isinstance(f, Difference)} == kinds, found
