"""Words and small judgements shared by the match check's modules: how a type, a default,
a column list or a foreign key is written in a difference, and when two spellings mean the same."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Identity
from sqlalchemy import Index
from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ClauseElement

from adopt.compare.differences import Difference
from adopt.compare.differences import SetAside
from adopt.reading import schema

Classified = Difference | SetAside | str  # str: an unmanaged table name


def cols_of(obj: Any) -> str:
    return cols_words(cols_tuple(obj))


def cols_tuple(obj: Any) -> tuple[str, ...]:
    names = [getattr(c, "name", str(c)) for c in getattr(obj, "columns", [])]
    if not names and hasattr(obj, "expressions"):
        names = [str(e) for e in obj.expressions]
    return tuple(names)


def cols_words(cols: Iterable[str]) -> str:
    return "(" + ", ".join(cols) + ")"


def col_args(obj: Any) -> str:
    return ", ".join(repr(c) for c in cols_tuple(obj))


def name_arg(name: Any) -> str:
    # A name the server made up need not be repeated in the model.
    return f", name={str(name)!r}" if name and not schema.is_generated_name(str(name)) else ""


def named_label(name: Any, what: str) -> str:
    return f"{name} {what}" if name else what


def index_sig(index: Index) -> str:
    return ("unique index " if index.unique else "index ") + cols_of(index)


def fk_target(fk: ForeignKeyConstraint) -> str:
    ref = fk.elements[0].target_fullname.rsplit(".", 1)[0] if fk.elements else "?"
    refcols = ", ".join(e.target_fullname.rsplit(".", 1)[1] for e in fk.elements)
    return f"{ref}({refcols})"


def fk_sig(fk: ForeignKeyConstraint) -> str:
    return f"({', '.join(fk.column_keys)}) -> {fk_target(fk)}"


def fk_text(fk: ForeignKeyConstraint) -> str:
    actions = ""
    if fk.ondelete:
        actions += f" ON DELETE {fk.ondelete.upper()}"
    if fk.onupdate:
        actions += f" ON UPDATE {fk.onupdate.upper()}"
    return fk_sig(fk) + actions


def type_words(type_: Any, dialect: Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:
        return repr(type_)


def spelling_of(type_: Any, dialect: Dialect) -> str:
    """How the models would declare this type: the generic type where it makes the same DDL
    (sa.String(length=255), sa.Double()), else the dialect's own (mysql.MEDIUMTEXT())."""
    try:
        generic = type_.as_generic()
        same = _ddl(generic, dialect) == _ddl(type_, dialect)
    except Exception:
        same = False
    module = type(type_).__module__
    if same:
        text = "sa." + repr(generic)
    elif module.startswith("sqlalchemy.dialects."):
        text = module.split(".")[2] + "." + repr(type_)
    else:
        text = ("sa." if module.startswith("sqlalchemy") else "") + repr(type_)
    # Reflection details a model does not write: display widths, DOUBLE's Decimal results.
    return re.sub(r"(display_width=\d+|asdecimal=True|astext_type=Text\(\))(, )?", "", text)


def type_fix(live: Any, dialect: Dialect) -> str:
    return (
        f"declare the column as {spelling_of(live, dialect)} in the model, so the baseline keeps "
        "the database's type"
    )


def _ddl(type_: Any, dialect: Dialect) -> str:
    return re.sub(
        r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|BIGINT)\(\d+\)", r"\1", type_words(type_, dialect)
    )


def impl_of(type_: Any, dialect: Dialect) -> Any:
    """The type the dialect will really create: variants and TypeDecorators resolved."""
    key = _plain_state(type_)
    if key is not None:
        # SQLAlchemy memoizes the dialect's type per type object, and models hold one object
        # per column: on 1,000 tables that is 11,000 adaptations of a dozen distinct types.
        # A type whose state is plain values adapts the same way as any equal one.
        known = _IMPLS.setdefault(dialect, {})
        if key not in known:
            known[key] = _unwrapped(type_, dialect)
        return known[key]
    return _unwrapped(type_, dialect)


_IMPLS: weakref.WeakKeyDictionary[Dialect, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()
_PLAIN = (type(None), bool, int, float, str, Decimal)


def _plain_state(type_: Any) -> tuple[Any, ...] | None:
    """A key equal for types that adapt alike: the class and its attributes, when they are all
    plain values; None for the others (enums, variants, types bound to a table)."""
    state = getattr(type_, "__dict__", None)
    if state is None or isinstance(type_, sa.types.SchemaType | sa.types.TypeDecorator):
        return None
    # A class is plain too: SQLAlchemy memoizes a type's `_type_affinity` (a class) on the
    # object once it is compared, as Alembic's comparison does before adopt's own.
    if not all(type(value) in _PLAIN or isinstance(value, type) for value in state.values()):
        return None
    return (type(type_), *sorted(state.items()))


def _unwrapped(type_: Any, dialect: Dialect) -> Any:
    try:
        return type_._unwrapped_dialect_impl(dialect)
    except Exception:
        return type_


def is_plain_string(type_: Any) -> bool:
    return (
        isinstance(type_, sa.String)
        and not isinstance(type_, sa.Text | sa.Enum)
        and (type(type_).__name__ != "SET")
    )


def is_decimal(type_: Any) -> bool:
    return isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)


_TEXT_SIZES = {"TINYTEXT": 0, "TEXT": 1, "MEDIUMTEXT": 2, "LONGTEXT": 3}
_INT_SIZES = {"SMALLINT": 1, "MEDIUMINT": 2, "INTEGER": 3, "INT": 3, "BIGINT": 4}


def type_note(live: Any, model: Any, dialect: Dialect) -> str:
    """Why a type difference matters, where it is a common one."""
    if dialect.name == "sqlite":
        return "SQLite does not enforce declared types, but a baseline would declare the models'"
    live_name, model_name = _base(live, dialect), _base(model, dialect)
    live_length, model_length = getattr(live, "length", None), getattr(model, "length", None)
    narrower = live_length and model_length and model_length < live_length
    if is_plain_string(live) and is_plain_string(model) and narrower:
        return f"the models are narrower; values longer than {model_length} would not fit"
    for sizes, what in ((_TEXT_SIZES, "text"), (_INT_SIZES, "numbers")):
        if live_name in sizes and model_name in sizes and sizes[model_name] < sizes[live_name]:
            return f"the models' {model_name} holds less {what} than the database's {live_name}"
    live_bits, model_bits = _float_bits(live, dialect), _float_bits(model, dialect)
    if live_bits and model_bits and live_bits != model_bits:
        return (
            f"{'single' if model_bits < live_bits else 'double'} precision in the models, "
            f"{'double' if model_bits < live_bits else 'single'} in the database"
        )
    if _timezone(live) != _timezone(model):
        return "with and without time zone read the same stored value differently"
    return ""


def _float_bits(type_: Any, dialect: Dialect) -> int | None:
    """The bits a floating-point type stores on `dialect`: FLOAT(p) is single precision up to
    24 bits of mantissa and double above (MySQL, MariaDB and PostgreSQL alike)."""
    name = _base(type_, dialect)
    if name in ("DOUBLE", "DOUBLE PRECISION"):
        return 64
    if name == "REAL":  # MySQL's REAL is a DOUBLE
        return 32 if dialect.name == "postgresql" else 64
    if name == "FLOAT":
        precision = getattr(type_, "precision", None)
        if isinstance(precision, int):
            return 64 if precision > 24 else 32
        return 64 if dialect.name == "postgresql" else 32  # PostgreSQL's FLOAT is a DOUBLE
    return None


def _base(type_: Any, dialect: Dialect) -> str:
    return re.sub(r"\(.*", "", type_words(type_, dialect)).strip().upper()


def _timezone(type_: Any) -> bool:
    return bool(getattr(type_, "timezone", False))


def is_boolean(type_: Any) -> bool:
    """A boolean column, as the database reports it: BOOLEAN, MySQL's TINYINT(1) or BIT(1)."""
    if type_ is None or isinstance(type_, sa.Boolean):
        return True  # unknown: keep the lenient reading
    name = type(type_).__name__.upper()
    if name == "TINYINT":
        return getattr(type_, "display_width", None) == 1
    return name == "BIT" and getattr(type_, "length", None) in (None, 1)


def is_identity(value: Any) -> bool:
    return isinstance(value, Identity) or "identity" in type(value).__name__.lower()


def null_words(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def default_text(value: Any, dialect: Dialect) -> str | None:
    """A server default as SQL text, whichever form SQLAlchemy or Alembic hands it over in."""
    if value is None or value is False:
        return None
    arg = getattr(value, "arg", value)
    if isinstance(arg, str):
        return arg
    if isinstance(arg, ClauseElement):
        try:
            return str(arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        except Exception:
            return str(arg)
    return str(arg)


def default_sql(value: Any, dialect: Dialect) -> str | None:
    # A plain string server_default is a literal: DDL quotes it, so show it quoted.
    arg = getattr(value, "arg", None)
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return default_text(value, dialect)


# MySQL/MariaDB show CURRENT_DATE and CURRENT_TIME as curdate() and curtime().
_SYNONYMS = {
    "curdate()": "current_date",
    "current_date()": "current_date",
    "curtime()": "current_time",
    "current_time()": "current_time",
}


def same_sql(live: str, model: str, boolean: bool) -> bool:
    # 1, '1', true and b'1' are one value only in a boolean column.
    a, b = schema.normalise_default(live, boolean), schema.normalise_default(model, boolean)
    a, b = _SYNONYMS.get(a, a), _SYNONYMS.get(b, b)
    return a == b or _same_number(live, a, b)


def _same_number(live: str, a: str, b: str) -> bool:
    """A numeric column's default as the server shows it (MariaDB: DEFAULT 0.00 for '0'): the
    live text is an unquoted number, so the column is numeric and '0' and 0.00 are one value."""
    if not re.fullmatch(r"\(*-?\d+(\.\d+)?\)*", live.strip()):
        return False
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def default_words(text: str | None) -> str:
    return f"DEFAULT {text}" if text else "no default"


def suggest_default(live: str | None) -> str:
    return f"sa.text({live!r})" if live else "None"


def admits(options: dict[str, Any], obj: Any, compare_to: Any = None) -> bool:
    """The project's include_name / include_object filters, as Alembic calls them."""
    include_name = options.get("include_name")
    include_object = options.get("include_object")
    if isinstance(obj, Table):
        if include_name and not include_name(obj.name, "table", {"schema_name": obj.schema}):
            return False
        return not include_object or bool(include_object(obj, obj.name, "table", False, None))
    table = obj.table
    parents = {
        "table_name": table.name,
        "schema_name": table.schema,
        "schema_qualified_table_name": table.fullname,
    }
    if include_name and not include_name(obj.name, "column", parents):
        return False
    return not include_object or bool(include_object(obj, obj.name, "column", False, compare_to))
