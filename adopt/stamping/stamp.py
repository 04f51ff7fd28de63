"""Stamping a database at head: only alembic_version is written, after checking its state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column
from sqlalchemy import MetaData
from sqlalchemy import PrimaryKeyConstraint
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import exists
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

from adopt import committed
from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.plain import fields
from adopt.reading import connect
from adopt.reading import version_table
from adopt.stamping import audit
from adopt.stamping.targets import Target
from adopt.urls import hide_password


@dataclass(frozen=True)
class StampResult:
    database: str  # URL with the password hidden
    before: str  # alembic_version state before: absent, empty, or the revision(s)
    after: str
    outcome: str  # "stamped" | "already at head"
    audit_problem: str = ""  # stamped, but the audit record could not be written: why

    def as_dict(self) -> dict[str, Any]:
        return fields(self, "database", "before", "after", "outcome")


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


def write_head(
    target: Target,
    script: ScriptDirectory,
    *,
    fingerprint: str,
    audit_choice: str = audit.DEFAULT,
    timeout: int | None = None,
    revision: str | None = None,
) -> StampResult:
    """Stamp `target` at head (or at `revision`) under a database lock, re-reading
    alembic_version inside it, so concurrent stampers leave exactly one row. Writes
    alembic_version (and the audit row when the team chose a table) in one transaction:
    stamped or not, never in between."""
    head = revision or single_head(script)  # the revision written: head unless named
    shown = target.label
    with _connected(target, audit_choice, timeout) as conn:
        with conn.begin():
            _lock(conn, target)
            before = version_table.read(conn, schema=target.schema)
            reason = refusal(before, single_head(script), script, shown)
            if reason:
                raise UsageError(reason)
            if before.revisions == (head,):
                return StampResult(shown, before.label, before.label, "already at head")
            options = {"version_table_schema": target.schema} if target.schema else {}
            MigrationContext.configure(conn, opts=options).stamp(script, head)
            item = audit.entry(
                hide_password(target.url), target.schema, head, fingerprint, before=before.label
            )
            if audit_choice == "table":
                audit.record_in_table(conn, item, target.schema)
        committed.record(f"{shown} stamped at {head}")
        _unlock(conn, target)
        after = version_table.read(conn, schema=target.schema)
    if after.revisions != (head,):
        raise AdoptError(f"Stamping {shown} did not stick (alembic_version reads {after.label}).")
    problem = _recorded_in_file(audit_choice, item)
    return StampResult(shown, before.label, after.label, "stamped", problem)


@contextmanager
def _connected(target: Target, audit_choice: str, timeout: int | None) -> Iterator[Connection]:
    """A connection to `target` for writing alembic_version, once the audit file (if that is
    the team's choice) is known to be writable: refused before anything is written."""
    if audit_choice.startswith("file:"):
        audit.require_writable(Path(audit_choice[5:]))
    engine = connect.create(target.url, timeout=timeout)
    if engine.dialect.name == "sqlite":
        connect.immediate_transactions(engine)
    try:
        with connect.connection(engine) as conn:
            yield conn
    finally:
        engine.dispose()


def _recorded_in_file(audit_choice: str, item: audit.Entry) -> str:
    """Append the audit record to the team's file, after the commit; what went wrong, if it
    could not be (the change is committed: the caller says so, and that the record is not)."""
    if not audit_choice.startswith("file:"):
        return ""
    try:
        audit.record_in_file(Path(audit_choice[5:]), item)
    except OSError as exc:
        return f"audit record not written to {audit_choice[5:]} ({exc.strerror or exc})"
    return ""


def unstamp(
    target: Target, *, audit_choice: str = audit.DEFAULT, timeout: int | None = None
) -> StampResult:
    """Put back what alembic_version held before adopt stamped `target`, as its audit record
    says, under the stamp's database lock; refused unless the latest record of the target is
    adopt's stamp and alembic_version still reads the revision it wrote. The undoing is recorded
    in the audit too."""
    shown = target.label
    if audit_choice == "none":
        raise UsageError(
            "audit = 'none' keeps no record of adopt's stamps, so there is nothing adopt may "
            "undo; clear alembic_version by hand if you must."
        )
    with _connected(target, audit_choice, timeout) as conn:
        with conn.begin():
            _lock(conn, target)
            now = version_table.read(conn, schema=target.schema)
            database = hide_password(target.url)
            record = audit.last_entry(conn, audit_choice, database, target.schema)
            restored = _state_to_restore(record, now, shown, audit_choice)
            _restore(conn, restored, target.schema)
            item = audit.entry(
                database,
                target.schema,
                restored,
                record.fingerprint if record else "",
                before=now.label,
                action=audit.UNSTAMP,
            )
            if audit_choice == "table":
                audit.record_in_table(conn, item, target.schema)
        committed.record(f"{shown} unstamped back to {restored}")
        _unlock(conn, target)
        after = version_table.read(conn, schema=target.schema)
    if after.label != restored:
        raise AdoptError(f"Unstamping {shown} did not stick (alembic_version reads {after.label}).")
    problem = _recorded_in_file(audit_choice, item)
    return StampResult(shown, now.label, after.label, "unstamped", problem)


def _state_to_restore(
    record: audit.Entry | None, now: version_table.VersionState, shown: str, choice: str
) -> str:
    """The state to restore, or a refusal: adopt undoes only its own stamp, still in place."""
    where = "adopt_stamp_log" if choice == "table" else choice[5:]
    if record is None:
        raise UsageError(
            f"{where} holds no stamp by adopt of {shown}; adopt only undoes its own stamps."
        )
    if record.action == audit.UNSTAMP:
        raise UsageError(f"{shown} was unstamped already ({record.at}); nothing to undo.")
    if record.before is None:
        raise UsageError(
            f"The stamp of {shown} ({record.at}) was recorded by an adopt that did not keep what "
            "alembic_version held before; clear alembic_version by hand if you must."
        )
    if now.revisions != (record.revision,):
        raise UsageError(
            f"{shown} has moved on since adopt stamped it at {record.revision} ({record.at}): "
            f"alembic_version reads {now.label}. It is under migrations now; use "
            "'flask db downgrade' (or 'alembic downgrade') instead."
        )
    return record.before


def _restore(conn: Connection, state: str, schema: str | None) -> None:
    """Make alembic_version hold `state` again: absent, empty, or one revision."""
    version = Table("alembic_version", MetaData(schema=schema), Column("version_num", String(32)))
    if state == "absent":
        version.drop(conn)
        return
    conn.execute(version.delete())
    if state != "empty":
        conn.execute(version.insert().values(version_num=state))


def _lock_name(target: Target) -> str:
    return f"adopt_stamp:{target.url.database}:{target.schema or ''}"


def _lock(conn: Connection, target: Target) -> None:
    """Serialise stampers of one database (SQLite: BEGIN IMMEDIATE already holds the lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": _lock_name(target)})
    elif conn.dialect.name in ("mysql", "mariadb"):
        got = conn.execute(text("SELECT GET_LOCK(:n, 60)"), {"n": _lock_name(target)[:64]}).scalar()
        if got != 1:
            raise AdoptError(f"Another process has held the stamp lock on {target.label} for 60 s.")


def _unlock(conn: Connection, target: Target) -> None:
    # PostgreSQL's transaction-level lock ended with the commit; MySQL's is per session.
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": _lock_name(target)[:64]})
        conn.commit()


def stamp_sql(dialect_name: str, script: ScriptDirectory) -> str:
    """The SQL that stamping would run, for a DBA; nothing is connected to. It creates the
    version table if missing and inserts head only into an empty one, so it is safe to run
    twice and never adds a second row."""
    head = single_head(script)
    dialect = MigrationContext.configure(dialect_name=dialect_name).dialect
    # The same table Alembic creates (VARCHAR(32) primary key).
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    create = str(CreateTable(version, if_not_exists=True).compile(dialect=dialect)).strip()
    empty = ~exists().select_from(version)
    insert = version.insert().from_select(
        ["version_num"], select(literal(head, String(32))).where(empty)
    )
    sql = str(insert.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return f"BEGIN;\n\n{create};\n\n{sql};\n\nCOMMIT;\n"
