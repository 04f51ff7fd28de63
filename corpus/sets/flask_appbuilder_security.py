"""Flask-AppBuilder's security models (users, roles, permissions, views, their link tables,
registration requests, API keys when the version has them) in a Flask app made as its
documentation shows for 5.x: Flask-SQLAlchemy's `SQLAlchemy(model_class=Model)`,
`AppBuilder(app, db.session)`, and Flask-Migrate. Twelve `ab_*` tables with explicit
`sa.Sequence` keys (used on PostgreSQL) and several link tables. The app itself writes its
default roles and permissions at start-up: those are the rows. It also calls
`Model.metadata.create_all` at start-up (FAB_CREATE_DB), turned off for the replay.

Dialects: Flask-AppBuilder supports SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

import os

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

REQUIREMENTS = ["flask-appbuilder==5.3.0", "flask-sqlalchemy==3.1.1", "flask-migrate==4.1.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Flask app, library models, explicit sequences"
FLASK = True

db = SQLAlchemy(model_class=Model)
migrate = Migrate()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CORPUS_DATABASE_URL"]
    app.config["SECRET_KEY"] = "corpus"
    # A legacy FAB app builds its tables at start-up (Model.metadata.create_all); once it has
    # migrations it turns that off, as Superset does: the corpus's replay step says so.
    app.config["FAB_CREATE_DB"] = os.environ.get("CORPUS_REPLAY") != "1"
    db.init_app(app)
    migrate.init_app(app, db)
    with app.app_context():
        AppBuilder(app, db.session)
    return app
