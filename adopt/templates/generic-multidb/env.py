"""Alembic environment for a plain SQLAlchemy project with several databases (written by adopt).

DATABASES below names each database ("" is the default one), the models it holds and the
environment variable its URL comes from; without that variable, sqlalchemy.url in alembic.ini's
section of that name ([alembic] for the default database), which holds no passwords. Every
database gets its own alembic_version. `adopt` runs this file with its own connections."""

import importlib
import logging
import operator
from logging.config import fileConfig

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy import engine_from_config
from sqlalchemy import pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

# name -> (models as module:attribute, environment variable holding the URL)
DATABASES = {databases}

# Databases these migrations leave alone: never compared, migrated or stamped.
EXCLUDED_BINDS = set()

# Tables in the databases that these migrations do not manage; autogenerate never proposes to
# create or drop them. adopt writes this list when it is asked to exclude unmanaged tables.
UNMANAGED_TABLES = set()


def _names():
    return [name for name in DATABASES if name not in EXCLUDED_BINDS]


def _metadata(name):
    module, _, attribute = DATABASES[name][0].partition(":")
    found = operator.attrgetter(attribute)(importlib.import_module(module))
    return found if isinstance(found, MetaData) else found.metadata


def _url(name):
    import os

    section = name or config.config_ini_section
    return os.environ.get(DATABASES[name][1]) or config.get_section_option(
        section, "sqlalchemy.url"
    )


def _connect(name):
    url = {"sqlalchemy.url": _url(name)}
    return engine_from_config(url, prefix="sqlalchemy.", poolclass=pool.NullPool).connect()


def _configure_args(name):
    metadata = _metadata(name)
    schemas = _model_schemas(metadata)
    return {
        "target_metadata": metadata,
        "include_name": _include_name(schemas),
        "include_schemas": bool(schemas),
        "upgrade_token": f"{name}_upgrades",
        "downgrade_token": f"{name}_downgrades",
    }


_online_args = _configure_args


# adopt:shared multidb_run
