"""A comparable snapshot of a database schema, taken with SQLAlchemy's bulk reflection.

Two databases on the same dialect (the live one and one rebuilt from the baseline) are compared
through their snapshots: types compiled by the dialect, defaults as the server reports them,
keys, indexes, uniques and foreign keys compared by their columns, names compared apart."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from sqlalchemy import Table
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from adopt.compare.differences import Difference
from adopt.reading import catalog
from adopt.reading.connect import READ_ONLY

VERSION_TABLE = "alembic_version"

Cols = tuple[str, ...]


@dataclass(frozen=True)
class ColumnShape:
    name: str
    type: str
    nullable: bool
    default: str | None
    identity: bool  # the server numbers new rows: identity, serial or AUTO_INCREMENT
    always: bool = False  # GENERATED ALWAYS AS IDENTITY: explicit values are refused


@dataclass(frozen=True)
class TableShape:
    name: str
    columns: tuple[ColumnShape, ...]
    primary_key: Cols
    indexes: dict[tuple[Cols, bool], str | None]  # (columns, unique) -> name
    uniques: dict[Cols, str | None]
    foreign_keys: dict[tuple[Cols, str, Cols, str, str], str | None]
    checks: dict[str, str | None]  # normalised SQL text -> name
    # What the comparison with the models also looks at and `compare` does not (comments,
    # generated columns, expression indexes, foreign-key timing): compared only by
    # `same_details`, which tells the verification whether that comparison can be spared.
    details: tuple[Any, ...] = field(default=(), compare=False)
    # What the server's catalog says beyond the reflection (adopt.reading.catalog), names taken out.
    definitions: tuple[catalog.Definition, ...] = ()

    def column(self, name: str) -> ColumnShape | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, TableShape]
    sequences: dict[str, str] = field(default_factory=dict)  # PostgreSQL: see catalog.sequences

    def only(self, keep: Iterable[str], sequences: Iterable[str] | None = None) -> Snapshot:
        """The same snapshot with only the tables `keep` names, and the sequences `sequences`
        names (all of them by default)."""
        wanted = set(keep)
        seqs = self.sequences
        if sequences is not None:
            named = set(sequences)
            seqs = {k: v for k, v in seqs.items() if k in named}
        return Snapshot({k: v for k, v in self.tables.items() if k in wanted}, seqs)

    @property
    def names(self) -> list[str]:
        return sorted(self.tables)


_SHARED = "adopt.inspector"


def inspector(conn: Connection) -> Any:
    """An Inspector for `conn`. In a read-only session, which cannot change the schema, every
    call within one transaction gets the same one, and what one pass reflected (Alembic's
    comparison aside) the next reuses: the match check reflects the live tables once for its
    own comparisons and its snapshot, not twice (see _multi)."""
    transaction = conn.get_transaction()
    if transaction is None or not conn.info.get(READ_ONLY):
        return inspect(conn)
    held = conn.info.get(_SHARED)
    if held is not None and held[0] is transaction:
        return held[1]
    insp: Any = inspect(conn)
    insp.info_cache[_SHARED] = True
    conn.info[_SHARED] = (transaction, insp)
    return insp


def is_shared(insp: Any) -> bool:
    """Whether `insp` is a read-only transaction's shared inspector (see `inspector`)."""
    return bool(insp.info_cache.get(_SHARED))


def _multi(insp: Any, kind: str, schema: str | None, names: list[str]) -> dict[Any, Any]:
    """insp.get_multi_<kind> for the tables `names`. A shared inspector (see `inspector`) reads
    every table of the schema in one pass and keeps it for the next; names it lacks are
    absent, as with filter_names. NotImplementedError: {} (the dialect has no such thing)."""
    if not is_shared(insp):
        try:
            return dict(getattr(insp, "get_multi_" + kind)(schema=schema, filter_names=names))
        except NotImplementedError:
            return {}
    everything = reflected(insp, kind, schema)
    if everything is NotImplementedError:
        return {}
    return {
        (schema, name): everything[(schema, name)] for name in names if (schema, name) in everything
    }


def reflected_schemas(insp: Any) -> set[str | None]:
    """The schemas whose tables a shared inspector has read (their columns, at least)."""
    return {key[2] for key in insp.info_cache if key[:2] == (_SHARED, "columns")}


def reflected(insp: Any, kind: str, schema: str | None) -> Any:
    """A shared inspector's one bulk read of `kind` for every table of `schema`, keyed
    (schema, table) as get_multi_<kind> keys it; NotImplementedError (the class) where the
    dialect has no such thing. Readers must not change what it holds: it is read again."""
    key = (_SHARED, kind, schema)
    if key not in insp.info_cache:
        try:
            insp.info_cache[key] = dict(getattr(insp, "get_multi_" + kind)(schema=schema))
        except NotImplementedError:
            insp.info_cache[key] = NotImplementedError
    return insp.info_cache[key]


def table_names(conn: Connection, schema: str | None = None) -> list[str]:
    return sorted(inspector(conn).get_table_names(schema=schema))


def take_all(conn: Connection, schemas: Iterable[str] = ()) -> Snapshot:
    """The default schema, plus each named schema with its tables as "schema.table"."""
    default = take(conn)
    tables, sequences = dict(default.tables), dict(default.sequences)
    for name in sorted(set(schemas)):
        taken = take(conn, schema=name)
        for table, shape in taken.tables.items():
            tables[f"{name}.{table}"] = replace(shape, name=f"{name}.{table}")
        sequences.update({f"{name}.{seq}": text for seq, text in taken.sequences.items()})
    return Snapshot(tables, sequences)


def take(
    conn: Connection, schema: str | None = None, only: Iterable[str] | None = None
) -> Snapshot:
    """Reflect every table (or those in `only`) in one pass of bulk queries."""
    insp = inspector(conn)
    names = [n for n in insp.get_table_names(schema=schema) if n != VERSION_TABLE]
    if only is not None:
        wanted = set(only)
        names = [n for n in names if n in wanted]
    sequences = catalog.sequences(conn, schema)
    if not names:
        return Snapshot({}, sequences)
    columns = _multi(insp, "columns", schema, names)
    pks = _multi(insp, "pk_constraint", schema, names)
    indexes = _multi(insp, "indexes", schema, names)
    uniques = _multi(insp, "unique_constraints", schema, names)
    fks = _multi(insp, "foreign_keys", schema, names)
    checks = live_checks(conn, names, schema)
    dialect = conn.dialect
    comments = (
        _multi(insp, "table_comment", schema, names)
        if getattr(dialect, "supports_comments", False)
        else {}
    )
    definitions = catalog.read(conn, names, schema)
    inline = inline_uniques(conn, schema, uniques, pks) if dialect.name == "sqlite" else {}
    tables = {}
    for name in names:
        key = (schema, name)
        primary_key = _pk_columns(pks.get(key))
        table_uniques = {_cols(u["column_names"]): u.get("name") for u in uniques.get(key, [])}
        for cols in inline.get(name, []):
            table_uniques.setdefault(cols, None)
        table_columns = columns.get(key, [])
        bits = bit_defaults(conn, name, schema, table_columns)
        if bits:  # copies: the shared reflection is read again (by Alembic's comparison)
            table_columns = [
                dict(c, default=bits[c["name"]]) if c["name"] in bits else c for c in table_columns
            ]
        tables[name] = TableShape(
            name=name,
            columns=tuple(_column(name, c, dialect, primary_key) for c in table_columns),
            primary_key=primary_key,
            indexes={
                (_cols(ix["column_names"]), bool(ix.get("unique"))): ix.get("name")
                for ix in indexes.get(key, [])
                if None not in ix["column_names"]
            },
            uniques=table_uniques,
            foreign_keys={_fk_key(fk): fk.get("name") for fk in fks.get(key, [])},
            checks={normalise_check(c["sqltext"]): c.get("name") for c in checks.get(name, [])},
            details=_details(
                table_columns, indexes.get(key, []), fks.get(key, []), comments.get(key)
            ),
            definitions=definitions.get(name, ()),
        )
    return Snapshot(tables, sequences)


def _details(
    columns: list[Any], indexes: list[Any], fks: list[Any], comment: Any
) -> tuple[Any, ...]:
    """A table's details beyond its shape, in a comparable form (see TableShape.details)."""
    generated = sorted(
        (c["name"], _sql(c["computed"].get("sqltext", "")), c["computed"].get("persisted"))
        for c in columns
        if c.get("computed")
    )
    expression_indexes = sorted(
        (tuple(_sql(e) for e in ix.get("expressions") or ()), bool(ix.get("unique")), ix["name"])
        for ix in indexes
        if None in ix["column_names"]
    )
    timing = sorted(
        (
            _fk_key(fk),
            bool((fk.get("options") or {}).get("deferrable")),
            str((fk.get("options") or {}).get("initially") or "").upper(),
        )
        for fk in fks
    )
    return (
        (comment or {}).get("text"),
        tuple(sorted((c["name"], c.get("comment")) for c in columns if c.get("comment"))),
        tuple(generated),
        tuple(expression_indexes),
        tuple(timing),
    )


def same_details(expected: Snapshot, actual: Snapshot) -> bool:
    """Whether the tables both snapshots hold agree on their details too (see
    TableShape.details); tables in one only are `compare`'s business."""
    return all(
        shape.details == actual.tables[name].details
        for name, shape in expected.tables.items()
        if name in actual.tables
    )


@dataclass
class LiveTable:
    """What the match check needs of a live table beyond Alembic's reflection."""

    model: Table  # the model table it is compared with
    columns: dict[str, dict[str, Any]]  # reflected, by name
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    unnamed_uniques: list[Cols]  # SQLite: the uniques without a name, inline ones included
    inline_uniques: list[Cols]  # SQLite: `col TEXT UNIQUE`, which SQLAlchemy does not reflect
    enums: dict[str, list[str]]  # PostgreSQL: enum type name -> labels, from pg_enum
    bit_defaults: dict[str, str | None]  # MySQL: BIT columns' defaults, not reflected either


def reflect(conn: Connection, tables: list[Table], schema: str | None) -> list[LiveTable]:
    """The live side of `tables` (model tables that exist in `schema`), in bulk queries."""
    if not tables:
        return []
    insp = inspector(conn)
    names = [t.name for t in tables]
    columns = _multi(insp, "columns", schema, names)
    pks = _multi(insp, "pk_constraint", schema, names)
    fks = _multi(insp, "foreign_keys", schema, names)
    checks = live_checks(conn, names, schema)
    enums = _pg_enums(insp, schema) if conn.dialect.name == "postgresql" else {}
    sqlite = conn.dialect.name == "sqlite"
    uniques = _multi(insp, "unique_constraints", schema, names) if sqlite else {}
    inline_by_table = inline_uniques(conn, schema, uniques, pks) if sqlite else {}
    found = []
    for table in tables:
        key = (schema, table.name)
        pk = list((pks.get(key) or {}).get("constrained_columns") or [])
        inline = inline_by_table.get(table.name, [])
        unnamed = [_cols(u["column_names"]) for u in uniques.get(key, []) if not u.get("name")]
        found.append(
            LiveTable(
                model=table,
                columns={c["name"]: dict(c) for c in columns.get(key, [])},
                primary_key=pk,
                foreign_keys=list(fks.get(key, [])),
                checks=checks.get(table.name, []),
                unnamed_uniques=unnamed + inline,
                inline_uniques=inline,
                enums=enums,
                bit_defaults=bit_defaults(conn, table.name, schema, columns.get(key, [])),
            )
        )
    return found


def _pg_enums(insp: Any, schema: str | None) -> dict[str, list[str]]:
    return {e["name"]: list(e["labels"]) for e in insp.get_enums(schema=schema)}


def live_checks(
    conn: Connection, names: Iterable[str], schema: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """CHECK constraints per table name. MariaDB's reflection misses column-level checks (and
    the json_valid() check of JSON columns), so there they are read from information_schema."""
    wanted = list(names)
    if not wanted:
        return {}
    if conn.dialect.name == "mysql" and getattr(conn.dialect, "is_mariadb", False):
        rows = conn.exec_driver_sql(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE"
            " FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = "
            + ("%s" if schema else "DATABASE()"),
            (schema,) if schema else (),
        )
        found: dict[str, list[dict[str, Any]]] = {}
        for table, name, clause in rows:
            if table in wanted:
                found.setdefault(table, []).append({"name": name, "sqltext": clause})
        return found
    multi = _multi(inspector(conn), "check_constraints", schema, wanted)
    return {key[1]: list(value) for key, value in multi.items()}


def bit_defaults(
    conn: Connection, table: str, schema: str | None, columns: list[Any]
) -> dict[str, str | None]:
    """MySQL/MariaDB: the defaults of BIT columns (DEFAULT b'1'), which SQLAlchemy does not
    reflect, read from information_schema."""
    bits = [c["name"] for c in columns if type(c["type"]).__name__ == "BIT"]
    if conn.dialect.name != "mysql" or not bits:
        return {}
    rows = conn.exec_driver_sql(
        "SELECT COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        + ("%s" if schema else "DATABASE()")
        + " AND TABLE_NAME = %s",
        (schema, table) if schema else (table,),
    )
    found = {name: default for name, default in rows if name in bits}
    return {name: None if found.get(name) in (None, "NULL") else found[name] for name in bits}


def inline_uniques(
    conn: Connection, schema: str | None, uniques: dict[Any, Any], pks: dict[Any, Any]
) -> dict[str, list[Cols]]:
    """SQLite: per table, the columns of UNIQUE constraints written inline on a column (`email
    TEXT UNIQUE`). SQLAlchemy does not reflect them; SQLite keeps them as unnamed
    sqlite_autoindex_* indexes, as it does for the table-level ones that are reflected
    (`uniques`) and for a primary key (`pks`), both as get_multi_<kind> keys them."""
    found: dict[str, list[Cols]] = {}
    for table, cols in _automatic_unique_indexes(conn, schema):
        reflected = {_cols(u["column_names"]) for u in uniques.get((schema, table), [])}
        if cols != _pk_columns(pks.get((schema, table))) and cols not in reflected:
            found.setdefault(table, []).append(cols)
    return found


def _automatic_unique_indexes(conn: Connection, schema: str | None) -> list[tuple[str, Cols]]:
    """SQLite: every unique sqlite_autoindex_* index, (table, columns), in one query through
    the pragmas' table-valued forms (SQLite 3.16 and later), instead of an index_list and an
    index_info per table; the inspector's per-table reads where those forms are missing. A
    shared inspector (see `inspector`) keeps the answer for the check's next reader."""
    insp = inspector(conn)
    key = (_SHARED, "automatic_unique_indexes", schema)
    if is_shared(insp) and key in insp.info_cache:
        return list(insp.info_cache[key])
    found = _read_automatic_unique_indexes(conn, schema)
    if is_shared(insp):
        insp.info_cache[key] = found
    return found


def _read_automatic_unique_indexes(conn: Connection, schema: str | None) -> list[tuple[str, Cols]]:
    where = "main" if schema is None else schema
    quoted = '"' + where.replace('"', '""') + '"'
    try:
        rows = conn.exec_driver_sql(
            "SELECT m.name, il.name, ii.name FROM " + quoted + ".sqlite_master AS m"
            " JOIN pragma_index_list(m.name, ?) AS il JOIN pragma_index_info(il.name, ?) AS ii"
            " WHERE m.type = 'table' AND il.\"unique\" AND il.name LIKE 'sqlite\\_autoindex\\_%'"
            " ESCAPE '\\' ORDER BY m.name, il.name, ii.seqno",
            (where, where),
        ).fetchall()
    except DBAPIError:
        return _automatic_unique_indexes_per_table(conn, schema)
    grouped: dict[tuple[str, str], list[str | None]] = {}
    for table, index, column in rows:
        grouped.setdefault((table, index), []).append(column)
    return [(table, _cols(columns)) for (table, _index), columns in grouped.items()]


def _automatic_unique_indexes_per_table(
    conn: Connection, schema: str | None
) -> list[tuple[str, Cols]]:
    insp = inspector(conn)
    return [
        (table, _cols(ix["column_names"]))
        for table in insp.get_table_names(schema=schema)
        for ix in insp.get_indexes(table, schema=schema, include_auto_indexes=True)
        if ix["name"].startswith("sqlite_autoindex_") and ix.get("unique")
    ]


def _pk_columns(pk: Any) -> Cols:
    return tuple((pk or {}).get("constrained_columns") or ())


def _cols(names: Iterable[str | None]) -> Cols:
    return tuple(n for n in names if n is not None)


def _fk_key(fk: Any) -> tuple[Cols, str, Cols, str, str]:
    options = fk.get("options") or {}
    return (
        _cols(fk["constrained_columns"]),
        fk["referred_table"],
        _cols(fk["referred_columns"]),
        (options.get("ondelete") or "NO ACTION").upper(),
        (options.get("onupdate") or "NO ACTION").upper(),
    )


def _column(table: str, col: Any, dialect: Dialect, primary_key: Cols) -> ColumnShape:
    try:
        type_text = str(col["type"].compile(dialect=dialect))
    except Exception:
        type_text = repr(col["type"])
    if dialect.name == "postgresql":
        # 6 fractional digits is PostgreSQL's default precision: TIMESTAMP(6) is TIMESTAMP.
        type_text = re.sub(r"^(TIMESTAMP|TIME)\(6\)", r"\1", type_text)
    # SQLite's INTEGER PRIMARY KEY is the rowid: reported nullable, it never holds NULL.
    rowid = dialect.name == "sqlite" and primary_key == (col["name"],) and type_text == "INTEGER"
    labels = getattr(col["type"], "enums", None)
    if labels and "(" not in type_text:
        # A PostgreSQL ENUM compiles to its bare name: keep its labels in the comparison.
        type_text += "(" + ", ".join(repr(label) for label in labels) + ")"
    default = col.get("default")
    serial = default is not None and is_owned_serial(table, col["name"], default)
    return ColumnShape(
        name=col["name"],
        type=type_text,
        nullable=bool(col["nullable"]) and not rowid,
        default=_sql(default) if default is not None and not serial else None,
        identity=serial or bool(col.get("identity")) or _auto_increment(col, dialect),
        always=bool((col.get("identity") or {}).get("always")),
    )


def _auto_increment(col: Any, dialect: Dialect) -> bool:
    # MySQL/MariaDB report AUTO_INCREMENT as autoincrement=True; PostgreSQL does so for
    # serial and identity columns too (handled above); SQLite reports nothing.
    return dialect.name == "mysql" and col.get("autoincrement") is True


def is_owned_serial(table: str, column: str, default: str) -> bool:
    """PostgreSQL serial: nextval() of the sequence the column owns, named as the server names
    it: <table>_<column>_seq, the two names shortened to fit 63 bytes, and 'seq1', 'seq2'...
    when that name is taken (by another long name cut the same way). Which number a column
    gets follows the order the tables were created in, so the live and the rebuilt database
    may differ there. It generates ids exactly as GENERATED BY DEFAULT AS IDENTITY does."""
    match = re.fullmatch(
        r"nextval\('(?:[\w\"]+\.)?\"?([^'\"]+)\"?'(?:::regclass)?\)", default.strip()
    )
    numbered = re.fullmatch(r".*_seq(\d*)", match.group(1)) if match else None
    if match is None or numbered is None:
        return False
    return match.group(1) == _object_name(table, column, "seq" + numbered.group(1))


def _object_name(name1: str, name2: str, label: str) -> str:
    """PostgreSQL's makeObjectName: shorten the longer of the two names, byte by byte, until
    name1_name2_label fits in 63 bytes, never cutting a character in two."""
    first, second = name1.encode(), name2.encode()
    room = 63 - len(label.encode()) - 2
    keep1, keep2 = len(first), len(second)
    while keep1 + keep2 > room:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    cut1 = first[:keep1].decode(errors="ignore")
    cut2 = second[:keep2].decode(errors="ignore")
    return f"{cut1}_{cut2}_{label}"


def _sql(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


# --- comparable forms of SQL text --------------------------------------------------------------

_NOW = {
    "now()",
    "current_timestamp",
    "current_timestamp()",
    "localtimestamp",
    "localtimestamp()",
    "datetime('now')",
    "transaction_timestamp()",
}
_TRUE = {"true", "1", "b'1'", "'1'", "'t'", "'true'"}
_FALSE = {"false", "0", "b'0'", "'0'", "'f'", "'false'"}
# A PostgreSQL cast: ::name, ::schema.name, ::character varying(10), ::timestamp with time zone[]
_CAST = re.compile(
    r"::(?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))?(?:\s+(?:varying|precision))?"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s+with(?:out)?\s+time\s+zone)?(?:\[\])*"
)


def normalise_default(text: str, boolean: bool = True) -> str:
    """One spelling per meaning: parentheses, casts, quotes and keyword case removed. With
    `boolean`, the spellings of true and false (1, '1', b'1', true, 't') are one value too:
    only right for a boolean column, where DEFAULT 't' and DEFAULT 1 mean the same."""
    t = _unwrap(text.strip().lower())
    t = _CAST.sub("", t).strip()
    t = _unwrap(t)
    t = re.sub(r"^(current_timestamp|now|localtimestamp)\((\d*)\)$", _timestamp_call, t)
    if t in _NOW:
        return "current_timestamp"
    if boolean and t in _TRUE:
        return "1"
    if boolean and t in _FALSE:
        return "0"
    if len(t) >= 2 and t[0] == t[-1] == "'":
        t = t[1:-1]
    return t


def _timestamp_call(match: re.Match[str]) -> str:
    # now(), now(0), current_timestamp(0): the statement's time in whole seconds, or finer.
    digits = match.group(2)
    return "current_timestamp" if digits in ("", "0") else f"current_timestamp({digits})"


def _unwrap(t: str) -> str:
    while t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
        t = t[1:-1].strip()
    return t


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def is_boolean_type(type_text: str) -> bool:
    t = type_text.strip().upper()
    return t in ("BOOLEAN", "BOOL", "TINYINT(1)", "BIT(1)", "BIT")


def normalise_check(text: str) -> str:
    """A CHECK constraint's condition in one spelling: the server's rewriting (PostgreSQL's
    `= ANY (ARRAY[...])` for IN, its casts, `~~` for LIKE, MariaDB's backquotes) undone, then
    case, quotes around names, parentheses and spaces dropped. Conditions that differ only in
    grouping compare equal; no real schema tells two checks apart by that alone."""
    t = str(text).strip().lower()
    t = re.sub(r"^check\s*", "", t)
    t = t.replace("`", "").replace('"', "")
    t = _CAST.sub("", t)
    t = re.sub(r"=\s*any\s*\(+\s*array\s*\[(.*?)\]\s*\)+", r" in (\1)", t)
    t = re.sub(r"<>\s*all\s*\(+\s*array\s*\[(.*?)\]\s*\)+", r" not in (\1)", t)
    t = t.replace("!=", "<>").replace("!~~*", " not ilike ").replace("~~*", " ilike ")
    t = t.replace("!~~", " not like ").replace("~~", " like ")
    t = re.sub(r"([\w.]+)\s+between\s+(\S+)\s+and\s+(\S+)", r"\1 >= \2 and \1 <= \3", t)
    return re.sub(r"[()\s]", "", t)


def compare(
    expected: Snapshot, actual: Snapshot, *, expected_label: str, actual_label: str
) -> list[Difference]:
    """Every way `actual` differs from `expected`, tables compared by name."""
    diffs: list[Difference] = []
    for name in sorted(set(expected.tables) - set(actual.tables)):
        diffs.append(
            Difference(
                "missing_table", name, "", f"in the {expected_label}, not in the {actual_label}"
            )
        )
    for name in sorted(set(actual.tables) - set(expected.tables)):
        diffs.append(
            Difference(
                "extra_table", name, "", f"in the {actual_label}, not in the {expected_label}"
            )
        )
    for name in sorted(set(expected.tables) & set(actual.tables)):
        diffs.extend(
            _compare_table(expected.tables[name], actual.tables[name], expected_label, actual_label)
        )
    # Sequences on one side only are the callers' business: only the models' own belong in
    # both (see missing_sequences).
    for name in sorted(expected.sequences.keys() & actual.sequences.keys()):
        want, have = expected.sequences[name], actual.sequences[name]
        if want != have:
            diffs.append(
                Difference("sequence", name, "", f"{expected_label} {want}; {actual_label} {have}")
            )
    return diffs


def missing_sequences(
    names: Iterable[str], expected: Snapshot, actual: Snapshot, el: str, al: str
) -> list[Difference]:
    """The sequences `names` (the models' own) that `expected` has and `actual` lacks."""
    if not expected.sequences and not actual.sequences:
        return []
    return [
        Difference("sequence", name, "", f"in the {el}, not in the {al}")
        for name in sorted(set(names))
        if name in expected.sequences and name not in actual.sequences
    ]


def _compare_table(exp: TableShape, act: TableShape, el: str, al: str) -> list[Difference]:
    t = exp.name
    out: list[Difference] = []
    exp_cols = {c.name: c for c in exp.columns}
    act_cols = {c.name: c for c in act.columns}
    for name in exp_cols.keys() - act_cols.keys():
        out.append(Difference("missing_column", t, name, f"in the {el}, not in the {al}"))
    for name in act_cols.keys() - exp_cols.keys():
        out.append(Difference("extra_column", t, name, f"in the {al}, not in the {el}"))
    for name in sorted(exp_cols.keys() & act_cols.keys()):
        e, a = exp_cols[name], act_cols[name]
        if e.type != a.type:
            out.append(Difference("type", t, name, f"{el} {e.type}, {al} {a.type}"))
        if e.nullable != a.nullable:
            out.append(
                Difference(
                    "nullable", t, name, f"{el} {_null(e.nullable)}, {al} {_null(a.nullable)}"
                )
            )
        if not _same_default(e, a):
            out.append(
                Difference("server_default", t, name, f"{el} {e.default!r}, {al} {a.default!r}")
            )
        if (e.identity, e.always) != (a.identity, a.always):
            out.append(
                Difference("identity", t, name, f"{el} {_generated(e)}, {al} {_generated(a)}")
            )
    if exp.primary_key != act.primary_key:
        out.append(
            Difference("primary_key", t, "", f"{el} {exp.primary_key}, {al} {act.primary_key}")
        )
    out += _keyed(t, "index", exp.indexes, act.indexes, el, al, _index_label)
    out += _keyed(t, "unique", exp.uniques, act.uniques, el, al, _cols_label)
    out += _keyed(t, "foreign_key", exp.foreign_keys, act.foreign_keys, el, al, _fk_label)
    out += _keyed(t, "check", exp.checks, act.checks, el, al, str)
    out += _detail_differences(exp, act, el, al)
    out += _definition_differences(exp, act, el, al, {d.object for d in out})
    return out


def _detail_differences(exp: TableShape, act: TableShape, el: str, al: str) -> list[Difference]:
    """Comments, generated columns, expression indexes and foreign-key timing (see
    TableShape.details): what the reflection reads that the comparison above does not."""
    if not exp.details or not act.details or exp.details == act.details:
        return []
    t = exp.name
    out = []
    (e_comment, e_cols, e_gen, e_expr, e_timing) = exp.details
    (a_comment, a_cols, a_gen, a_expr, a_timing) = act.details
    # A comment on one side only is not held against a schema (see docs/differences.md,
    # "What is set aside"); two different comments are.
    if None not in (e_comment, a_comment) and e_comment != a_comment:
        out.append(Difference("comment", t, "", f"{el} {e_comment!r}, {al} {a_comment!r}"))
    for kind, want, have in (("comment", e_cols, a_cols), ("computed", e_gen, a_gen)):
        wanted = {item[0]: item[1:] for item in want}
        had = {item[0]: item[1:] for item in have}
        for column in sorted(wanted.keys() | had.keys()):
            one_sided = column not in wanted or column not in had
            if kind == "comment" and one_sided:
                continue
            if wanted.get(column) != had.get(column):
                out.append(
                    Difference(
                        kind,
                        t,
                        column,
                        f"{el} {_detail(wanted.get(column))}, {al} {_detail(had.get(column))}",
                    )
                )
    compared = [("index", e_expr, a_expr)]
    if not (_has_family(exp, "foreign_key") and _has_family(act, "foreign_key")):
        # Where the catalog prints foreign keys (PostgreSQL), their timing is in the print.
        compared.append(("foreign_key", e_timing, a_timing))
    for kind, want, have in compared:
        for item in sorted(set(want) - set(have), key=repr):
            out.append(Difference(kind, t, _detail_object(item), f"{item} in the {el} only"))
        for item in sorted(set(have) - set(want), key=repr):
            out.append(Difference(kind, t, _detail_object(item), f"{item} in the {al} only"))
    return out


def _has_family(table: TableShape, family: str) -> bool:
    return any(d.family == family for d in table.definitions)


def _detail(value: Any) -> str:
    if value is None:
        return "none"
    return " ".join(str(v) for v in value if v is not None) or "none"


def _detail_object(item: Any) -> str:
    # An expression index (expressions, unique, name); a foreign key's timing (key, ...).
    return str(item[2]) if isinstance(item[2], str) else _fk_label(item[0])


def _definition_differences(
    exp: TableShape, act: TableShape, el: str, al: str, reported: set[str]
) -> list[Difference]:
    """What the catalogs say differently of the same table (adopt.reading.catalog), for the objects
    the comparisons above have not already reported. An object whose definition changed
    (the same name or column on both sides) is one difference."""
    want = _by_ident(exp.definitions)
    have = _by_ident(act.definitions)
    only_exp: list[catalog.Definition] = []
    only_act: list[catalog.Definition] = []
    for ident in want.keys() | have.keys():
        wanted, had = list(want.get(ident, [])), list(have.get(ident, []))
        # Twins of the same name first: of two alike objects (a unique constraint and a unique
        # index on the same columns), the one missing is then the one named.
        for same_name in (True, False):
            for item in list(wanted):
                twin = next(
                    (
                        h
                        for h in had
                        if h.text == item.text and (h.name == item.name or not same_name)
                    ),
                    None,
                )
                if twin is not None:
                    wanted.remove(item)
                    had.remove(twin)
        only_exp += wanted
        only_act += had
    out = []
    for label, family in sorted({(_object_of(d), d.family) for d in only_exp + only_act}):
        if label in reported:
            continue
        wanted = [d for d in only_exp if (_object_of(d), d.family) == (label, family)]
        had = [d for d in only_act if (_object_of(d), d.family) == (label, family)]
        out.append(
            Difference(
                f"{family}_definition",
                exp.name,
                label,
                f"{el} {_texts(wanted)}; {al} {_texts(had)}",
            )
        )
    return out


def _object_of(item: catalog.Definition) -> str:
    return item.key if item.family == "column" else item.name or item.key


def _by_ident(items: Iterable[catalog.Definition]) -> dict[tuple[str, str], list[Any]]:
    found: dict[tuple[str, str], list[Any]] = {}
    for item in items:
        found.setdefault(item.ident, []).append(item)
    return found


def _texts(items: list[Any]) -> str:
    if not items:
        return "has none"
    return " and ".join(f"`{d.text}`" for d in items)


def _keyed(
    table: str,
    kind: str,
    exp: dict[Any, str | None],
    act: dict[Any, str | None],
    el: str,
    al: str,
    label: Any,
) -> list[Difference]:
    out = []
    for key in exp.keys() - act.keys():
        out.append(
            Difference(
                kind, table, exp[key] or label(key), f"{label(key)} in the {el}, not in the {al}"
            )
        )
    for key in act.keys() - exp.keys():
        out.append(
            Difference(
                kind, table, act[key] or label(key), f"{label(key)} in the {al}, not in the {el}"
            )
        )
    for key in exp.keys() & act.keys():
        # Names are compared only where both sides have one (SQLite leaves inline ones unnamed).
        if exp[key] and act[key] and exp[key] != act[key]:
            generated = [
                is_generated_name(exp[key]) or _named_after_column(exp[key], key),
                is_generated_name(act[key]) or _named_after_column(act[key], key),
            ]
            # Checks: MariaDB names a column's check after the column, the other servers make
            # names up; a made-up name on either side is not held against a check.
            both_generated = all(generated) or (kind == "check" and any(generated))
            out.append(
                Difference(
                    f"{kind}_{'generated_name' if both_generated else 'name'}",
                    table,
                    label(key),
                    f"named {exp[key]!r} in the {el}, {act[key]!r} in the {al}",
                )
            )
    return out


# Names the server makes up for unnamed constraints: MySQL/MariaDB *_ibfk_N and CONSTRAINT_N
# (checks), PostgreSQL
# *_fkey / *_key / *_pkey / *_check (with a number when taken), SQLite's autoindexes.
_GENERATED_NAME = re.compile(
    r"(_ibfk_\d+|_fkey\d*|_key\d*|_pkey\d*|_check\d*|_idx\d*)$|^sqlite_autoindex_|^CONSTRAINT_\d+$"
)


def _same_default(e: ColumnShape, a: ColumnShape) -> bool:
    if e.default is None or a.default is None:
        return e.default == a.default
    boolean = is_boolean_type(e.type) and is_boolean_type(a.type)
    return normalise_default(e.default, boolean) == normalise_default(a.default, boolean)


def _named_after_column(name: str | None, key: Any) -> bool:
    """MySQL/MariaDB name an unnamed unique key after its first column, numbered when that
    name is taken (b, b_2): which key gets the number follows creation order."""
    first = key[0] if isinstance(key, tuple) and key else None
    while isinstance(first, tuple) and first:
        first = first[0]
    if not isinstance(first, str) or not name:
        return False
    return name == first or re.fullmatch(re.escape(first) + r"_\d+", name) is not None


def is_generated_name(name: str | None) -> bool:
    return bool(name) and bool(_GENERATED_NAME.search(name or ""))


def _generated(c: ColumnShape) -> str:
    if not c.identity:
        return "does not number new rows"
    return "numbers new rows" + (" (GENERATED ALWAYS)" if c.always else "")


def _null(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def _cols_label(cols: Cols) -> str:
    return "(" + ", ".join(cols) + ")"


def _index_label(key: tuple[Cols, bool]) -> str:
    cols, unique = key
    return ("unique index " if unique else "index ") + _cols_label(cols)


def _fk_label(key: tuple[Cols, str, Cols, str, str]) -> str:
    cols, table, ref, ondelete, onupdate = key
    actions = ""
    if ondelete != "NO ACTION":
        actions += f" ON DELETE {ondelete}"
    if onupdate != "NO ACTION":
        actions += f" ON UPDATE {onupdate}"
    return f"{_cols_label(cols)} -> {table}{_cols_label(ref)}{actions}"
