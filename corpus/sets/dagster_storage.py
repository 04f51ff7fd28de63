"""Dagster's SQL storages (runs, event log, schedules): SQLAlchemy Core tables."""

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
