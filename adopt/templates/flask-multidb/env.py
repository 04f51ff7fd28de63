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


# adopt:shared flask_extension


def _names():
    """"" for the default database (when the app has one), then every named bind that has
    models."""
    named = sorted(key for key, md in _db().metadatas.items() if key is not None and md.tables)
    default = [""] if None in _db().engines else []
    return default + [name for name in named if name not in EXCLUDED_BINDS]


def _metadata(name):
    return _db().metadatas.get(name or None)


def _url(name):
    return _db().engines[name or None].url.render_as_string(hide_password=False)


def _connect(name):
    return _db().engines[name or None].connect()


def _configure_args(name):
    metadata = _metadata(name)
    schemas = _model_schemas(metadata)
    args = dict(getattr(_extension(), "configure_args", {}) or {})
    args.setdefault("include_name", _include_name(schemas))
    args.setdefault("include_schemas", bool(schemas))
    args["target_metadata"] = metadata
    args["upgrade_token"] = f"{name}_upgrades"
    args["downgrade_token"] = f"{name}_downgrades"
    return args


def _online_args(name):
    # As 'flask db migrate' does: no revision file when nothing changed.
    args = _configure_args(name)
    args.setdefault("process_revision_directives", _skip_empty_revisions)
    return args


def _skip_empty_revisions(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if all(ops.is_empty() for ops in script.upgrade_ops_list):
            directives[:] = []
            logger.info("No changes in schema detected.")


# adopt:shared multidb_run
