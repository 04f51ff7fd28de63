"""Alembic's autogenerate comparison of a database with the models, made on adopt's reflection.

Alembic's comparison reflects the database itself, in bulk (one get_multi_<kind> per kind), into
its own inspector. The match check reads the same tables in bulk for its own comparisons and
its snapshot; made apart, the two reflections doubled the server's catalog work and the
parsing of its answers. Here Alembic's comparison is handed the check's inspector, its bulk
reads already in place under the keys Alembic looks for (see alembic.autogenerate.compare.util
._InspectorConv, which skips a kind it finds there), so that the database is reflected once.

The answers are copied for Alembic, which changes what it reads (a serial's default removed,
constraint names wrapped), while the check's own readers use them after it.

Alembic has no public way to pass an inspector in: produce_migrations is rebuilt here around
its AutogenContext (`inspector` is a memoized attribute of it) and
compare._populate_migration_script, which is what produce_migrations calls. An Alembic without
that function gets compare_metadata as it is, and reflects the tables itself again; an Alembic
that no longer looks for its bulk reads under these keys simply reads them again.
tests/test_shared_reflection.py counts the statements, which tells either apart."""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.autogenerate import compare as alembic_compare
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.types import SchemaType

from adopt._speedups import enabled as speedups_enabled
from adopt._speedups import pg_compare
from adopt.compare import quoted_defaults
from adopt.reading import schema

# The kinds Alembic's comparison reads in bulk, by the name of their get_multi_<kind> method;
# it keeps each under "alembic_<kind>".
KINDS = (
    "columns",
    "pk_constraint",
    "foreign_keys",
    "indexes",
    "unique_constraints",
    "table_comment",
    "check_constraints",
    "table_options",
)


def differences(conn: Connection, metadata: MetaData, options: dict[str, Any]) -> list[Any]:
    """Alembic's comparison of the database on `conn` with `metadata`, as autogenerate makes it
    (the list compare_metadata returns). In a read-only transaction it reads the tables through
    the check's shared inspector (schema.inspector), in bulk reads made once for both."""
    opts = quoted_defaults.with_plugin(dict(options, target_metadata=metadata))
    context = MigrationContext.configure(conn, opts=opts)
    populate = getattr(alembic_compare, "_populate_migration_script", None)
    insp = schema.inspector(conn)
    with _sequence_names_unquoted(), pg_compare.answered_in_bulk(context):
        shared = schema.is_shared(insp) and speedups_enabled()
        if populate is None or not pg_compare.ALEMBIC_TESTED or not shared:
            # An Alembic not tested with this (or no shared reflection): Alembic's comparison
            # as it comes, which reflects the tables itself.
            return list(compare_metadata(context, metadata))
        autogen = AutogenContext(context, metadata=metadata)
        _hand_over(insp, _compared_schemas(autogen, insp))
        autogen.__dict__["inspector"] = insp  # see the module's docstring
        script = ops.MigrationScript(
            rev_id=None, upgrade_ops=ops.UpgradeOps([]), downgrade_ops=ops.DowngradeOps([])
        )
        populate(autogen, script)
    assert script.upgrade_ops is not None
    return list(script.upgrade_ops.as_diffs())


def _compared_schemas(autogen: AutogenContext, insp: Any) -> list[str | None]:
    """The schemas the check has read that Alembic's comparison will look at: the default one
    (None) and, with include_schemas, the others through the project's include_name, as
    alembic.autogenerate.compare.schema finds them. Others it compares it reads itself."""
    read = schema.reflected_schemas(insp)
    wanted = [None, *sorted(s for s in read if s is not None)]
    if not autogen.opts.get("include_schemas"):
        wanted = [None]
    return [name for name in wanted if autogen.run_name_filters(name, "schema", {})]


def _hand_over(insp: Any, schemas: Iterable[str | None]) -> None:
    """Put the shared bulk reads where Alembic's comparison looks for its own."""
    for kind in KINDS:
        merged: dict[Any, Any] = {}
        for name in schemas:
            found = schema.reflected(insp, kind, name)
            if found is NotImplementedError:
                # Alembic's own mark: it then does not compare such things (or calls them none).
                insp.info_cache["alembic_" + kind] = NotImplementedError
                break
            merged.update((key, _copied(value)) for key, value in found.items())
        else:
            insp.info_cache["alembic_" + kind] = merged


def _copied(value: Any) -> Any:
    """A copy of one table's reflected `value` that Alembic may change: each dict copied, and
    types that attach to the table they are put in (enums) copied too."""
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = dict(value)
    if isinstance(out.get("type"), SchemaType):
        out["type"] = copy.copy(out["type"])
    return out


# A serial's default names its sequence in a string literal: nextval('"it''s_id_seq"'::regclass),
# the quote of a name like "it's" doubled. Alembic's PostgreSQL reflection passes what is between
# the outer quotes to the server as the sequence's name without undoing the doubling, and the
# server answers that no such relation exists: the comparison fails on such a table. A
# column_reflect listener on every Table (SQLAlchemy calls those before the one Alembic puts on
# each table it reflects) gives Alembic the name as the literal means it; the listener is there
# only while a comparison runs.
_NEXTVAL = re.compile(r"^nextval\('(.+)'::regclass\)$")
_listening = threading.Lock()
_comparisons = 0


def _unquote_sequence_name(inspector: Any, _table: Table, column_info: dict[str, Any]) -> None:
    default = column_info.get("default")
    if inspector.dialect.name != "postgresql" or not isinstance(default, str):
        return
    found = _NEXTVAL.match(default)
    if found is not None and "''" in found.group(1):
        name = found.group(1).replace("''", "'")
        column_info["default"] = f"nextval('{name}'::regclass)"


@contextmanager
def _sequence_names_unquoted() -> Iterator[None]:
    global _comparisons
    with _listening:
        if _comparisons == 0:
            event.listen(Table, "column_reflect", _unquote_sequence_name)
        _comparisons += 1
    try:
        yield
    finally:
        with _listening:
            _comparisons -= 1
            if _comparisons == 0:
                event.remove(Table, "column_reflect", _unquote_sequence_name)
