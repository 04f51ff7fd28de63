"""Buildbot's database model: a large SQLAlchemy Core schema for the three dialects."""

from buildbot.db.model import Model

REQUIREMENTS = ["buildbot==4.3.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "large Core schema"

metadata = Model.metadata
