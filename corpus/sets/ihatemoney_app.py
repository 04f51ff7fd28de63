"""I Hate Money's models (ihatemoney.models: projects, persons, bills, the bill/ower link table,
archives) in a Flask app with Flask-SQLAlchemy and Flask-Migrate; the models are versioned with
SQLAlchemy-Continuum, so configure_mappers() adds the `transaction` table and a `*_version`
table per versioned model. Python enums stored as SQL enums (native types on PostgreSQL and
MariaDB, one with a server default), `sqlite_autoincrement` tables, a composite-key link table.

The app is a minimal one registering ihatemoney's own `db`: ihatemoney.run.create_app upgrades
the database with its own migrations at start-up, which a legacy database built with
`create_all` has never had.

Dialects: I Hate Money supports SQLite, PostgreSQL and MySQL/MariaDB; all three."""

from __future__ import annotations

import datetime
import os

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from ihatemoney.models import Bill
from ihatemoney.models import BillType
from ihatemoney.models import Person
from ihatemoney.models import Project
from ihatemoney.models import db
from ihatemoney.versioning import LoggingMode

REQUIREMENTS = [
    "ihatemoney==7.2.1",
    "sqlalchemy-continuum==1.5.2",
    "flask-sqlalchemy==3.1.1",
    "flask-migrate==4.1.0",
]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Flask app, application models, generated version tables, enums"
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
    conn.execute(
        sa.insert(Project.__table__),
        [
            {
                "id": "trip",
                "name": "Trip",
                "password": "x",
                "contact_email": "ada@example.org",
                "logging_preference": LoggingMode.ENABLED,
                "default_currency": "EUR",
            }
        ],
    )
    conn.execute(
        sa.insert(Person.__table__),
        [
            {"project_id": "trip", "name": "Ada", "weight": 1.0, "activated": True},
            {"project_id": "trip", "name": "Bob", "weight": 2.0, "activated": True},
        ],
    )
    day = datetime.date(2024, 1, 2)
    conn.execute(
        sa.insert(Bill.__table__),
        [
            {
                "payer_id": 1,
                "amount": 12.5,
                "date": day,
                "creation_date": day,
                "what": "lunch",
                "bill_type": BillType.EXPENSE,
                "original_currency": "EUR",
                "converted_amount": 12.5,
            }
        ],
    )
