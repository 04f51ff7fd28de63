"""Invenio-Accounts' models (invenio_accounts.models: users, roles and the user/role link
table, login information, session activity, external identities, e-mail domains with their
organisations and categories) in a Flask app with Flask-SQLAlchemy and Flask-Migrate, on
Invenio-DB's `db`: a MetaData with a naming convention, Invenio's `UTCDateTime`
TypeDecorator, SQLAlchemy-Utils' `IPAddressType` and `ChoiceType`, a JSON column with variants
(`JSONB` on PostgreSQL, SQLAlchemy-Utils' `JSONType` on SQLite and MySQL), a named `Boolean`, a
self-referencing foreign key, `version_id` columns.

The app is a minimal one registering Invenio-DB's own `db`; an Invenio instance would build it
with invenio_base's application factory and its entry points, which this set does not need.

psycopg2 (Invenio-DB's `postgresql` extra) is required on every dialect: Invenio-Accounts
registers a `flask` command group whose module imports it, and `flask db upgrade` loads them all.

Dialects: Invenio supports PostgreSQL, MySQL and SQLite (the last for tests); all three."""

from __future__ import annotations

import datetime
import os

import invenio_accounts.models  # noqa: F401
import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from invenio_db import db

REQUIREMENTS = [
    "invenio-accounts==9.1.0",
    "invenio-db==2.6.1",
    "sqlalchemy-utils==0.41.2",
    "flask-sqlalchemy==3.1.1",
    "flask-migrate==4.1.0",
    "psycopg2-binary==2.9.13",
]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Flask app, library models, sqlalchemy-utils types, naming convention"
FLASK = True

migrate = Migrate()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CORPUS_DATABASE_URL"]
    app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
    app.config["SECRET_KEY"] = "corpus"
    db.init_app(app)
    migrate.init_app(app, db)
    return app


def seed(conn: sa.Connection) -> None:
    now = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    tables = db.metadata.tables
    conn.execute(
        tables["accounts_user"].insert(),
        [
            {
                "id": 1,
                "email": "ada@example.org",
                "active": True,
                "version_id": 1,
                "created": now,
                "updated": now,
            }
        ],
    )
    conn.execute(
        tables["accounts_role"].insert(),
        [
            {
                "id": "admin",
                "name": "admin",
                "is_managed": True,
                "version_id": 1,
                "created": now,
                "updated": now,
            }
        ],
    )
    conn.execute(tables["accounts_userrole"].insert(), [{"user_id": 1, "role_id": "admin"}])
