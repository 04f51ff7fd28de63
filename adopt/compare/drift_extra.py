"""The comparisons Alembic does not make: type arguments given on one side only, MySQL
UNSIGNED and fractional seconds, PostgreSQL enum labels, auto-increment and identity, primary
keys, foreign key names, CHECK constraints, BIT defaults and unnamed SQLite uniques. Each
finding is a Difference, or a SetAside with its reason."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import Identity
from sqlalchemy import Sequence
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.engine import Dialect

from adopt.compare.differences import Difference
from adopt.compare.differences import SetAside
from adopt.compare.drift_text import admits
from adopt.compare.drift_text import cols_tuple
from adopt.compare.drift_text import cols_words
from adopt.compare.drift_text import default_sql
from adopt.compare.drift_text import default_text
from adopt.compare.drift_text import default_words
from adopt.compare.drift_text import fk_sig
from adopt.compare.drift_text import impl_of
from adopt.compare.drift_text import is_decimal
from adopt.compare.drift_text import is_plain_string
from adopt.compare.drift_text import name_arg
from adopt.compare.drift_text import named_label
from adopt.compare.drift_text import same_sql
from adopt.compare.drift_text import suggest_default
from adopt.compare.drift_text import type_fix
from adopt.compare.drift_text import type_words
from adopt.reading import schema

# The kinds of Alembic's findings own_findings reads: (kind, schema, table, column, ...).
COLUMN_FINDINGS = ("modify_type", "modify_default")


def own_findings(
    live: schema.LiveTable, alembic: list[Any], dialect: Dialect, options: dict[str, Any]
) -> list[Difference | SetAside]:
    """What adopt compares of `live` beyond Alembic; `alembic` holds Alembic's findings of
    the kinds in COLUMN_FINDINGS, at least those of this table."""
    table = live.model
    typed = {i[1:4] for i in alembic if i[0] == "modify_type"}  # (schema, table, column)
    identity = {i[1:4] for i in alembic if i[0] == "modify_default" and _both_identity(i)}
    compare_types = options.get("compare_type", True) is not False
    found: list[Difference | SetAside] = []
    for column in table.columns:
        reflected = live.columns.get(column.name)
        if reflected is None or not admits(options, column):
            continue
        key = (table.schema, table.name, column.name)
        if compare_types and key not in typed:
            found += _type_findings(live, column, reflected["type"], dialect)
        if key not in identity:
            found += _generation(live, column, reflected, dialect)
        if column.name in live.bit_defaults:
            found += _bit_default(live, column, dialect)
    found += _primary_key(live)
    found += _fk_names(live, dialect)
    found += _checks(live, dialect)
    found += _sqlite_uniques(live)
    return found


def _both_identity(item: Any) -> bool:
    return isinstance(item[5], Identity) and isinstance(item[6], Identity)


# Types: what Alembic skips when one side has arguments the other lacks.


def _type_findings(
    live: schema.LiveTable, column: Column[Any], live_type: Any, dialect: Dialect
) -> list[Difference | SetAside]:
    model_type = impl_of(column.type, dialect)
    table = live.model.fullname
    labels = enum_labels(live_type)
    if labels is not None and enum_labels(model_type) is not None:
        labels = live.enums.get(getattr(live_type, "name", None) or "", labels)
        if labels != enum_labels(model_type):
            return [enum_difference(table, column.name, labels, model_type)]
        return []
    for check in (_length, _numeric, _unsigned, _precision):
        why = check(live_type, model_type, dialect)
        if why:
            return [
                Difference(
                    "type",
                    table,
                    column.name,
                    f"database {type_words(live_type, dialect)}, "
                    f"models {type_words(model_type, dialect)}: " + why,
                    type_fix(live_type, dialect),
                )
            ]
    return []


def _length(live: Any, model: Any, dialect: Dialect) -> str | None:
    if not (is_plain_string(live) and is_plain_string(model)):
        return None
    # CHAR is CHAR(1) on the servers; SQLite keeps the declared type as written.
    char = type_words(live, dialect).upper().startswith("CHAR")
    default = 1 if char and dialect.name != "sqlite" else None
    live_length = live.length if live.length is not None else default
    model_length = model.length if model.length is not None else default
    if live_length == model_length or (model_length is None and dialect.name == "mysql"):
        return None
    if model_length is None:
        return f"the models leave the length out, the database limits it to {live_length}"
    if live_length is None:
        return f"the database has no length limit, the models limit it to {model_length}"
    return None  # both given: Alembic compares these itself


def _numeric(live: Any, model: Any, dialect: Dialect) -> str | None:
    if not (is_decimal(live) and is_decimal(model)):
        return None
    live_ps, model_ps = _precision_scale(live, dialect), _precision_scale(model, dialect)
    if live_ps == model_ps:
        return None
    return (
        f"precision and scale {_ps_words(live_ps)} in the database, {_ps_words(model_ps)} in "
        "the models"
    )


def _precision_scale(type_: Any, dialect: Dialect) -> tuple[int | None, int | None]:
    precision, scale = type_.precision, type_.scale
    if dialect.name == "mysql" and precision is None:
        precision = 10  # MySQL's DECIMAL is DECIMAL(10, 0)
    if precision is not None and scale is None:
        scale = 0  # NUMERIC(p) is NUMERIC(p, 0)
    return precision, scale


def _ps_words(ps: tuple[int | None, int | None]) -> str:
    return "unbounded" if ps[0] is None else f"({ps[0]}, {ps[1]})"


def _unsigned(live: Any, model: Any, dialect: Dialect) -> str | None:
    if dialect.name != "mysql":
        return None
    live_unsigned = bool(getattr(live, "unsigned", False))
    if live_unsigned == bool(getattr(model, "unsigned", False)):
        return None
    if live_unsigned:
        return "the database column is UNSIGNED, the models' is signed (half the range)"
    return "the models' column is UNSIGNED, the database's is signed"


def _precision(live: Any, model: Any, dialect: Dialect) -> str | None:
    temporal = (sa.DateTime, sa.Time)
    if dialect.name == "sqlite" or not (isinstance(live, temporal) and isinstance(model, temporal)):
        return None
    default = 6 if dialect.name == "postgresql" else 0
    live_p, model_p = _fraction_digits(live, default), _fraction_digits(model, default)
    if live_p == model_p:
        return None
    return f"{live_p} fractional second digits in the database, {model_p} in the models"


def _fraction_digits(type_: Any, default: int) -> int:
    digits = getattr(type_, "precision", None)
    digits = getattr(type_, "fsp", None) if digits is None else digits
    return default if digits is None else int(digits)


def enum_difference(table: str, column: str, live: list[str], model: Any) -> Difference:
    labels = enum_labels(model) or []
    missing = [x for x in labels if x not in live]
    extra = [x for x in live if x not in labels]
    parts = []
    if missing:
        parts.append(f"the database lacks {_quoted(missing)}, so storing them would fail")
    if extra:
        parts.append(f"the models lack {_quoted(extra)}")
    if not parts:
        parts.append("the same labels in another order, which is the sort order")
    name = getattr(model, "name", None)
    alter = f" (ALTER TYPE {name} ADD VALUE ...)" if name and missing else ""
    return Difference(
        "enum",
        table,
        column,
        f"database labels {_quoted(live)}, models {_quoted(labels)}: " + "; ".join(parts),
        f"list exactly the database's labels in the model's Enum, or change the database "
        f"first{alter}",
    )


def enum_labels(type_: Any) -> list[str] | None:
    return list(type_.enums) if isinstance(type_, sa.Enum) else None


def _quoted(labels: list[str]) -> str:
    return ", ".join(repr(x) for x in labels)


# Auto-increment: whether (and how) the database numbers new rows.


def _generation(
    live: schema.LiveTable, column: Column[Any], reflected: dict[str, Any], dialect: Dialect
) -> list[Difference | SetAside]:
    if dialect.name == "sqlite":
        return []  # an INTEGER PRIMARY KEY always numbers rows; nothing else can
    live_gen, model_gen = live_generation(reflected, dialect), model_generation(column, dialect)
    if live_gen == model_gen:
        return []
    return [
        Difference(
            "autoincrement",
            live.model.fullname,
            column.name,
            f"in the database {_generation_words(live_gen)}; in the models "
            + _generation_words(model_gen),
            _GENERATION_FIXES[live_gen],
        )
    ]


_GENERATION_FIXES = {
    None: "set autoincrement=False on the model column (and drop any sa.Identity())",
    "by default": "declare sa.Identity() on the model column, or drop autoincrement=False",
    "always": "declare sa.Identity(always=True) on the model column",
}


def live_generation(reflected: dict[str, Any], dialect: Dialect) -> str | None:
    identity = reflected.get("identity")
    if identity:
        return "always" if identity.get("always") else "by default"
    # PostgreSQL: serial (a nextval() default); MySQL: AUTO_INCREMENT.
    return "by default" if reflected.get("autoincrement") is True else None


def model_generation(column: Column[Any], dialect: Dialect) -> str | None:
    if column.identity is not None and dialect.name == "postgresql":
        return "always" if column.identity.always else "by default"
    if isinstance(column.default, Sequence) and dialect.name == "postgresql":
        return "by default"
    if column.server_default is not None:
        text = default_text(column.server_default, dialect) or ""
        return "by default" if "nextval(" in text.lower() else None
    table = column.table
    return "by default" if table is not None and column is table.autoincrement_column else None


def _generation_words(generation: str | None) -> str:
    return {
        None: "the server does not number new rows",
        "by default": "the server numbers new rows (serial, identity BY DEFAULT, AUTO_INCREMENT)",
        "always": "the server numbers new rows and refuses given ids (GENERATED ALWAYS)",
    }[generation]


def identity_words(value: Any) -> str:
    if isinstance(value, Identity):
        return "GENERATED " + ("ALWAYS" if value.always else "BY DEFAULT") + " AS IDENTITY"
    return "no identity"


# MySQL BIT defaults: SQLAlchemy does not reflect DEFAULT b'1', so Alembic sees none.


def _bit_default(live: schema.LiveTable, column: Column[Any], dialect: Dialect) -> list[Any]:
    table = live.model.fullname
    db = live.bit_defaults[column.name]
    model = default_sql(column.server_default, dialect)
    if db is None and model is None:
        return []
    if db is not None and model is not None and same_sql(db, model, boolean=True):
        reason = f"the same server default, {db} in the database and {model} in the models "
        reason += "(read from information_schema: SQLAlchemy does not reflect BIT defaults)"
        return [SetAside(table, column.name, reason)]
    return [
        Difference(
            "server_default",
            table,
            column.name,
            f"database {default_words(db)}, models {default_words(model)}",
            f"set server_default={suggest_default(db)} on the model column",
        )
    ]


# Primary keys: Alembic never compares them.


def _primary_key(live: schema.LiveTable) -> list[Difference | SetAside]:
    model = [c.name for c in live.model.primary_key.columns]
    if model == live.primary_key:
        return []
    words = "the same columns in another order" if set(model) == set(live.primary_key) else ""
    return [
        Difference(
            "primary_key",
            live.model.fullname,
            "(" + ", ".join(live.primary_key) + ")",
            f"database primary key ({', '.join(live.primary_key) or 'none'}), models "
            f"({', '.join(model) or 'none'})" + (f": {words}" if words else ""),
            "mark exactly the database's key columns primary_key=True in the model",
        )
    ]


# Foreign key names: Alembic matches foreign keys by their columns and never compares names.


def _fk_names(live: schema.LiveTable, dialect: Dialect) -> list[Difference | SetAside]:
    db = {
        (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"])): fk
        for fk in live.foreign_keys
    }
    found: list[Difference | SetAside] = []
    for fk in live.model.foreign_key_constraints:
        target = fk.elements[0].target_fullname.split(".") if fk.elements else ["?", "?"]
        refcols = tuple(e.target_fullname.rsplit(".", 1)[1] for e in fk.elements)
        match = db.get((tuple(fk.column_keys), target[-2], refcols))
        name = _final_name(fk, dialect)
        if match is None or not name or not match.get("name") or match["name"] == name:
            continue
        found.append(
            Difference(
                "foreign_key_name",
                live.model.fullname,
                named_label(name, fk_sig(fk)),
                f"the same foreign key, named {match['name']!r} in the database and {name!r} in "
                f"the models; a later migration dropping {name!r} would fail here",
                f"name it {match['name']!r} in the model (or rename it in the database first)",
            )
        )
    return found


# CHECK constraints: Alembic compares none by default.


def _checks(live: schema.LiveTable, dialect: Dialect) -> list[Difference | SetAside]:
    table = live.model.fullname
    db = {
        schema.normalise_check(c["sqltext"]): (c.get("name"), str(c["sqltext"]).replace("`", ""))
        for c in live.checks
        if not _is_json_check(c, live.model)
    }
    models = {
        schema.normalise_check(text): (name, text, bound)
        for name, text, bound in _model_checks(live.model, dialect)
    }
    found: list[Difference | SetAside] = []
    db_only = {k: v for k, v in db.items() if k not in models}
    model_only = {k: v for k, v in models.items() if k not in db}
    db_by_name = {v[0]: (k, v[1]) for k, v in db_only.items() if v[0]}
    for name, text, _bound in model_only.values():
        old = db_by_name.get(name) if name else None
        if old is not None:
            db_only.pop(old[0])
            found.append(_check_difference(table, name, old[1], text))
        else:
            found.append(_check_difference(table, name, None, text))
    found += [_check_difference(table, name, text, None) for name, text in db_only.values()]
    for key in db.keys() & models.keys():
        found += _check_names(table, db[key][0], models[key][0], models[key][2], db[key][1])
    return found


def _check_difference(
    table: str, name: str | None, db: str | None, model: str | None
) -> Difference:
    if db is None:
        return Difference(
            "check",
            table,
            named_label(name, f"CHECK ({model})"),
            f"CHECK ({model}) is in the models, not in the database",
            "create the check in the database first, or remove it from the model",
        )
    if model is None:
        return Difference(
            "check",
            table,
            named_label(name, f"CHECK ({db})"),
            f"CHECK ({db}) is in the database, not in the models; a baseline would leave it out",
            f"declare sa.CheckConstraint({db!r}"
            + name_arg(name)
            + ") in the model so the baseline keeps it",
        )
    return Difference(
        "check",
        table,
        named_label(name, f"CHECK ({db})"),
        f"{name!r} is CHECK ({db}) in the database, CHECK ({model}) in the models",
        "declare the database's condition in the model's CheckConstraint",
    )


def _check_names(
    table: str, db: str | None, model: str | None, bound: bool, text: str
) -> list[Difference | SetAside]:
    if not db or not model or db == model:
        return []
    if bound:
        return [
            SetAside(
                table,
                f"CHECK ({text})",
                f"the check a Boolean/Enum column type makes for itself, named {db!r} in the "
                f"database and {model!r} in the models; it comes and goes with its column, so no "
                "migration refers to it by name",
            )
        ]
    return [
        Difference(
            "check_name",
            table,
            named_label(model, f"CHECK ({text})"),
            f"the same check, named {db!r} in the database and {model!r} in the models",
            f"name it {db!r} in the model (or rename it in the database first)",
        )
    ]


def _model_checks(table: Table, dialect: Dialect) -> list[tuple[str | None, str, bool]]:
    """(name, SQL, made by a column type) of each CHECK the models would create on `dialect`:
    a Boolean or Enum's own check exists only where the type is not native."""
    ddl = dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]
    constraints = [c for c in table.constraints if isinstance(c, CheckConstraint)]
    for column in table.columns:
        constraints += [c for c in column.constraints if isinstance(c, CheckConstraint)]
    found = []
    for c in constraints:
        if not c._should_create_for_compiler(ddl):
            continue
        text = str(ddl.sql_compiler.process(c.sqltext, include_table=False, literal_binds=True))
        if dialect.paramstyle in ("format", "pyformat"):
            text = text.replace("%%", "%")  # escaped for the driver, not part of the SQL
        found.append((_final_name(c, dialect), text, bool(getattr(c, "_type_bound", False))))
    return found


def _final_name(constraint: Any, dialect: Dialect) -> str | None:
    # The name the DDL would give it, naming conventions applied.
    if constraint.name is None:
        return None
    try:
        name = dialect.identifier_preparer.format_constraint(constraint, _alembic_quote=False)
    except Exception:
        return str(constraint.name)
    return str(name) if name else None


def _is_json_check(check: dict[str, Any], table: Table) -> bool:
    # MariaDB's JSON is LONGTEXT with CHECK (json_valid(`col`)): part of the type, not a check.
    # Any column name, quoted as MariaDB quotes it (`x-y`, `a``b`); names are case-insensitive.
    match = re.fullmatch(
        r"\s*json_valid\s*\(\s*(?:`((?:[^`]|``)+)`|(\w+))\s*\)\s*",
        str(check["sqltext"]),
        re.IGNORECASE,
    )
    if match is None:
        return False
    name = match.group(2) if match.group(1) is None else match.group(1).replace("``", "`")
    columns = {c.name.lower(): c for c in table.columns}
    column = columns.get(name.lower())
    return column is not None and isinstance(column.type, sa.JSON)


# SQLite uniques: Alembic passes over unnamed ones in the database.


def _sqlite_uniques(live: schema.LiveTable) -> list[Difference | SetAside]:
    table = live.model
    declared = {cols_tuple(c) for c in table.constraints if isinstance(c, UniqueConstraint)}
    declared |= {cols_tuple(ix) for ix in table.indexes if ix.unique}
    declared.add(tuple(c.name for c in table.primary_key.columns))
    return [
        Difference(
            "unique",
            table.fullname,
            f"unique {cols_words(cols)}",
            f"an unnamed unique on {cols_words(cols)} is in the database, not in the models; "
            "a baseline would leave it out",
            f"declare sa.UniqueConstraint({', '.join(repr(c) for c in cols)}) in the model (or "
            "unique=True on the column)",
        )
        for cols in dict.fromkeys(live.unnamed_uniques)
        if cols not in declared
    ]
