"""Flask-Security-Too's fsqla_v3 models on a Flask-SQLAlchemy `db` (users, roles, WebAuthn)."""

from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

REQUIREMENTS = ["flask-security-too==5.9.2", "flask-sqlalchemy>=3.1"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "Flask-SQLAlchemy models"

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
    pass


class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
    pass


class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):  # type: ignore[name-defined,misc]
    pass


metadata = db.metadata
