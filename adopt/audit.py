"""The stamp audit trail: when, by whom, with which adopt, against which schema fingerprint.

The team chooses where it goes ([tool.adopt] audit = ...):
- "file:PATH" (default "file:adopt-stamps.jsonl"): one JSON line per stamp, in the project;
- "table": a row in adopt_stamp_log in the stamped database, in the stamp's own transaction;
- "none": no record."""

from __future__ import annotations

import getpass
import json
import os
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
from sqlalchemy.engine import Connection

from adopt import __version__
from adopt.errors import UsageError

DEFAULT = "file:adopt-stamps.jsonl"
LOG_TABLE = "adopt_stamp_log"


@dataclass(frozen=True)
class Entry:
    at: str
    user: str
    tool: str
    database: str  # password hidden
    schema: str | None
    revision: str
    fingerprint: str


def entry(database: str, schema: str | None, revision: str, fingerprint: str) -> Entry:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (some containers): say so rather than fail the stamp
        user = "unknown"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Entry(now, user, f"adopt {__version__}", database, schema, revision, fingerprint)


def validate(choice: str) -> str:
    if choice in ("table", "none") or (choice.startswith("file:") and len(choice) > 5):
        return choice
    raise UsageError(f"audit = '{choice}' is not one of 'table', 'none' or 'file:PATH'.")


def record_in_table(conn: Connection, item: Entry, schema: str | None) -> None:
    """Insert the entry in the stamp's transaction (the table is created if missing)."""
    table = Table(
        LOG_TABLE,
        MetaData(schema=schema),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("stamped_at", DateTime(timezone=True), nullable=False),
        Column("stamped_by", String(128), nullable=False),
        Column("tool", String(64), nullable=False),
        Column("revision", String(32), nullable=False),
        Column("fingerprint", String(64), nullable=False),
    )
    table.create(conn, checkfirst=True)
    conn.execute(
        table.insert().values(
            stamped_at=datetime.fromisoformat(item.at),
            stamped_by=item.user[:128],
            tool=item.tool,
            revision=item.revision,
            fingerprint=item.fingerprint,
        )
    )


def require_writable(path: Path) -> None:
    """Refuse a stamp whose audit record could not be written, before it is made. A file
    that does not exist yet is made and removed again: nothing is left if the stamp fails."""
    existed = path.exists()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not existed:
            path.unlink()
    except OSError as exc:
        raise UsageError(
            f"The audit file {path} cannot be written ({exc.strerror or exc}); fix the path or "
            "its folder's permissions, or choose audit = 'table' or 'none' in [tool.adopt]."
        ) from None
    os.close(fd)


def record_in_file(path: Path, item: Entry) -> None:
    """Append one JSON line (O_APPEND keeps concurrent short writes whole)."""
    line = json.dumps(asdict(item), sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
