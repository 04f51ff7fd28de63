"""Apache Airflow's metadata-database models (airflow.models.base.Base.metadata after
airflow.models.import_all_models(), as Airflow's own migrations env.py gathers them): 57 tables
of DAGs, runs, task instances, assets, deadlines, XComs, connections, pools...; UtcDateTime,
ExtendedJSON and ExecutorConfigType TypeDecorators, Uuid keys, MySQL type variants, composite
foreign keys, 56 indexes (a descending one, partial ones with postgresql_where and
sqlite_where) and named unique constraints.

Dialects: Airflow supports SQLite, PostgreSQL and MySQL, and says it does not support MariaDB;
SQLite and PostgreSQL. Importing Airflow writes a config and a logs folder under AIRFLOW_HOME,
so the set points it at a temporary folder unless one is set."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="corpus-airflow-"))

import airflow.models
import sqlalchemy as sa
from airflow.models.base import Base

REQUIREMENTS = ["apache-airflow-core==3.3.2"]
DIALECTS = ["sqlite", "postgresql"]
UNSUPPORTED = {
    "mariadb": (
        "Airflow does not support MariaDB; and its ID columns get the utf8mb3_bin collation "
        "only when its configured connection is MySQL, which the set's import cannot know: "
        "without it create_all fails (key too long, 3072 bytes)"
    ),
}
KIND = "large ORM schema"

airflow.models.import_all_models()
metadata = Base.metadata


def seed(conn: sa.Connection) -> None:
    conn.execute(
        metadata.tables["slot_pool"].insert(),
        [{"id": 1, "pool": "default_pool", "slots": 128, "include_deferred": False}],
    )
    conn.execute(metadata.tables["variable"].insert(), [{"id": 1, "key": "corpus", "val": "1"}])
