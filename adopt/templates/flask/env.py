"""Alembic environment for a Flask-SQLAlchemy app, in Flask-Migrate's layout (written by adopt).

`flask db upgrade/current/history/migrate` use it through Flask-Migrate. `adopt` runs it with its
own connection in config.attributes["connection"], so that no other database is opened."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.engine import Engine

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")


def _extension():
    # Flask-Migrate's extension when the app registers it, else Flask-SQLAlchemy's.
    return current_app.extensions.get("migrate") or current_app.extensions["sqlalchemy"]


def _db():
    ext = _extension()
    return getattr(ext, "db", ext)


def _configure_args():
    args = dict(getattr(_extension(), "configure_args", {}) or {})
    args.setdefault("include_name", include_name)
    args.setdefault("include_schemas", bool(_model_schemas()))
    return args


target_metadata = _db().metadata
# Keep the URL out of alembic.ini: it comes from the app's configuration at run time.
config.set_main_option(
    "sqlalchemy.url",
    _db().engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


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


def _skip_empty_revisions(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        **_configure_args(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    args = _configure_args()
    args.setdefault("process_revision_directives", _skip_empty_revisions)
    given = config.attributes.get("connection")
    # A caller may hand over its connection (adopt does), or an engine (pytest-alembic does).
    if given is not None and not isinstance(given, Engine):
        _run(given, args)
        return
    with (given or _db().engine).connect() as connection:
        _run(connection, args)


def _run(connection, args):
    context.configure(connection=connection, target_metadata=target_metadata, **args)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
