"""Optuna's RDB storage models (studies, trials, enums, many foreign keys)."""

from optuna.storages._rdb.models import BaseModel

REQUIREMENTS = ["optuna==5.1.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library models, enums"

metadata = BaseModel.metadata
