"""MLflow's tracking-server models: the tracking store's (mlflow.store.tracking.dbmodels.models:
experiments, runs, metrics, params, tags, traces, logged models, datasets, scorers, jobs...),
the model registry's and the workspaces' (mlflow.store.model_registry.dbmodels.models and
mlflow.store.workspace.dbmodels.models), which share one declarative Base, as MLflow's own
migrations env.py and one database hold them: 70 tables, CHECK constraints, Enum columns,
composite keys and cascading composite foreign keys, BigInteger timestamps.

MLflow never builds these models with `create_all` (it creates its first tables and runs its
Alembic migrations), and as they stand they cannot be: two indexes are declared without a column
(`index_trace_tags_request_id`, `index_trace_request_metadata_request_id`: `CREATE INDEX ... ()`
on every dialect), and `input_tags.input_uuid` carries a foreign key to `inputs.input_uuid`,
which is neither unique nor a key (PostgreSQL and MariaDB refuse it). The set mends the models
as MLflow's migrations make the tables: the two indexes on `request_id`, and no foreign key
from `input_tags` (only the ORM's join used it).

Dialects: MLflow's SQL store supports SQLite, PostgreSQL, MySQL and MSSQL; the first three.
SQLAlchemy and Alembic come from adopt's own requirements (mlflow-skinny does not require them)."""

from __future__ import annotations

import mlflow.store.model_registry.dbmodels.models
import mlflow.store.tracking.dbmodels.models
import mlflow.store.workspace.dbmodels.models  # noqa: F401
import sqlalchemy as sa
from mlflow.store.db.base_sql_model import Base

REQUIREMENTS = ["mlflow-skinny==3.18.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library ORM models, CHECK constraints"

sa.orm.configure_mappers()  # the ORM's joins settled before the foreign key goes
metadata = Base.metadata

for _table in metadata.tables.values():
    for _index in [i for i in _table.indexes if not i.expressions]:
        _table.indexes.discard(_index)
        sa.Index(_index.name, _table.c.request_id, unique=_index.unique)

_tags = metadata.tables["input_tags"]
for _fk in [fk for fk in _tags.foreign_key_constraints if fk.referred_table.name == "inputs"]:
    _tags.constraints.discard(_fk)
    _tags.foreign_keys.difference_update(_fk.elements)
    for _column in _fk.columns:
        _column.foreign_keys.difference_update(_fk.elements)


def seed(conn: sa.Connection) -> None:
    conn.execute(
        metadata.tables["experiments"].insert(),
        [{"experiment_id": 0, "name": "Default", "artifact_location": "mlruns/0"}],
    )
    conn.execute(
        metadata.tables["registered_models"].insert(),
        [{"name": "corpus-model", "creation_time": 0, "last_updated_time": 0}],
    )
