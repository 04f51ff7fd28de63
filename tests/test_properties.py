"""Property tests: hypothesis generates model sets (tables, columns of many types,
nullability, server and Python defaults, indexes, uniques, foreign keys, composite keys, names
that need quoting); for each, on every dialect, the live database is created from the models
and filled with a few rows, then adopted through the core API. The check must find no
difference, the baseline must verify, the database must end at head with its rows unchanged,
and no scratch database may be left behind.

Each example is a generated models module (plain SQLAlchemy, `metadata = sa.MetaData()`) in a
temporary project folder, and a database of its own: the function-scoped `make_database`
fixture does not fit hypothesis's per-example runs, so databases are made and dropped here.

A bug the property finds, while it is open, is kept out of it by a predicate in KNOWN_BUGS
(naming the bug); once fixed, its minimal case joins FOUND_CASES, a test of its own. The
examples are fixed
(derandomize) for CI; ADOPT_PROPERTY_EXAMPLES=300 ADOPT_PROPERTY_SEED=random explores more."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from helpers import SERVERS
from helpers import TEST_DB_PREFIX
from helpers import admin_execute
from helpers import require_server
from helpers import row_checksums
from helpers import scratch_leftovers
from helpers import version_rows
from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import given
from hypothesis import note
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url

from adopt import pipeline
from adopt.build import scratch as scratch_mod
from adopt.compare.differences import MatchReport
from adopt.errors import DriftError

DIALECTS = ["sqlite", "postgresql", "mariadb"]
MAX_NAME_BYTES = 63  # PostgreSQL's limit (MariaDB's is 64 characters)
MAX_ROWS = 3

# --- the model description --------------------------------------------------------------------


@dataclass(frozen=True)
class ColType:
    """A column type: its source, a value for row i, server defaults that suit it (source)."""

    kind: str
    source: str
    value: Callable[[int], Any]
    server_defaults: tuple[str, ...] = ()
    indexable: bool = True  # may be in an index, a unique or a primary key
    pk: bool = True  # may be a primary-key column


@dataclass
class ColSpec:
    name: str
    type: ColType
    nullable: bool = True
    primary_key: bool = False
    server_default: str | None = None
    default: str | None = None  # a Python-side default: no trace in the schema
    unique: bool = False  # Column(unique=True)
    index: bool = False  # Column(index=True)


@dataclass
class FkSpec:
    columns: list[str]
    target: int  # index of the referred table (its own index for a self reference)
    target_columns: list[str]
    ondelete: str | None
    onupdate: str | None
    name: str | None


@dataclass
class TableSpec:
    name: str
    columns: list[ColSpec] = field(default_factory=list)
    pk_order: list[str] | None = None  # a PrimaryKeyConstraint in this order, else inline
    indexes: list[tuple[str, list[str], bool]] = field(default_factory=list)
    uniques: list[tuple[str | None, list[str]]] = field(default_factory=list)
    fks: list[FkSpec] = field(default_factory=list)
    checks: list[tuple[str | None, str]] = field(default_factory=list)  # (name, column)

    @property
    def pk(self) -> list[str]:
        return self.pk_order or [c.name for c in self.columns if c.primary_key]

    def col(self, name: str) -> ColSpec:
        return next(c for c in self.columns if c.name == name)


@dataclass(repr=False)
class ModelSpec:
    tables: list[TableSpec]
    convention: bool  # a naming_convention on the MetaData (the Flask-SQLAlchemy advice)
    enums: list[tuple[str, tuple[str, ...], bool]]  # (type name, labels, native)

    def __repr__(self) -> str:  # a failing example is shown as its models module (a note)
        return f"<{len(self.tables)} table(s): the models module is printed below>"


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# --- names ------------------------------------------------------------------------------------

AWKWARD = [
    "order",
    "select",
    "user",
    "group",
    "from",
    "table",
    "index",
    "key",
    "Mixed",
    "CamelCase",
    "UPPER",
    "with space",
    'say "hi"',
    "it's",
    "café",
    "naïve_ñ",
    "Ünïcödé",
    "x-y",
    "a$b",
    "_under",
    "1st",
]
plain_names = st.from_regex(r"[a-z][a-z0-9]{0,9}(_[a-z0-9]{1,6})?", fullmatch=True)
long_names = st.integers(min_value=40, max_value=MAX_NAME_BYTES).map(
    lambda n: ("long_" + "abcdefghij" * 7)[:n]
)
names = st.one_of(plain_names, plain_names, st.sampled_from(AWKWARD), long_names)


RESERVED = set().union(
    *(d.dialect().identifier_preparer.reserved_words for d in (sqlite, postgresql, mysql))
)


def bare(name: str) -> bool:
    """A name no dialect quotes (so raw SQL may use it as it is)."""
    return re.fullmatch(r"[a-z_][a-z0-9_]*", name) is not None and name not in RESERVED


def fit(name: str, suffix: str = "", limit: int = MAX_NAME_BYTES) -> str:
    """name + suffix within `limit` bytes."""
    while len((name + suffix).encode()) > limit:
        name = name[:-1]
    return name + suffix


def unique_name(wanted: str, used: set[str], limit: int = MAX_NAME_BYTES) -> str:
    """`wanted`, or wanted_2, wanted_3..., unused case-insensitively (MariaDB, SQLite)."""
    candidate, n = fit(wanted, limit=limit), 1
    while candidate.lower() in used:
        n += 1
        candidate = fit(wanted, f"_{n}", limit)
    used.add(candidate.lower())
    return candidate


# --- types ------------------------------------------------------------------------------------


def _ts(i: int) -> dt.datetime:
    return dt.datetime(2021, 3, 4, 5, 6, 7 + i)


@st.composite
def col_types(draw: st.DrawFn, dialect: str, enums: list[Any]) -> ColType:
    kind = draw(
        st.sampled_from(
            [
                "integer",
                "biginteger",
                "smallinteger",
                "string",
                "unicode",
                "text",
                "boolean",
                "numeric",
                "float",
                "date",
                "datetime",
                "datetime_tz",
                "time",
                "largebinary",
                "uuid",
                "enum",
                "json",
                "interval",
            ]
        )
    )
    if kind == "integer":
        return ColType(kind, "sa.Integer()", lambda i: i + 1, ("sa.text('0')", "'7'"))
    if kind == "biginteger":
        return ColType(kind, "sa.BigInteger()", lambda i: 10**12 + i, ("sa.text('-1')",))
    if kind == "smallinteger":
        return ColType(kind, "sa.SmallInteger()", lambda i: i + 1, ("sa.text('1')",))
    if kind in ("string", "unicode"):
        n = draw(st.sampled_from([1, 2, 20, 80, 255]))
        cls = "String" if kind == "string" else "Unicode"

        def text_value(i: int, n: int = n) -> str:
            return (f"é{i}" if n > 1 else str(i))[:n]

        defaults = ("'x'", "sa.text(\"'y'\")") if n < 5 else ("'abc'", '"it\'s"', "''")
        return ColType(kind, f"sa.{cls}({n})", text_value, defaults)
    if kind == "text":
        # MariaDB cannot index TEXT without a prefix length.
        return ColType(
            kind, "sa.Text()", lambda i: f"text é {i}", ("'note'",), indexable=dialect != "mariadb"
        )
    if kind == "boolean":
        # Two values only: never in a unique or a key (rows would collide).
        return ColType(
            kind, "sa.Boolean()", lambda i: i % 2 == 0, ("sa.true()", "sa.false()"), False, False
        )
    if kind == "numeric":
        p, s = draw(st.sampled_from([(10, 2), (5, 0), (12, 4), (18, 6)]))

        def num(i: int, s: int = s) -> Decimal:
            return Decimal(i) + (Decimal("0.5") if s else 0)

        return ColType(kind, f"sa.Numeric({p}, {s})", num, ("'0'", "sa.text('1')"))
    if kind == "float":
        return ColType(kind, "sa.Float()", lambda i: i + 0.5, ("sa.text('0.5')",), pk=False)
    if kind == "date":
        return ColType(
            kind,
            "sa.Date()",
            lambda i: dt.date(2020, 1, 1 + i),
            ("'2020-01-01'", "sa.text('CURRENT_DATE')"),
        )
    if kind in ("datetime", "datetime_tz"):
        tz = kind == "datetime_tz"
        return ColType(
            kind,
            "sa.DateTime(timezone=True)" if tz else "sa.DateTime()",
            (lambda i: _ts(i).replace(tzinfo=dt.UTC)) if tz else _ts,
            ("sa.func.now()", "sa.text('CURRENT_TIMESTAMP')"),
            pk=False,
        )
    if kind == "time":
        return ColType(
            kind,
            "sa.Time()",
            lambda i: dt.time(12, 0, i),
            ("'12:00:00'", "sa.text('CURRENT_TIME')"),
            pk=False,
        )
    if kind == "largebinary":
        return ColType(
            kind, "sa.LargeBinary()", lambda i: bytes([i, 0, 255]), indexable=False, pk=False
        )
    if kind == "uuid":
        return ColType(kind, "sa.Uuid()", lambda i: uuid.UUID(int=i + 1))
    if kind == "enum":
        labels = draw(
            st.sampled_from([("red", "green", "blue"), ("a", "b", "c", "d"), ("new", "done", "x")])
        )
        native = draw(st.booleans())
        type_name = f"enum_{len(enums)}"
        enums.append((type_name, labels, native))
        options = f"name={type_name!r}, native_enum={native}"
        checked = not native and draw(st.booleans())
        if checked:
            options += ", create_constraint=True"
        return ColType(
            kind,
            f"sa.Enum({', '.join(map(repr, labels))}, {options})",
            lambda i, labels=labels: labels[i % len(labels)],
            (repr(labels[0]),),
            # Its CHECK is named after the type: a foreign key copying a key column of this
            # type would put a second CHECK of that name on one table.
            pk=not checked,
        )
    if kind == "json":
        # PostgreSQL's json has no equality operator: not indexable anywhere.
        return ColType(kind, "sa.JSON()", lambda i: {"k": i, "é": [1, None]}, (), False, False)
    assert kind == "interval"
    return ColType(kind, "sa.Interval()", lambda i: dt.timedelta(hours=i, seconds=1), (), pk=False)


# --- the strategy -----------------------------------------------------------------------------

ONDELETE = [None, None, "CASCADE", "SET NULL", "RESTRICT", "NO ACTION"]
ONUPDATE = [None, None, None, "CASCADE"]


@st.composite
def model_specs(draw: st.DrawFn, dialect: str) -> ModelSpec:
    used: set[str] = set()  # tables, index, constraint and type names: one namespace in PG
    enums: list[Any] = []
    tables: list[TableSpec] = []
    convention = draw(st.booleans())
    for k in range(draw(st.integers(min_value=1, max_value=6))):
        # MariaDB names foreign keys <table>_ibfk_<n>, within its 64 characters.
        table = TableSpec(unique_name(draw(names), used, 55 if dialect == "mariadb" else 63))
        cols: set[str] = set()

        def add(spec: ColSpec, cols: set[str] = cols, table: TableSpec = table) -> ColSpec:
            spec.name = unique_name(spec.name, cols)
            table.columns.append(spec)
            return spec

        # The primary key: a surrogate id, a natural key, a composite key, or a foreign key.
        pk_kind = draw(st.sampled_from(["id", "id", "bigid", "natural", "composite", "fk"]))
        if pk_kind == "fk" and not tables:
            pk_kind = "composite"
        # The legacy idiom primary_key=True, unique=True: now and then.
        if pk_kind in ("id", "bigid"):
            big = pk_kind == "bigid"
            kind = ColType(
                "biginteger" if big else "integer",
                "sa.BigInteger()" if big else "sa.Integer()",
                lambda i: i + 1,
            )
            add(ColSpec("id", kind, False, True, unique=draw(st.integers(0, 7)) == 0))
        elif pk_kind in ("natural", "composite"):
            for _ in range(1 if pk_kind == "natural" else draw(st.integers(2, 3))):
                kind = draw(col_types(dialect, enums).filter(lambda t: t.pk and t.indexable))
                add(ColSpec(draw(names), kind, False, True))
        else:
            target = draw(st.integers(0, len(tables) - 1))
            ref = tables[target]
            local = [add(ColSpec(f"{ref.name}_{c}", ref.col(c).type, False, True)) for c in ref.pk]
            table.fks.append(
                FkSpec(
                    [c.name for c in local],
                    target,
                    list(ref.pk),
                    draw(st.sampled_from([None, "CASCADE"])),
                    None,
                    None,
                )
            )
        if len(table.pk) > 1 and draw(st.booleans()):
            order = list(table.pk)
            table.pk_order = draw(st.permutations(order))

        # Other columns.
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(col_types(dialect, enums))
            spec = add(ColSpec(draw(names), kind, draw(st.booleans())))
            if kind.server_defaults and draw(st.booleans()):
                spec.server_default = draw(st.sampled_from(kind.server_defaults))
            if draw(st.integers(0, 4)) == 0:
                spec.default = repr(kind.value(7)) if kind.kind in ("integer", "string") else None
            if kind.indexable:
                spec.unique = draw(st.integers(0, 5)) == 0
                spec.index = draw(st.integers(0, 4)) == 0
            # Checks name their column in raw SQL: only names no dialect needs to quote.
            if kind.kind == "integer" and bare(spec.name) and draw(st.integers(0, 4)) == 0:
                named = convention or draw(st.booleans())  # the convention needs a name
                table.checks.append((f"{spec.name}_positive" if named else None, spec.name))

        # Foreign keys to earlier tables (or this one) whose key the new columns copy.
        for _ in range(draw(st.integers(0, 2))):
            target = draw(st.integers(0, len(tables)))
            ref = tables[target] if target < len(tables) else table
            nullable = draw(st.booleans())
            ondelete = draw(st.sampled_from(ONDELETE))
            if ondelete == "SET NULL" and not nullable:
                ondelete = "CASCADE"
            local = [add(ColSpec(f"{ref.name}_{c}", ref.col(c).type, nullable)) for c in ref.pk]
            named = draw(st.booleans())
            table.fks.append(
                FkSpec(
                    [c.name for c in local],
                    target,
                    list(ref.pk),
                    ondelete,
                    draw(st.sampled_from(ONUPDATE)),
                    unique_name(f"fk_{k}_{len(table.fks)}", used) if named else None,
                )
            )

        # Indexes and unique constraints over indexable columns.
        indexable = [c.name for c in table.columns if c.type.indexable]
        if indexable:
            some = st.lists(st.sampled_from(indexable), min_size=1, max_size=3, unique=True)
            for _ in range(draw(st.integers(0, 2))):
                suffix = draw(st.sampled_from(["", "", " é", ' "q"', "_Mixed"]))
                name = unique_name(f"idx_{k}_{len(table.indexes)}{suffix}", used)
                table.indexes.append((name, draw(some), draw(st.booleans())))
            for _ in range(draw(st.integers(0, 1))):
                cols = draw(some)
                # The convention would give it the name of an identical unique: refused.
                twin = convention and any(cols == c for _n, c in _unique_constraints(table))
                named = twin or draw(st.booleans())
                name = unique_name(f"uq_{k}_{len(table.uniques)}", used) if named else None
                table.uniques.append((name, cols))
        tables.append(table)
    for type_name, _labels, _native in enums:
        used.add(type_name)  # enum_N: no other generated name starts so
    return ModelSpec(tables, convention, enums)


# --- rendering: the models module and the rows ---------------------------------------------------


def render(spec: ModelSpec) -> str:
    """The models module: `import sqlalchemy as sa` and Table definitions, nothing else."""
    lines = ["import sqlalchemy as sa", ""]
    if spec.convention:
        lines.append(f"metadata = sa.MetaData(naming_convention={NAMING_CONVENTION!r})")
    else:
        lines.append("metadata = sa.MetaData()")
    for k, table in enumerate(spec.tables):
        lines += ["", f"t{k} = sa.Table(", f"    {table.name!r},", "    metadata,"]
        for c in table.columns:
            args = [repr(c.name), c.type.source]
            if c.primary_key and not table.pk_order:
                args.append("primary_key=True")
            if not c.nullable and not (c.primary_key and not table.pk_order):
                args.append("nullable=False")
            if c.server_default is not None:
                args.append(f"server_default={c.server_default}")
            if c.default is not None:
                args.append(f"default={c.default}")
            if c.unique:
                args.append("unique=True")
            if c.index:
                args.append("index=True")
            lines.append(f"    sa.Column({', '.join(args)}),")
        if table.pk_order:
            lines.append(f"    sa.PrimaryKeyConstraint({', '.join(map(repr, table.pk_order))}),")
        for fk in table.fks:
            if fk.target == k:
                refs = ", ".join(repr(f"{table.name}.{c}") for c in fk.target_columns)
            else:
                refs = ", ".join(f"t{fk.target}.c[{c!r}]" for c in fk.target_columns)
            args = [f"[{', '.join(map(repr, fk.columns))}]", f"[{refs}]"]
            args += [f"{key}={value!r}" for key, value in _fk_options(fk)]
            lines.append(f"    sa.ForeignKeyConstraint({', '.join(args)}),")
        for name, cols, unique in table.indexes:
            extra = ", unique=True" if unique else ""
            lines.append(f"    sa.Index({name!r}, {', '.join(map(repr, cols))}{extra}),")
        for uq_name, cols in table.uniques:
            extra = f", name={uq_name!r}" if uq_name else ""
            lines.append(f"    sa.UniqueConstraint({', '.join(map(repr, cols))}{extra}),")
        for ck_name, column in table.checks:
            extra = f", name={ck_name!r}" if ck_name else ""
            lines.append(f"    sa.CheckConstraint({column + ' >= 0'!r}{extra}),")
        lines.append(")")
    return "\n".join(lines) + "\n"


def _fk_options(fk: FkSpec) -> list[tuple[str, str]]:
    found = [("ondelete", fk.ondelete), ("onupdate", fk.onupdate), ("name", fk.name)]
    return [(key, value) for key, value in found if value is not None]


def fill(url: str, metadata: sa.MetaData, spec: ModelSpec, rows: int) -> None:
    """`rows` rows in every table: row i of a table refers to row i of the tables it points at
    (a column's value depends only on its type and i)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for table_spec in spec.tables:
                table = metadata.tables[table_spec.name]
                values = [
                    {c.name: c.type.value(i) for c in table_spec.columns} for i in range(rows)
                ]
                if values:
                    conn.execute(table.insert(), values)
    finally:
        engine.dispose()


# --- databases and projects, one per example -----------------------------------------------------


@contextlib.contextmanager
def new_database(dialect: str, folder: Path) -> Iterator[str]:
    """A new, empty, uniquely named database; dropped afterwards."""
    if dialect == "sqlite":
        yield f"sqlite:///{folder / 'live.db'}"
        return
    name = TEST_DB_PREFIX + "prop_" + secrets.token_hex(4)
    quoted = f'"{name}"' if dialect == "postgresql" else f"`{name}`"
    admin_execute(dialect, f"CREATE DATABASE {quoted}")
    try:
        yield make_url(SERVERS[dialect]).set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if dialect == "postgresql" else ""
        admin_execute(dialect, f"DROP DATABASE IF EXISTS {quoted}{force}")


@contextlib.contextmanager
def project(source: str) -> Iterator[tuple[Path, str]]:
    """A temporary project folder holding the models module, as the working directory; the
    module and the folder are forgotten afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="adopt_prop_"))
    module = "propmodels_" + secrets.token_hex(4)
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    path = list(sys.path)
    try:
        sys.path.insert(0, str(folder))
        importlib.invalidate_caches()
        with contextlib.chdir(folder):
            yield folder, module
    finally:
        sys.modules.pop(module, None)
        sys.path[:] = path
        shutil.rmtree(folder, ignore_errors=True)


def explain(items: Any) -> str:
    return json.dumps([i.as_dict() for i in items], indent=1, default=str, ensure_ascii=False)


# --- the property --------------------------------------------------------------------------------


def adopt_and_check(
    dialect: str,
    source: str,
    fill_live: Callable[[str, sa.MetaData], None] | None = None,
) -> None:
    """Create the live database from the models module `source` (and fill it), adopt it
    through the core API, and check every outcome."""
    with warnings.catch_warnings():
        # SQLAlchemy's SQLite reflection cannot parse a FOREIGN KEY clause whose names hold a
        # double quote or a `$`; it warns, and keeps the key from PRAGMA foreign_key_list.
        warnings.filterwarnings("ignore", ".*SQL-parsed foreign key constraint", sa.exc.SAWarning)
        _adopt_and_check(dialect, source, fill_live)


def _adopt_and_check(
    dialect: str,
    source: str,
    fill_live: Callable[[str, sa.MetaData], None] | None,
) -> None:
    with project(source) as (folder, module), new_database(dialect, folder) as url:
        metadata = importlib.import_module(module).metadata
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            metadata.create_all(engine)
        finally:
            engine.dispose()
        if fill_live is not None:
            fill_live(url, metadata)
        sys.modules.pop(module)  # adopt imports the models itself, as a fresh program would
        before = row_checksums(url)
        assert len(before) == len(metadata.tables)

        with scratch_names() as scratches:
            found = pipeline.locate(models=f"{module}:metadata", url=url)
            # As `adopt run` does it: the check runs beside the rebuild of the scratch database.
            try:
                adoption = pipeline.baseline(found)
            except DriftError as exc:
                failed = exc.report
                if isinstance(failed, MatchReport):
                    pytest.fail(f"check: {explain(failed.differences)} {failed.unmanaged}")
                pytest.fail(
                    f"{exc}\nagainst the live database: {explain(failed.against_live)}"
                    f"\nagainst the models: {explain(failed.against_models)}"
                )
            assert not adoption.report.differences and not adoption.report.unmanaged
            verification = adoption.verification
            assert verification.passed
            assert verification.tables == len(metadata.tables)
            [result] = pipeline.stamp_targets(
                found, reference=pipeline.head_reference(adoption), audit_choice="none"
            )
            if result.outcome != "stamped":
                pytest.fail(
                    f"stamp: {result.outcome}: {result.reason} {explain(result.differences)}"
                )
        assert version_rows(url) == [adoption.baseline.revision]
        assert row_checksums(url) == before
        assert (dialect == "sqlite") != bool(scratches)
        leftovers = set(scratch_leftovers(url)) & set(scratches)
        assert not leftovers, f"scratch databases left behind: {sorted(leftovers)}"


@contextlib.contextmanager
def scratch_names() -> Iterator[list[str]]:
    """The names of the scratch databases adopt creates meanwhile (others' test sessions on
    the same server make theirs: only these are ours to look for afterwards)."""
    made: list[str] = []
    original = scratch_mod.scratch_name

    def spy(*args: Any, **kwargs: Any) -> str:
        name = original(*args, **kwargs)
        made.append(name)
        return name

    with mock.patch.object(scratch_mod, "scratch_name", spy):
        yield made


# --- known bugs, kept out of the property and pinned by the tests below --------------------------


def _unique_constraints(table: TableSpec) -> list[tuple[str | None, list[str]]]:
    """In creation order: Column(unique=True) first, then the table's UniqueConstraints."""
    return [*((None, [c.name]) for c in table.columns if c.unique), *table.uniques]


KNOWN_BUGS: dict[str, list[Callable[[ModelSpec], bool]]] = {
    "sqlite": [],
    "postgresql": [],
    "mariadb": [],
}

# --- the property --------------------------------------------------------------------------------

# Examples per dialect, within about a minute in all (a server example takes 2-3 s: two
# databases created, one dropped, besides the live one). ADOPT_PROPERTY_EXAMPLES=300
# ADOPT_PROPERTY_SEED=random explores further than CI does.
EXAMPLES = {"sqlite": 20, "postgresql": 12, "mariadb": 8}
if os.environ.get("ADOPT_PROPERTY_EXAMPLES"):
    EXAMPLES = dict.fromkeys(EXAMPLES, int(os.environ["ADOPT_PROPERTY_EXAMPLES"]))
RANDOM = os.environ.get("ADOPT_PROPERTY_SEED") == "random"

SETTINGS = settings(
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generated_models_adopt_cleanly(dialect: str) -> None:
    require_server(dialect)

    @settings(SETTINGS, max_examples=EXAMPLES[dialect])
    @given(model_specs(dialect), st.integers(0, MAX_ROWS))
    def run(spec: ModelSpec, rows: int) -> None:
        assume(not any(known(spec) for known in KNOWN_BUGS.get(dialect, [])))
        source = render(spec)
        note(source)
        fill_live = functools.partial(fill, spec=spec, rows=rows)
        adopt_and_check(dialect, source, fill_live)

    run()


# --- the minimal cases of the known bugs ---------------------------------------------------------

HEADER = "import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"
SAY_HI = "'say \"hi\"'"
# Cases the property once found, kept as tests of their own.
FOUND_CASES = {
    # PostgreSQL: Alembic looked the serial's sequence up as "it''s_id_seq" (the quote of the
    # nextval() literal left doubled) and the check failed with "relation does not exist".
    "postgresql-quote-in-serial-table-name": (
        "postgresql",
        "t = sa.Table(\"it's\", metadata, sa.Column('id', sa.Integer(), primary_key=True))\n",
    ),
    "postgresql-quote-in-serial-column-name": (
        "postgresql",
        "t = sa.Table('t', metadata, sa.Column(\"it's\", sa.Integer(), primary_key=True))\n",
    ),
}


@pytest.mark.parametrize("case", sorted(FOUND_CASES))
def test_cases_the_property_found_adopt_cleanly(case: str) -> None:
    dialect, source = FOUND_CASES[case]
    require_server(dialect)
    adopt_and_check(dialect, HEADER + source)


# SQLAlchemy reads SQLite's foreign-key actions and unique constraints by parsing CREATE TABLE
# with regular expressions that give up on a name holding a double quote or a `$`: alone,
# Alembic's comparison then reports a lost ON DELETE or a misnamed unique. The server's own
# build of the models, read the same way, has the same reading: nothing to report.
SQLITE_PARSER_CASES = {
    "sqlite-fk-ondelete-lost": (
        "a = sa.Table('a', metadata, sa.Column('id', sa.Integer(), primary_key=True))\n"
        f"b = sa.Table('b', metadata, sa.Column('id', sa.Integer(), primary_key=True),\n"
        f"    sa.Column({SAY_HI}, sa.Integer()),\n"
        f"    sa.ForeignKeyConstraint([{SAY_HI}], [a.c.id], ondelete='CASCADE'))\n"
    ),
    "sqlite-fk-ondelete-lost-dollar": (
        "a = sa.Table('a$b', metadata, sa.Column('id', sa.Integer(), primary_key=True))\n"
        "b = sa.Table('b', metadata, sa.Column('id', sa.Integer(), primary_key=True),\n"
        "    sa.Column('p', sa.Integer(), sa.ForeignKey(a.c.id, ondelete='CASCADE')))\n"
    ),
    "sqlite-unique-name-unescaped": (
        "t = sa.Table('t', metadata, sa.Column('id', sa.Integer(), primary_key=True),\n"
        "    sa.Column('b', sa.Integer()), sa.UniqueConstraint('b', name='u\"q'))\n"
    ),
}


@pytest.mark.parametrize("case", sorted(SQLITE_PARSER_CASES))
def test_names_sqlites_parser_misreads_adopt_cleanly(case: str) -> None:
    adopt_and_check("sqlite", HEADER + SQLITE_PARSER_CASES[case])


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_serial_sequence_names_cut_and_numbered_by_the_server(dialect: str) -> None:
    """Found by the property: serial columns whose sequence names pass 63 bytes. The server
    shortens <table>_<column>_seq, and numbers the second of two that come out the same
    (..._seq1); the rebuilt database may number them the other way round. Both are the
    column's own sequence: no difference, and verification passes."""
    require_server(dialect)
    prefix = "a_table_name_long_enough_to_be_cut_by_the_server_at_63_bytes_"
    key = "sa.Column('id', sa.Integer(), primary_key=True)"
    adopt_and_check(
        dialect,
        HEADER
        + f"one = sa.Table('{prefix}z', metadata, {key})\n"
        + f"two = sa.Table('{prefix}y', metadata, {key},\n"
        + "    sa.Column('one_id', sa.Integer(), sa.ForeignKey(one.c.id)))\n"
        + f"three = sa.Table('{prefix}x', metadata, {key})\n"
        + "four = sa.Table('x' * 30 + 'é' * 16, metadata,\n"
        + "    sa.Column('id' + 'é' * 3, sa.BigInteger(), primary_key=True))\n",
    )


def test_quoted_string_default_is_compared(make_database: Callable[[str], str]) -> None:
    """A plain string default holding a quote is compared by adopt (Alembic's PostgreSQL
    comparison breaks on it): the same default matches, another one is reported."""
    from adopt import pipeline

    url = make_database("postgresql")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id SERIAL PRIMARY KEY, s VARCHAR(20) DEFAULT 'it''s', "
            "u VARCHAR(20) DEFAULT 'its')"
        )
    engine.dispose()
    metadata = sa.MetaData()
    sa.Table(
        "t",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("s", sa.String(20), server_default="it's"),
        sa.Column("u", sa.String(20), server_default="it's"),
    )
    project = pipeline.Project(
        pipeline.Models(metadata, "test models"), pipeline.LiveTarget(sa.make_url(url), "test")
    )
    report = pipeline.check(project).report
    assert [(d.table, d.object, d.kind) for d in report.differences] == [
        ("t", "u", "server_default")
    ]
