"""GNU Mailman 3 core's database model: every module of mailman.model imported, so that the
declarative base mailman.database.model.Model holds all of its 24 tables (mailing lists,
members, addresses, users, preferences, pending requests, bans, bounce events, templates...).
Its own TypeDecorators: an integer-backed Enum, a UUID that is native on PostgreSQL and CHAR(32)
elsewhere, and Unicode types that `@compiles` turns into `VARCHAR(n) COLLATE utf8_bin` on
MySQL/MariaDB; many foreign keys and indexes.

Dialects: Mailman supports SQLite, PostgreSQL and MySQL/MariaDB; all three."""

from __future__ import annotations

import importlib
import pkgutil

import mailman.model
import sqlalchemy as sa
from mailman.database.model import Model

REQUIREMENTS = ["mailman==3.3.10"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "application models, library types, @compiles types"

for _module in pkgutil.iter_modules(mailman.model.__path__):
    importlib.import_module(f"mailman.model.{_module.name}")
sa.orm.configure_mappers()

metadata = Model.metadata


def seed(conn: sa.Connection) -> None:
    conn.execute(
        metadata.tables["domain"].insert(),
        [{"id": 1, "mail_host": "example.org", "description": "corpus"}],
    )
    conn.execute(metadata.tables["language"].insert(), [{"id": 1, "code": "en"}])
