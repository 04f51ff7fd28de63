"""PostgreSQL's side of Alembic's comparison, with its per-column queries answered in bulk.

Alembic's PostgreSQL comparison asks the server two things column by column: whether an integer
column's nextval() default is the sequence the column owns (a serial, whose default it then
ignores), and whether a database default equals the models' one when the two are spelled
differently (SELECT <live> = <model>). At 1,000 tables that is about 2,000 round trips, a fifth
of the comparison's time, and more while the server is busy rebuilding the scratch database.
Here every sequence and the column it depends on are read in one query before the comparison,
and each distinct pair of defaults is asked once. The answers are Alembic's own: a sequence the
bulk read does not know, any comparison made outside `answered_in_bulk`, and every comparison
under an Alembic newer than TESTED_UP_TO go to Alembic's methods unchanged.

A plain string default with a lone quote ("it's"), which Alembic's SELECT cannot hold, is
compared by adopt.compare.quoted_defaults through Alembic's plugin API; with an Alembic older
than that API the comparison here does it the same way."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import alembic
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.migration import MigrationContext
from sqlalchemy import Float
from sqlalchemy import Numeric
from sqlalchemy.dialects.postgresql import BIGINT
from sqlalchemy.dialects.postgresql import INTEGER
from sqlalchemy.engine import Connection

from adopt._speedups import enabled
from adopt._speedups import tested
from adopt.compare import quoted_defaults

# Alembic's own query for one sequence (PostgresqlImpl.autogen_column_reflect), for all of them:
# every sequence, by the name nextval() defaults give it, with the column it depends on (NULL for
# none, where Alembic's query finds no row).
_SEQUENCE_OWNERS = """
SELECT c.oid::regclass::text, a.attname
FROM pg_class AS c
LEFT JOIN pg_depend AS d ON d.objid = c.oid
    AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
LEFT JOIN pg_class AS t ON t.oid = d.refobjid
LEFT JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE c.relkind = 'S'
"""

# The Alembic releases whose two methods replaced here were read and tested against
# (tests/test_shared_reflection.py); with a later one they are left to Alembic until checked again.
TESTED_UP_TO = (1, 20)

_NEXTVAL = re.compile(r"nextval\('(.+?)'::regclass\)")
_AMBIGUOUS = object()  # a sequence with more than one owning column: Alembic's query decides


ALEMBIC_TESTED = tested(alembic.__version__, TESTED_UP_TO)


@dataclass
class _Answers:
    """What one comparison knows ahead: the owned sequences, and the defaults already asked."""

    owner_column: dict[str, Any]  # sequence as nextval() names it -> its column, or None
    defaults_differ: dict[tuple[Any, ...], bool] = field(default_factory=dict)


_ACTIVE: weakref.WeakKeyDictionary[Any, _Answers] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_USERS = 0
_ORIGINAL_REFLECT: Any = PostgresqlImpl.autogen_column_reflect
_ORIGINAL_COMPARE: Any = PostgresqlImpl.compare_server_default


@contextmanager
def answered_in_bulk(context: MigrationContext) -> Iterator[None]:
    """Within this block, Alembic's comparison on `context` (PostgreSQL only; others pass
    through) takes its per-column answers from one bulk query and a cache."""
    conn = context.connection
    if conn is None or conn.dialect.name != "postgresql" or not ALEMBIC_TESTED or not enabled():
        yield
        return
    _ACTIVE[context.impl] = _Answers(_sequence_owners(conn))
    _install()
    try:
        yield
    finally:
        _ACTIVE.pop(context.impl, None)
        _uninstall()


def _sequence_owners(conn: Connection) -> dict[str, Any]:
    columns: dict[str, set[str]] = {}
    for sequence, column in conn.exec_driver_sql(_SEQUENCE_OWNERS):
        found = columns.setdefault(sequence, set())
        if column is not None:
            found.add(column)
    return {
        sequence: (next(iter(found)) if len(found) == 1 else None if not found else _AMBIGUOUS)
        for sequence, found in columns.items()
    }


def _install() -> None:
    # Class-level, as Alembic calls these on its impl; counted, so that overlapping comparisons
    # (one per thread) leave Alembic's methods in place only when the last one ends.
    global _USERS
    with _LOCK:
        _USERS += 1
        if _USERS == 1:
            PostgresqlImpl.autogen_column_reflect = _column_reflect  # type: ignore[method-assign]
            PostgresqlImpl.compare_server_default = _compare_default  # type: ignore[method-assign]


def _uninstall() -> None:
    global _USERS
    with _LOCK:
        _USERS -= 1
        if _USERS == 0:
            PostgresqlImpl.autogen_column_reflect = _ORIGINAL_REFLECT  # type: ignore[method-assign]
            PostgresqlImpl.compare_server_default = _ORIGINAL_COMPARE  # type: ignore[method-assign]


def _column_reflect(impl: Any, inspector: Any, table: Any, column_info: dict[str, Any]) -> None:
    answers = _ACTIVE.get(impl)
    default = column_info.get("default")
    found = _NEXTVAL.match(default) if answers is not None and isinstance(default, str) else None
    owner = answers.owner_column.get(found.group(1), _AMBIGUOUS) if answers and found else None
    if found is None or owner is _AMBIGUOUS:
        _ORIGINAL_REFLECT(impl, inspector, table, column_info)
    elif owner is not None and owner == column_info["name"] and _is_integer(column_info["type"]):
        # Alembic's rule, kept as it is: the owning column's name is compared, not its table.
        del column_info["default"]


def _is_integer(type_: Any) -> bool:
    return isinstance(type_, (INTEGER, BIGINT))


def _serial_key(column: Any) -> bool:
    return bool(column.primary_key) and column is column.table._autoincrement_column


def _compare_default(
    impl: Any,
    inspector_column: Any,
    metadata_column: Any,
    rendered_metadata_default: Any,
    rendered_inspector_default: Any,
) -> Any:
    arg = getattr(metadata_column.server_default, "arg", None)
    inner = quoted_defaults.breaking_string(arg, metadata_column, inspector_column)
    if inner is not None:  # an Alembic without plugins (adopt.compare.quoted_defaults)
        return quoted_defaults.differs(inner, rendered_inspector_default)
    answers = _ACTIVE.get(impl)
    if answers is None:
        return _ORIGINAL_COMPARE(
            impl,
            inspector_column,
            metadata_column,
            rendered_metadata_default,
            rendered_inspector_default,
        )
    # Everything Alembic's answer depends on: the two spellings, how it quotes the models' one
    # (by the type of the argument and of the column), and whether it skips a serial key.
    key = (
        rendered_inspector_default,
        rendered_metadata_default,
        type(arg),
        isinstance(inspector_column.type, (Numeric, Float)),
        _serial_key(metadata_column),
    )
    if key not in answers.defaults_differ:
        answers.defaults_differ[key] = _ORIGINAL_COMPARE(
            impl,
            inspector_column,
            metadata_column,
            rendered_metadata_default,
            rendered_inspector_default,
        )
    return answers.defaults_differ[key]
