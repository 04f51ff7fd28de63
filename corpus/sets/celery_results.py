"""Celery's database result backend: the `celery_taskmeta` and `celery_tasksetmeta` models of
celery.backends.database.models, whose integer keys take explicit `sa.Sequence`s (used on
PostgreSQL) and whose results are pickled into LargeBinary columns.

Dialects: the backend runs on any SQLAlchemy database; all three."""

from __future__ import annotations

import sqlalchemy as sa
from celery.backends.database.models import ResultModelBase

REQUIREMENTS = ["celery==5.7.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library models, explicit sequences"

metadata = ResultModelBase.metadata


def seed(conn: sa.Connection) -> None:
    tasks = metadata.tables["celery_taskmeta"]
    conn.execute(
        tasks.insert(), [{"task_id": "t-1", "status": "SUCCESS", "result": b"\x80\x04K\x01."}]
    )
