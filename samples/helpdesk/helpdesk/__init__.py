"""Application factory for the helpdesk sample (two databases through binds)."""

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


def create_app(config_class: type | None = None) -> Flask:
    from config import Config

    app = Flask(__name__)
    app.config.from_object(config_class or Config)
    db.init_app(app)
    migrate.init_app(app, db)
    from helpdesk import models  # noqa: F401  (registers the tables of both databases)

    return app
