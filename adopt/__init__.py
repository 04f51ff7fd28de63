"""adopt: bring a database that was built without migrations under Alembic / Flask-Migrate."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version

try:
    __version__ = version("alembic-adopt")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
