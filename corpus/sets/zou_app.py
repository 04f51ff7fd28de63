"""CGWire Zou's models (every module of zou.app.models: people, projects, entities, tasks,
comments, previews, playlists, schedules, budgets, chats, notifications...; 80 tables) in a
Flask app with Flask-SQLAlchemy and Flask-Migrate registering Zou's own `db`. UUID keys
(sqlalchemy-utils' UUIDType) and its ChoiceType, EmailType, LocaleType, TimezoneType, URLType
and IPAddressType; JSONB and ARRAY columns, an Enum, 158 foreign keys, 27 link tables with
composite keys, 41 unique constraints (31 named), 3 CHECK constraints and 187 indexes.

The app is a minimal one registering zou.app's `db` and a Migrate: zou.app.create_app wires
the whole API (key-value store, indexer, mail, authentication), which a schema does not need.
Zou refuses to import with its public default SECRET_KEY outside DEBUG, so the set gives it one
unless one is set.

Dialects: Zou supports PostgreSQL only; its models use PostgreSQL's JSONB and ARRAY types."""

from __future__ import annotations

import importlib
import os
import pkgutil
import uuid

os.environ.setdefault("SECRET_KEY", "corpus-not-a-secret")

import sqlalchemy as sa
import zou.app.models
from flask import Flask
from flask_migrate import Migrate
from zou.app import db

REQUIREMENTS = ["zou==1.0.97", "flask-sqlalchemy==3.1.1", "flask-migrate==4.1.0"]
DIALECTS = ["postgresql"]
UNSUPPORTED = {
    "sqlite": "Zou supports PostgreSQL only; its models use JSONB and ARRAY columns",
    "mariadb": "Zou supports PostgreSQL only; its models use JSONB and ARRAY columns",
}
KIND = "Flask app, large application schema, UUID keys, JSONB"
FLASK = True

for _info in pkgutil.iter_modules(zou.app.models.__path__):
    importlib.import_module(f"zou.app.models.{_info.name}")

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
    conn.execute(
        db.metadata.tables["department"].insert(),
        [
            {"id": uuid.UUID(int=1), "name": "Animation", "color": "#00ff00", "archived": False},
            {"id": uuid.UUID(int=2), "name": "Modeling", "color": "#0000ff", "archived": False},
        ],
    )
