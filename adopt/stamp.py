"""Stamping a database at head: only alembic_version is written, after checking its state."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column
from sqlalchemy import MetaData
from sqlalchemy import PrimaryKeyConstraint
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy.engine import URL
from sqlalchemy.schema import CreateTable

from adopt import connect
from adopt import version_table
from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.urls import hide_password


@dataclass(frozen=True)
class StampResult:
    database: str  # URL with the password hidden
    before: str  # alembic_version state before: absent, empty, or the revision(s)
    after: str
    outcome: str  # "stamped" | "already at head"

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
        }


def single_head(script: ScriptDirectory) -> str:
    heads = script.get_heads()
    if not heads:
        raise UsageError(f"{script.dir} holds no revisions yet; run 'adopt baseline' first.")
    if len(heads) > 1:
        raise UsageError(
            f"{script.dir} has several heads ({', '.join(heads)}); merge them first "
            "(flask db merge heads / alembic merge heads)."
        )
    return heads[0]


def refusal(
    state: version_table.VersionState, head: str, script: ScriptDirectory, where: str
) -> str | None:
    """Why a database in `state` must not be stamped, or None if it may be."""
    if len(state.revisions) > 1:
        return (
            f"{where} has several rows in alembic_version ({', '.join(state.revisions)}); "
            "look at how it got there before stamping (adopt never guesses)."
        )
    if not state.revisions or state.revisions == (head,):
        return None
    current = state.revisions[0]
    known = {r.revision for r in script.walk_revisions()}
    if current in known:
        return (
            f"{where} is at revision {current}, not at head {head}; it is already under "
            "migrations: run 'flask db upgrade' (or 'alembic upgrade head') instead."
        )
    return (
        f"{where} is stamped with revision {current}, which this repository does not know; "
        "it was stamped by another migration history. Check which, then clear its "
        "alembic_version by hand if it is stale."
    )


def stamp(url: URL, script: ScriptDirectory) -> StampResult:
    """Write head into alembic_version of `url` (creating the table if needed)."""
    head = single_head(script)
    shown = hide_password(url)
    engine = connect.create(url)
    try:
        with connect.connection(engine) as conn:
            with conn.begin():
                before = version_table.read(conn)
                reason = refusal(before, head, script, shown)
                if reason:
                    raise UsageError(reason)
                if before.revisions == (head,):
                    return StampResult(shown, before.label, before.label, "already at head")
                context = MigrationContext.configure(conn)
                context.stamp(script, head)
            after = version_table.read(conn)
    finally:
        engine.dispose()
    if after.revisions != (head,):
        raise AdoptError(f"Stamping {shown} did not stick (alembic_version reads {after.label}).")
    return StampResult(shown, before.label, after.label, "stamped")


def stamp_sql(dialect_name: str, script: ScriptDirectory) -> str:
    """The SQL that stamping would run on a database without alembic_version, for a DBA;
    nothing is connected to."""
    head = single_head(script)
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect_name, opts={"as_sql": True, "output_buffer": buffer}
    )
    # The same table Alembic creates (VARCHAR(32) primary key), created only if missing.
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    create = str(CreateTable(version, if_not_exists=True).compile(dialect=context.dialect))
    context.stamp(script, head)
    return f"BEGIN;\n\n{create.strip()};\n\n{buffer.getvalue().strip()}\n\nCOMMIT;\n"
