"""APScheduler 3's SQLAlchemy job store: the `apscheduler_jobs` table (SQLAlchemy Core), made
by the job store itself as an application using it gets it.

Dialects: the job store works on any SQLAlchemy database; all three."""

from __future__ import annotations

import sqlalchemy as sa
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

REQUIREMENTS = ["apscheduler==3.11.3"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library table (Core)"

metadata: sa.MetaData = SQLAlchemyJobStore(url="sqlite://").jobs_t.metadata


def seed(conn: sa.Connection) -> None:
    jobs = metadata.tables["apscheduler_jobs"]
    conn.execute(
        jobs.insert(),
        [
            {"id": "nightly", "next_run_time": 1735700000.0, "job_state": b"\x80\x04N."},
            {"id": "paused", "next_run_time": None, "job_state": b"\x80\x04N."},
        ],
    )
