"""Assertions on real databases: schemas, rows, alembic_version, leftover scratch databases."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from click.testing import Result

from adopt import schema
from adopt.cli import cli

APPS = {
    "microblog": ["--app", "microblog"],
    "inventory": ["--models", "inventory.models:Base"],
    "pgshop": ["--app", "shop"],
}


def adopt(*args: str, obj: dict[str, Any] | None = None, input: Any = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj=obj if obj is not None else {}, input=input)


def adopt_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = adopt(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def version_rows(url: str) -> list[str] | None:
    """alembic_version's rows, or None when the table does not exist."""
    e = engine(url)
    try:
        with e.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return sorted(
                r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            )
    finally:
        e.dispose()


def row_checksums(url: str) -> dict[str, str]:
    """A digest of every row of every table (alembic_version excluded), order-independent."""
    e = engine(url)
    out = {}
    try:
        with e.connect() as conn:
            md = sa.MetaData()
            md.reflect(conn)
            for table in md.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = sorted(repr(tuple(r)) for r in conn.execute(table.select()))
                out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    finally:
        e.dispose()
    return out


def snapshot(url: str) -> schema.Snapshot:
    e = engine(url)
    try:
        with e.connect() as conn:
            return schema.take(conn)
    finally:
        e.dispose()


def schema_differences(expected_url: str, actual_url: str) -> list[Any]:
    """Differences between two schemas, ignoring names the server made up (*_ibfk_N...)."""
    found = schema.compare(
        snapshot(expected_url), snapshot(actual_url), expected_label="live", actual_label="rebuilt"
    )
    return [d for d in found if not d.kind.endswith("_generated_name")]


def scratch_leftovers(url: str) -> list[str]:
    """Databases named adopt_scratch_* on the server behind url."""
    e = engine(url)
    try:
        with e.connect() as conn:
            if conn.dialect.name == "sqlite":
                return []
            if conn.dialect.name == "postgresql":
                rows = conn.exec_driver_sql(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'adopt_scratch_%%'"
                )
            else:
                rows = conn.exec_driver_sql("SHOW DATABASES LIKE 'adopt\\\\_scratch\\\\_%%'")
            return [r[0] for r in rows]
    finally:
        e.dispose()


def revision_files(project: Path, directory: str = "migrations") -> list[Path]:
    return sorted((project / directory / "versions").glob("*.py"))


def assert_no_new_scratch(url: str, before: set[str], wait: float = 20.0) -> None:
    """No adopt_scratch_* database appeared for good since `before`. Others' runs (parallel test
    sessions on the same server) may hold theirs for a moment: wait for those to go."""
    import time

    deadline = time.monotonic() + wait
    while True:
        new = set(scratch_leftovers(url)) - before
        if not new or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not new, f"scratch databases left behind: {sorted(new)}"
