"""Buildbot's database model (buildbot.db.model.Model.metadata): a large SQLAlchemy Core schema
of 42 tables, with a foreign-key cycle closed by a use_alter key (buildsets.rebuilt_buildid),
MySQL index prefix lengths (mysql_length), MEDIUMBLOB/LONGTEXT variants, and many named
indexes.

Dialects: Buildbot supports SQLite, PostgreSQL and MySQL/MariaDB; all three."""

from __future__ import annotations

import sqlalchemy as sa
from buildbot.db.model import Model

REQUIREMENTS = ["buildbot==4.3.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "large Core schema"

metadata = Model.metadata


def seed(conn: sa.Connection) -> None:
    masters = metadata.tables["masters"]
    conn.execute(
        masters.insert(), [{"name": "m1", "name_hash": "0" * 40, "active": 1, "last_active": 0}]
    )
