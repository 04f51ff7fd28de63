"""Alembic environment for a Flask-SQLAlchemy app with several databases (binds), in
Flask-Migrate's multidb layout (written by adopt).

`flask db upgrade/current/history/migrate` use it through Flask-Migrate: every database gets
its own alembic_version, and each revision has an upgrade_<bind>() per database ("" is the
default one). `adopt` runs it with its own connections, so that no other database is opened."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

# Binds that these migrations leave alone: never compared, migrated or stamped.
EXCLUDED_BINDS = set()

# Tables in the databases that these migrations do not manage; autogenerate never proposes to
# create or drop them. adopt writes this list when it is asked to exclude unmanaged tables.
UNMANAGED_TABLES = set()


def _extension():
    # Flask-Migrate's extension when the app registers it, else Flask-SQLAlchemy's.
    return current_app.extensions.get("migrate") or current_app.extensions["sqlalchemy"]


def _db():
    ext = _extension()
    return getattr(ext, "db", ext)


def _bind_names():
    """"" for the default database (when the app has one), then every named bind that has
    models."""
    named = sorted(key for key, md in _db().metadatas.items() if key is not None and md.tables)
    default = [""] if None in _db().engines else []
    return default + [name for name in named if name not in EXCLUDED_BINDS]


def _metadata(name):
    return _db().metadatas.get(name or None)


def _engine(name):
    return _db().engines[name or None]


def _configure_args(name):
    metadata = _metadata(name)
    schemas = {t.schema for t in metadata.tables.values() if t.schema} if metadata else set()

    def include_name(object_name, type_, parent_names):
        # The default schema and the schemas this bind's models use, never the unmanaged
        # tables ("schema.table" outside the default schema).
        if type_ == "schema":
            return object_name is None or object_name in schemas
        if type_ == "table":
            schema = parent_names.get("schema_name")
            qualified = f"{schema}.{object_name}" if schema else object_name
            return qualified not in UNMANAGED_TABLES
        return True

    args = dict(getattr(_extension(), "configure_args", {}) or {})
    args.setdefault("include_name", include_name)
    args.setdefault("include_schemas", bool(schemas))
    args["target_metadata"] = metadata
    args["upgrade_token"] = f"{name}_upgrades"
    args["downgrade_token"] = f"{name}_downgrades"
    return args


def _skip_empty_revisions(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if all(ops.is_empty() for ops in script.upgrade_ops_list):
            directives[:] = []
            logger.info("No changes in schema detected.")


def run_migrations_offline():
    # One SQL file per database, as Flask-Migrate's multidb env.py writes them.
    for name in _bind_names():
        with open(f"{name}.sql", "w") as buffer:
            context.configure(
                url=_engine(name).url.render_as_string(hide_password=False),
                output_buffer=buffer,
                literal_binds=True,
                **_configure_args(name),
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online():
    given = config.attributes.get("connection")
    if given is not None:  # adopt: it hands each bind's configure() its own connection
        for name in _bind_names():
            context.configure(connection=given, **_configure_args(name))
            context.run_migrations(engine_name=name)
        return
    # Every database in one transaction each, committed together at the end.
    open_ = {}
    try:
        for name in _bind_names():
            connection = _engine(name).connect()
            open_[name] = (connection, connection.begin())
        for name, (connection, _transaction) in open_.items():
            logger.info("Migrating database %s", name or "<default>")
            args = _configure_args(name)
            args.setdefault("process_revision_directives", _skip_empty_revisions)
            context.configure(connection=connection, **args)
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
