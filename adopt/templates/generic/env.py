"""Alembic environment for a plain SQLAlchemy project (written by adopt).

The database URL comes from the DATABASE_URL environment variable, else from sqlalchemy.url in
alembic.ini (kept free of passwords). `adopt` runs it with its own connection in
config.attributes["connection"], so that no other database is opened."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config
from sqlalchemy import pool
from sqlalchemy.engine import Engine

{models_import}

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = {metadata_expr}


def _url():
    return os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")


# Tables in the database that these migrations do not manage; autogenerate never proposes to
# create or drop them. adopt writes this list when it is asked to exclude unmanaged tables.
UNMANAGED_TABLES = set()


def include_name(name, type_, parent_names):
    # Compare the default schema and the schemas the models use, nothing else; and never
    # the unmanaged tables ("schema.table" outside the default schema).
    if type_ == "schema":
        return name is None or name in _model_schemas()
    if type_ == "table":
        schema = parent_names.get("schema_name")
        return (f"{schema}.{name}" if schema else name) not in UNMANAGED_TABLES
    return True


def _model_schemas():
    return {t.schema for t in target_metadata.tables.values() if t.schema}


def run_migrations_offline():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      include_name=include_name, include_schemas=bool(_model_schemas()))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    given = config.attributes.get("connection")
    # A caller may hand over its connection (adopt does), or an engine (pytest-alembic does).
    if given is not None and not isinstance(given, Engine):
        _run(given)
        return
    if given is None:
        section = dict(config.get_section(config.config_ini_section, {}))
        section["sqlalchemy.url"] = _url()
        given = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with given.connect() as connection:
        _run(connection)


def _run(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      include_name=include_name,
                      include_schemas=bool(_model_schemas()))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
