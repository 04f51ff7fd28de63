"""Optuna's RDB storage models (optuna.storages._rdb.models): studies, trials, their
parameters, values and attributes, version info; Python enums stored as SQL enums (native ENUM
types on PostgreSQL and MariaDB), many foreign keys and unique constraints.

Dialects: Optuna's RDB storage supports SQLite, PostgreSQL and MySQL; all three."""

from __future__ import annotations

import sqlalchemy as sa
from optuna.storages._rdb.models import BaseModel

REQUIREMENTS = ["optuna==5.1.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library models, enums"

metadata = BaseModel.metadata


def seed(conn: sa.Connection) -> None:
    conn.execute(metadata.tables["studies"].insert(), [{"study_id": 1, "study_name": "s"}])
    conn.execute(
        metadata.tables["study_directions"].insert(),
        [{"study_direction_id": 1, "direction": "MINIMIZE", "study_id": 1, "objective": 0}],
    )
