"""Dagster's SQL storages: the SQLAlchemy Core tables of its run storage, event log storage and
schedule storage (dagster._core.storage.*.schema), gathered into one MetaData as a single
database holds them; BigInteger keys with a SQLite variant, many indexes (some with MySQL
prefix lengths), server defaults.

Dialects: Dagster's storages run on SQLite, PostgreSQL and MySQL; all three."""

from __future__ import annotations

import sqlalchemy as sa
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.runs.schema import RunStorageSqlMetadata
from dagster._core.storage.schedules.schema import ScheduleStorageSqlMetadata

REQUIREMENTS = ["dagster==1.13.29"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Core tables of three storages"

metadata = sa.MetaData()
for source in (RunStorageSqlMetadata, SqlEventLogStorageMetadata, ScheduleStorageSqlMetadata):
    for table in source.tables.values():
        table.to_metadata(metadata)


def seed(conn: sa.Connection) -> None:
    conn.execute(metadata.tables["kvs"].insert(), [{"key": "corpus", "value": "1"}])
