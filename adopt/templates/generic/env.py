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


# adopt:shared single_filters


def _engine():
    section = dict(config.get_section(config.config_ini_section, {}))
    section["sqlalchemy.url"] = _url()
    return engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)


def _configure_args():
    return {"include_name": include_name, "include_schemas": bool(_model_schemas())}


_online_args = _configure_args


# adopt:shared single_run
