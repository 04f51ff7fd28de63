"""Reading the alembic_version table without creating it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from adopt.errors import UsageError
from adopt.errors import privilege_missing
from adopt.reading.schema import VERSION_TABLE


@dataclass(frozen=True)
class VersionState:
    exists: bool
    revisions: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if not self.exists:
            return "absent"
        if not self.revisions:
            return "empty"
        if len(self.revisions) > 1:
            return "several rows: " + ", ".join(self.revisions)
        return self.revisions[0]


def read(conn: Connection, table: str = VERSION_TABLE, schema: str | None = None) -> VersionState:
    insp = inspect(conn)
    if not insp.has_table(table, schema=schema):
        return VersionState(False)
    columns = {c["name"] for c in insp.get_columns(table, schema=schema)}
    if "version_num" not in columns:
        raise UsageError(
            f"The {table} table here has no version_num column, so it is not Alembic's; "
            "rename that table, or give this project another version_table."
        )
    quoted = conn.dialect.identifier_preparer.quote(table)
    if schema:
        quoted = f"{conn.dialect.identifier_preparer.quote_schema(schema)}.{quoted}"
    try:
        rows = conn.execute(text(f"SELECT version_num FROM {quoted}")).scalars().all()
    except DBAPIError as exc:
        # A user who may not read it is told so, not that the connection failed.
        missing = privilege_missing(exc, "SELECT")
        if missing is None:
            raise
        raise missing from None
    return VersionState(True, tuple(sorted(str(r) for r in rows)))
