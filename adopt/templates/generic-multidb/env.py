"""Alembic environment for a plain SQLAlchemy project with several databases (written by adopt).

DATABASES below names each database ("" is the default one), the models it holds and the
environment variable its URL comes from; without that variable, sqlalchemy.url in alembic.ini's
section of that name ([alembic] for the default database), which holds no passwords. Every
database gets its own alembic_version. `adopt` runs this file with its own connections."""

import importlib
import operator
from logging.config import fileConfig

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy import engine_from_config
from sqlalchemy import pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

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


def _configure_args(name):
    metadata = _metadata(name)
    schemas = {t.schema for t in metadata.tables.values() if t.schema}

    def include_name(object_name, type_, parent_names):
        # The default schema and the schemas this database's models use, never the
        # unmanaged tables ("schema.table" outside the default schema).
        if type_ == "schema":
            return object_name is None or object_name in schemas
        if type_ == "table":
            schema = parent_names.get("schema_name")
            qualified = f"{schema}.{object_name}" if schema else object_name
            return qualified not in UNMANAGED_TABLES
        return True

    return {
        "target_metadata": metadata,
        "include_name": include_name,
        "include_schemas": bool(schemas),
        "upgrade_token": f"{name}_upgrades",
        "downgrade_token": f"{name}_downgrades",
    }


def run_migrations_offline():
    # One SQL file per database, named after it ("" is the default database: .sql).
    for name in _names():
        with open(f"{name}.sql", "w") as buffer:
            context.configure(
                url=_url(name), output_buffer=buffer, literal_binds=True, **_configure_args(name)
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online():
    given = config.attributes.get("connection")
    if given is not None:  # adopt: it hands each database's configure() its own connection
        for name in _names():
            context.configure(connection=given, **_configure_args(name))
            context.run_migrations(engine_name=name)
        return
    # Every database in one transaction each, committed together at the end.
    open_ = {}
    try:
        for name in _names():
            engine = engine_from_config(
                {"sqlalchemy.url": _url(name)}, prefix="sqlalchemy.", poolclass=pool.NullPool
            )
            connection = engine.connect()
            open_[name] = (connection, connection.begin())
        for name, (connection, _transaction) in open_.items():
            context.configure(connection=connection, **_configure_args(name))
            context.run_migrations(engine_name=name)
        for _connection, transaction in open_.values():
            transaction.commit()
    except BaseException:
        for _connection, transaction in open_.values():
            transaction.rollback()
        raise
    finally:
        for connection, _transaction in open_.values():
            connection.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
