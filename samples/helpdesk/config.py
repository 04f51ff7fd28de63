"""Configuration for the helpdesk sample: tickets in the main database, the audit trail in a
second one (a Flask-SQLAlchemy bind)."""

import os

basedir = os.path.abspath(os.path.dirname(__file__))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "legacy-sample-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(
        basedir, "helpdesk.db"
    )
    SQLALCHEMY_BINDS = {
        "audit": os.environ.get("AUDIT_DATABASE_URL")
        or "sqlite:///" + os.path.join(basedir, "audit.db"),
    }
