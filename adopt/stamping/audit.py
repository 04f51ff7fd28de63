"""The stamp audit trail: when, by whom, with which adopt, against which schema fingerprint,
and what alembic_version held before (so that `adopt unstamp` can put it back).

The team chooses where it goes ([tool.adopt] audit = ...):
- "file:PATH" (default "file:adopt-stamps.jsonl"): one JSON line per stamp, in the project;
- "table": a row in adopt_stamp_log in the stamped database, in the stamp's own transaction;
- "none": no record."""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from dataclasses import asdict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection

from adopt import __version__
from adopt.errors import UsageError

DEFAULT = "file:adopt-stamps.jsonl"
LOG_TABLE = "adopt_stamp_log"
STAMP, UNSTAMP = "stamp", "unstamp"
# Columns added after the table's first version: added to an older table when it is written.
_LATER_COLUMNS = {"action": "VARCHAR(16)", "revision_before": "VARCHAR(32)"}


@dataclass(frozen=True)
class Entry:
    at: str
    user: str
    tool: str
    database: str  # password hidden
    schema: str | None
    revision: str  # what alembic_version holds after: the revision, "absent" or "empty"
    fingerprint: str
    action: str = STAMP
    # What alembic_version held before: "absent", "empty" or a revision. None in the records
    # of adopt versions that did not keep it: such a stamp cannot be undone by adopt.
    before: str | None = None


def entry(
    database: str,
    schema: str | None,
    revision: str,
    fingerprint: str,
    *,
    before: str | None = None,
    action: str = STAMP,
) -> Entry:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (some containers): say so rather than fail the stamp
        user = "unknown"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Entry(
        now, user, f"adopt {__version__}", database, schema, revision, fingerprint, action, before
    )


def validate(choice: str) -> str:
    if choice in ("table", "none") or (choice.startswith("file:") and len(choice) > 5):
        return choice
    raise UsageError(f"audit = '{choice}' is not one of 'table', 'none' or 'file:PATH'.")


def _log_table(schema: str | None) -> Table:
    return Table(
        LOG_TABLE,
        MetaData(schema=schema),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("stamped_at", DateTime(timezone=True), nullable=False),
        Column("stamped_by", String(128), nullable=False),
        Column("tool", String(64), nullable=False),
        Column("revision", String(32), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("action", String(16), nullable=True),
        Column("revision_before", String(32), nullable=True),
    )


def record_in_table(conn: Connection, item: Entry, schema: str | None) -> None:
    """Insert the entry in the stamp's transaction (the table is created if missing)."""
    table = _log_table(schema)
    if inspect(conn).has_table(LOG_TABLE, schema=schema):
        _add_later_columns(conn, table, schema)
    else:
        table.create(conn)
    conn.execute(
        table.insert().values(
            stamped_at=datetime.fromisoformat(item.at),
            stamped_by=item.user[:128],
            tool=item.tool,
            revision=item.revision,
            fingerprint=item.fingerprint,
            action=item.action,
            revision_before=item.before,
        )
    )


def _add_later_columns(conn: Connection, table: Table, schema: str | None) -> None:
    """A table an older adopt created lacks the columns that came later: add them (nullable)."""
    have = {c["name"] for c in inspect(conn).get_columns(LOG_TABLE, schema=schema)}
    name = conn.dialect.identifier_preparer.format_table(table)
    for column, kind in _LATER_COLUMNS.items():
        if column not in have:
            conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {column} {kind}"))


def last_entry(conn: Connection, choice: str, database: str, schema: str | None) -> Entry | None:
    """The latest record of `database` (password hidden) in the audit the team chose."""
    if choice.startswith("file:"):
        return _last_in_file(Path(choice[5:]), database, schema)
    if choice == "table":
        return _last_in_table(conn, database, schema)
    return None


def _last_in_file(path: Path, database: str, schema: str | None) -> Entry | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    found = None
    known = set(Entry.__dataclass_fields__)
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short by a crash: the others still count
            continue
        if record.get("database") == database and record.get("schema") == schema:
            found = Entry(**{k: v for k, v in record.items() if k in known})
    return found


def _last_in_table(conn: Connection, database: str, schema: str | None) -> Entry | None:
    if not inspect(conn).has_table(LOG_TABLE, schema=schema):
        return None
    table = _log_table(schema)
    have = {c["name"] for c in inspect(conn).get_columns(LOG_TABLE, schema=schema)}
    columns = [c for c in table.columns if c.name in have]
    row = conn.execute(select(*columns).order_by(table.c.id.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    return Entry(
        at=str(row["stamped_at"]),
        user=row["stamped_by"],
        tool=row["tool"],
        database=database,  # the table lives in the database it records
        schema=schema,
        revision=row["revision"],
        fingerprint=row["fingerprint"],
        action=row.get("action") or STAMP,
        before=row.get("revision_before"),
    )


def require_writable(path: Path) -> None:
    """Refuse a stamp whose audit record could not be written, before it is made. The file
    itself is never made here: another stamp (a thread of this run, another job) may be
    appending to it at the same moment, and a file made and removed again could take its
    record along. Where it does not exist yet, a file of adopt's own is made beside it and
    removed: the folder takes new files, so the record can be written."""
    try:
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        else:
            fd, probe = tempfile.mkstemp(prefix=".adopt-audit-", dir=path.parent)
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"The audit file {path} cannot be written ({exc.strerror or exc}); fix the path or "
            "its folder's permissions, or choose audit = 'table' or 'none' in [tool.adopt]."
        ) from None


def record_in_file(path: Path, item: Entry) -> None:
    """Append one JSON line (O_APPEND keeps concurrent short writes whole)."""
    line = json.dumps(asdict(item), sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
