"""Database URLs: parsing, secret masking and driver fallbacks.

Every place that shows or writes a URL goes through hide_password (or scrub, for free text
that may quote one): a password can ride in the userinfo, in a query parameter (password=,
the drivers' sslpassword=...), or in a string too broken to parse."""

from __future__ import annotations

import importlib.util
import re
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
            raise _not_a_url(text) from None
    if url.host and "@" in url.host:
        # An unencoded '@' in the password: SQLAlchemy ends the password at the first '@' and
        # takes the rest of it for the host. Refused, as the app's own driver would misread it.
        raise _not_a_url(str(text) if isinstance(text, str) else url.render_as_string(False))
    return _with_installed_driver(url)


def _not_a_url(text: str) -> UsageError:
    return UsageError(
        f"'{_mask_raw(text)}' is not a database URL; write it as "
        "dialect+driver://user:password@host:port/database or sqlite:///path.db, "
        "percent-encoding special characters of the password (@ as %40, : as %3A, "
        "/ as %2F, # as %23)."
    )


def _with_installed_driver(url: URL) -> URL:
    if "+" in url.drivername or url.drivername not in _DRIVER_FALLBACKS:
        return url
    default, fallback = _DRIVER_FALLBACKS[url.drivername]
    if importlib.util.find_spec(default) is None and importlib.util.find_spec(fallback):
        return url.set(drivername=f"{url.drivername}+{fallback}")
    return url


# Query parameters that carry a secret: password=, passwd=, pwd=, psycopg's sslpassword=, and
# the like of other drivers (tokens, keys). Masking a harmless one (passfile=) costs nothing.
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|credential|api_?key", re.IGNORECASE)
# In free text: a secret parameter and its value, as in a query string or a libpq conninfo.
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<name>\b[\w.-]*(?:pass|pwd|secret|token|credential|api_?key)[\w.-]*)"
    r"(?P<eq>\s*=\s*)(?P<value>'[^']*'|\"[^\"]*\"|[^\s&;,'\"]+)",
    re.IGNORECASE,
)
# In free text: something that starts like a URL (a scheme, then ':' and maybe slashes).
_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/*[^\s'\"<>]+")
MASK = "***"
_ENCODED_MASK = "%2A%2A%2A"


def is_secret_parameter(name: str) -> bool:
    """Whether a URL query parameter of this name carries a secret."""
    return bool(_SECRET_PARAM.search(name))


def has_secret(url: URL) -> bool:
    """Whether the URL holds a secret anywhere: a password or a secret query parameter."""
    return bool(url.password) or any(is_secret_parameter(k) for k in url.query)


def masked(url: URL) -> URL:
    """The URL with every secret replaced by ***: the password, secret query parameters, and
    what an unencoded '@' left in the host."""
    query = {k: (MASK if is_secret_parameter(k) else v) for k, v in url.query.items()}
    url = url.set(query=query)
    if url.host and "@" in url.host:
        url = url.set(password=MASK, host=url.host.rsplit("@", 1)[1])
    return url


def hide_password(url: str | URL) -> str:
    """The URL as it may be shown or written: never with a secret in any part."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return _mask_raw(str(url))
    shown = masked(parsed).render_as_string(hide_password=True)
    return shown.replace(f"={_ENCODED_MASK}", f"={MASK}")  # the query's ***, percent-encoded


def scrub(text: str, url: URL | None = None) -> str:
    """Free text (a message, a driver's error) with every URL in it shown safely and every
    password=... assignment masked: the last guard before anything is printed. With `url`,
    its secrets are also masked wherever they appear verbatim."""
    for secret in _secrets_of(url) if url is not None else ():
        text = text.replace(secret, MASK)
    text = _URL_LIKE.sub(lambda m: _shown(m.group(0)), text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m['name']}{m['eq']}{MASK}", text)


def _secrets_of(url: URL) -> list[str]:
    values = [url.password or ""]
    for key, value in url.query.items():
        if is_secret_parameter(key):
            values += [value] if isinstance(value, str) else list(value)
    # Longest first, so that a secret holding another is masked whole.
    return sorted((str(v) for v in values if v), key=len, reverse=True)


def _shown(token: str) -> str:
    # Only a URL that holds a secret is rewritten; others (module:attr, paths, URLs without a
    # password) stay exactly as written. Punctuation that ends a sentence is not the URL's.
    body = token.rstrip(".,;:)]}")
    end = token[len(body) :]
    if "@" not in body:
        return token
    try:
        parsed = make_url(body)
    except (ArgumentError, ValueError):
        return _mask_raw(body) + end
    if not has_secret(parsed) and "@" not in (parsed.host or ""):
        return token
    return hide_password(parsed) + end


def _mask_raw(text: str) -> str:
    # A URL that does not parse cannot be split into its parts with certainty. What stands
    # before its last '@' may all be userinfo (a password may hold '@', ':' or '/'): only the
    # scheme of it is kept. Secret query parameters are masked wherever they stand.
    head, at, tail = text.rpartition("@")
    if at:
        scheme = re.match(r"[^:@]*:/*", head)
        text = f"{scheme.group(0) if scheme else ''}{MASK}@{tail}"
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m['name']}{m['eq']}{MASK}", text)


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
    host = (url.host or "localhost").rsplit("@", 1)[-1]  # never what an unencoded '@' left
    port = f":{url.port}" if url.port else ""
    return f"{dialect_label(url)} database '{url.database}' on {host}{port}"


def dialect_label(url: URL) -> str:
    return {
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "mysql": "MySQL/MariaDB",
        "mariadb": "MariaDB",
    }.get(url.get_backend_name(), url.get_backend_name())
