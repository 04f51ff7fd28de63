"""Flask-Dance's SQLAlchemy token storage (OAuthConsumerMixin) in a Flask app with
Flask-SQLAlchemy and Flask-Migrate, as its documentation sets it up: a User model and an OAuth
model holding each user's tokens (a JSON column, a timestamp default, a foreign key).

Dialects: Flask-Dance stores through Flask-SQLAlchemy, so every database it supports."""

from __future__ import annotations

import datetime
import os

import sqlalchemy as sa
from flask import Flask
from flask_dance.consumer.storage.sqla import OAuthConsumerMixin
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

REQUIREMENTS = ["flask-dance[sqla]==7.1.0", "flask-sqlalchemy==3.1.1", "flask-migrate==4.1.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Flask app, library mixin"
FLASK = True

db = SQLAlchemy()
migrate = Migrate()


class User(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(256), unique=True, nullable=False)
    email = db.Column(db.String(256), unique=True)


class OAuth(OAuthConsumerMixin, db.Model):  # type: ignore[name-defined,misc]
    provider_user_id = db.Column(db.String(256), unique=True, nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey(User.id), nullable=False)
    user = db.relationship(User)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["CORPUS_DATABASE_URL"]
    app.config["SECRET_KEY"] = "corpus"
    db.init_app(app)
    migrate.init_app(app, db)
    return app


def seed(conn: sa.Connection) -> None:
    conn.execute(sa.insert(User.__table__), [{"username": "ada", "email": "ada@example.org"}])
    conn.execute(
        sa.insert(OAuth.__table__),
        [
            {
                "provider": "github",
                "provider_user_id": "1",
                "user_id": 1,
                "token": {"access_token": "x", "token_type": "bearer"},
                "created_at": datetime.datetime(2024, 1, 2, 3, 4, 5),
            }
        ],
    )
