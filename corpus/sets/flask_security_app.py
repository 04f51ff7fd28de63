"""Flask-Security-Too's fsqla_v3 models (users, roles, their link table, WebAuthn credentials)
in a Flask app with Flask-SQLAlchemy and Flask-Migrate, as its quickstart sets them up.

Dialects: Flask-Security-Too's SQLAlchemy datastore supports all three."""

from __future__ import annotations

import datetime
import os

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_security import Security
from flask_security import SQLAlchemyUserDatastore
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

REQUIREMENTS = [
    "flask-security-too==5.9.2",
    "flask-sqlalchemy==3.1.1",
    "flask-migrate==4.1.0",
]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Flask app, library models"
FLASK = True

db = SQLAlchemy()
migrate = Migrate()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
    pass


class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
    pass


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):  # type: ignore[name-defined,misc]
    pass


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CORPUS_DATABASE_URL"]
    app.config["SECRET_KEY"] = "corpus"
    app.config["SECURITY_PASSWORD_SALT"] = "corpus"
    db.init_app(app)
    migrate.init_app(app, db)
    Security(app, SQLAlchemyUserDatastore(db, User, Role))
    return app


def seed(conn: sa.Connection) -> None:
    now = datetime.datetime(2024, 1, 2, 3, 4, 5)
    conn.execute(sa.insert(Role.__table__), [{"name": "admin", "update_datetime": now}])
    conn.execute(
        sa.insert(User.__table__),
        [
            {
                "email": "ada@example.org",
                "password": "$plain$x",
                "active": True,
                "fs_uniquifier": "u1",
                "create_datetime": now,
                "update_datetime": now,
            }
        ],
    )
    conn.execute(sa.insert(fsqla.FsModels.roles_users), [{"user_id": 1, "role_id": 1}])
