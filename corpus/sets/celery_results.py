"""Celery's database result backend (explicit sa.Sequence keys)."""

from celery.backends.database.models import ResultModelBase

REQUIREMENTS = ["celery==5.7.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library models, explicit sequences"

metadata = ResultModelBase.metadata
