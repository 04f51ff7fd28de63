"""Prefect's server ORM models (prefect.server.database.orm_models: flows, flow and task runs
and their states, deployments, schedules, blocks, work pools and queues, artifacts, variables,
automations, events...): 35 tables under one naming convention, Prefect's own TypeDecorators
(UUID as CHAR(36) on SQLite and UUID on PostgreSQL, Timestamp, JSON as JSONB on PostgreSQL),
server defaults computed by SQL functions, partial indexes (`postgresql_where`/`sqlite_where`),
descending and covering (`postgresql_include`) indexes, indexes made for one dialect only
(`.ddl_if(dialect=...)`), GIN indexes.

Prefect never builds these models with `create_all` (it runs its own Alembic migrations, one
history per dialect), and as they stand they cannot be: `artifact.key` is declared with
`index=True` and again with an explicit `Index("ix_artifact__key")`, the same name twice; and the
trigram indexes on `name` (`trgm_ix_*`, PostgreSQL only) are declared as plain GIN indexes on a
varchar, which PostgreSQL refuses without an operator class (Prefect's migrations make them with
`gin_trgm_ops` after `CREATE EXTENSION pg_trgm`, an extension a baseline from the models does not
carry). The set keeps one `ix_artifact__key` and leaves the trigram indexes out.

PREFECT_HOME points at a temporary folder, so that importing Prefect writes nothing in the
home folder.

Dialects: Prefect's server supports SQLite and PostgreSQL; both."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="corpus-prefect-"))

import sqlalchemy as sa
from prefect.server.database.orm_models import Base

REQUIREMENTS = ["prefect==3.9.1"]
DIALECTS = ["sqlite", "postgresql"]
UNSUPPORTED = {"mariadb": "Prefect's server supports SQLite and PostgreSQL only"}
KIND = "library ORM models, TypeDecorators, partial and dialect-only indexes"

metadata = Base.metadata

for _table in metadata.tables.values():
    _seen: set[str] = set()
    for _index in sorted(_table.indexes, key=lambda i: bool(i.kwargs)):
        if _index.name in _seen or str(_index.name).startswith("trgm_ix_"):
            _table.indexes.discard(_index)
        _seen.add(str(_index.name))


def seed(conn: sa.Connection) -> None:
    conn.execute(metadata.tables["flow"].insert(), [{"name": "corpus-flow"}])
