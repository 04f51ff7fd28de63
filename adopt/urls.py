"""Database URLs: parsing, password hiding and driver fallbacks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adopt.errors import UsageError

# SQLAlchemy's default driver for a bare dialect name, and the one `adopt` installs as an extra.
_DRIVER_FALLBACKS = {
    "postgresql": ("psycopg2", "psycopg"),
    "mysql": ("MySQLdb", "pymysql"),
    "mariadb": ("MySQLdb", "pymysql"),
}


def parse_url(text: str | URL) -> URL:
    """Parse a URL, preferring an installed driver when none is named."""
    if isinstance(text, URL):
        url = text
    else:
        try:
            url = make_url(text.strip())
        except (ArgumentError, ValueError):
            # ValueError: a password with a bare '@', ':' or '/' breaks the host:port parse.
            raise UsageError(
                f"'{_mask_raw(text)}' is not a database URL; write it as "
                "dialect+driver://user:password@host:port/database or sqlite:///path.db, "
                "percent-encoding special characters of the password (@ as %40, : as %3A, "
                "/ as %2F, # as %23)."
            ) from None
    return _with_installed_driver(url)


def _with_installed_driver(url: URL) -> URL:
    if "+" in url.drivername or url.drivername not in _DRIVER_FALLBACKS:
        return url
    default, fallback = _DRIVER_FALLBACKS[url.drivername]
    if importlib.util.find_spec(default) is None and importlib.util.find_spec(fallback):
        return url.set(drivername=f"{url.drivername}+{fallback}")
    return url


def hide_password(url: str | URL) -> str:
    """The URL as it may be shown: never with its password."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return _mask_raw(str(url))
    return parsed.render_as_string(hide_password=True)


def _mask_raw(text: str) -> str:
    # A URL that does not parse cannot be split into its parts with certainty: where it may
    # carry credentials ("...@"), show only its scheme, never a guess at where they end.
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text
    return f"{scheme}://…"


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database).expanduser().resolve()


def describe(url: URL) -> str:
    """A short human label: the file for SQLite, host/database otherwise."""
    if is_sqlite(url):
        path = sqlite_path(url)
        return f"SQLite file {path}" if path else "in-memory SQLite"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{dialect_label(url)} database '{url.database}' on {host}{port}"


def dialect_label(url: URL) -> str:
    return {
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "mysql": "MySQL/MariaDB",
        "mariadb": "MariaDB",
    }.get(url.get_backend_name(), url.get_backend_name())
