"""PostgreSQL string defaults that hold a quote, compared without breaking Alembic's comparison.

When a database default and the models' one are spelled differently, Alembic's PostgreSQL
comparison asks the server (SELECT <database's> = <models'>) and pastes the models' default into
that statement as it is: a plain string default with a lone quote ("it's") ends the literal
early, the statement fails, and the whole comparison with it. Such defaults are compared here
instead, in Python, by a comparator that Alembic's plugin API (Alembic 1.18 and later) runs
before its own; every other default is left to Alembic. The comparator is registered once, and
is part of a comparison only where `with_plugin` adds it to that comparison's options."""

from __future__ import annotations

import re
import threading
import types
from typing import Any

from sqlalchemy.schema import DefaultClause

PLUGIN = "adopt.quoted_defaults"

# A PostgreSQL string literal, possibly cast: 'it''s'::character varying.
_PG_STRING = re.compile(r"^'((?:[^']|'')*)'(?:::[\w\s\"]+)*$")
_registering = threading.Lock()
_registered = False


def breaking_string(arg: Any, metadata_column: Any, inspector_column: Any) -> str | None:
    """The models' plain string default that Alembic would paste into its SELECT as a broken
    literal (a lone quote inside, as in "it's"), without the outer quotes Alembic strips itself;
    None for every other default, which Alembic compares."""
    from sqlalchemy import Float
    from sqlalchemy import Numeric

    if not isinstance(arg, str) or isinstance(inspector_column.type, (Numeric, Float)):
        return None
    if _serial_key(metadata_column):
        return None  # Alembic skips a serial key's default before anything else
    inner = re.sub(r"^'|'$", "", arg)
    return inner if "'" in inner.replace("''", "") else None


def differs(inner: str, rendered_live_default: str | None) -> bool:
    """Whether the live default (as the server spells it) is another string than `inner`."""
    found = _PG_STRING.match(rendered_live_default or "")
    return found is None or found.group(1).replace("''", "'") != inner


def _serial_key(column: Any) -> bool:
    return bool(column.primary_key) and column is column.table.autoincrement_column


def with_plugin(options: dict[str, Any]) -> dict[str, Any]:
    """Comparison options with this comparator among the autogenerate plugins (beside the
    project's own choice, else Alembic's default set); as given with an Alembic that has no
    plugin API."""
    try:
        from alembic.runtime.plugins import Plugin
    except ImportError:
        return options
    global _registered
    with _registering:
        if not _registered:
            Plugin.setup_plugin_from_module(_as_module(), PLUGIN)
            _registered = True
    chosen = list(options.get("autogenerate_plugins") or ["alembic.autogenerate.*"])
    return dict(options, autogenerate_plugins=[*chosen, PLUGIN])


def _as_module() -> types.ModuleType:
    module = types.ModuleType(PLUGIN)
    module.setup = _setup  # type: ignore[attr-defined]
    return module


def _setup(plugin: Any) -> None:
    from alembic.util import DispatchPriority

    plugin.add_autogenerate_comparator(
        _compare,
        "column",
        "server_default",
        qualifier="postgresql",
        priority=DispatchPriority.MEDIUM,
    )


def _compare(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: Any,
    metadata_col: Any,
) -> Any:
    from alembic.util import PriorityDispatchResult

    inner = breaking_string(
        getattr(metadata_col.server_default, "arg", None), metadata_col, conn_col
    )
    if inner is None:
        return PriorityDispatchResult.CONTINUE
    live = conn_col.server_default
    text = live.arg.text if isinstance(live, DefaultClause) and hasattr(live.arg, "text") else None
    alter_column_op.existing_server_default = live
    if differs(inner, text):
        alter_column_op.modify_server_default = metadata_col.server_default
    return PriorityDispatchResult.STOP
