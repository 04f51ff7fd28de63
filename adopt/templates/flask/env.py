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


# adopt:shared flask_extension


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


# adopt:shared single_filters


def _skip_empty_revisions(context, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _url():
    return config.get_main_option("sqlalchemy.url")


def _engine():
    return _db().engine


def _online_args():
    # As 'flask db migrate' does: no revision file when nothing changed.
    args = _configure_args()
    args.setdefault("process_revision_directives", _skip_empty_revisions)
    return args


# adopt:shared single_run
