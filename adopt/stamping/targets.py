"""Which databases to check and stamp: named targets from [tool.adopt.targets], URLs, env:VAR
references, a targets file (one a line), and PostgreSQL schemas per tenant."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL

from adopt.errors import UsageError
from adopt.reading import connect
from adopt.urls import hide_password
from adopt.urls import parse_url


@dataclass(frozen=True)
class Target:
    """One database (or one PostgreSQL schema in it) to check and stamp."""

    name: str  # what the person called it: a target name, "live", or the URL shown safely
    url: URL
    schema: str | None = None

    @property
    def label(self) -> str:
        where = hide_password(self.url)
        shown = where if self.name == where else f"{self.name} ({where})"
        return f"{shown} schema {self.schema}" if self.schema else shown


def resolve(spec: str, named: dict[str, str], origin: str = "argument") -> Target:
    """A target name, a URL, or env:VAR."""
    spec = spec.strip()
    if spec in named:
        return Target(spec, _url_of(named[spec], f"target '{spec}'"))
    if spec.startswith("env:"):
        return Target(spec, _url_of(spec, origin))
    if "://" not in spec:
        known = ", ".join(sorted(named)) or "none configured"
        # A mistyped URL ('postgresql:/user:pw@host') lands here: never echoed with its secret.
        raise UsageError(
            f"'{hide_password(spec)}' is neither a target name ({known}) nor a URL nor env:VAR; "
            "add it under [tool.adopt.targets] in pyproject.toml or give its URL."
        )
    url = parse_url(spec)
    return Target(hide_password(url), url)


def _url_of(value: str, where: str) -> URL:
    if value.startswith("env:"):
        var = value[4:]
        found = os.environ.get(var)
        if not found:
            raise UsageError(f"{where} reads its URL from ${var}, which is not set; export it.")
        return parse_url(found)
    return parse_url(value)


def from_file(path: Path, named: dict[str, str]) -> list[Target]:
    """One URL, env:VAR or target name a line; blank lines and # comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"Cannot read the targets file {path} ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise UsageError(f"The targets file {path} is not UTF-8 text; save it as UTF-8.") from None
    found = []
    for number, line in enumerate(lines, 1):
        # A comment starts a line or follows a space: '#' may stand inside a URL's password.
        entry = "" if line.lstrip().startswith("#") else re.sub(r"\s+#.*$", "", line).strip()
        if not entry:
            continue
        try:
            found.append(resolve(entry, named, f"{path}:{number}"))
        except UsageError as exc:
            raise UsageError(f"{path} line {number}: {exc}") from None
    if not found:
        raise UsageError(f"The targets file {path} lists no database.")
    return found


def with_schemas(
    targets: Iterable[Target], schemas: tuple[str, ...], pattern: str | None
) -> list[Target]:
    """Expand each PostgreSQL target into one target per tenant schema."""
    out: list[Target] = []
    for target in targets:
        if not schemas and not pattern:
            out.append(target)
            continue
        if target.url.get_backend_name() != "postgresql":
            raise UsageError(
                f"--schema/--schemas-like need PostgreSQL; {target.label} is "
                f"{target.url.get_backend_name()}."
            )
        names = list(schemas) + (matching_schemas(target.url, pattern) if pattern else [])
        if not names:
            raise UsageError(f"No schema of {target.label} matches '{pattern}'.")
        out.extend(Target(target.name, target.url, name) for name in dict.fromkeys(names))
    return out


def matching_schemas(url: URL, pattern: str) -> list[str]:
    """Schemas whose names match a SQL LIKE pattern (e.g. tenant_%)."""
    if not re.fullmatch(r"[\w%]+", pattern):
        raise UsageError(f"--schemas-like '{pattern}' may hold letters, digits, _ and % only.")
    engine = connect.create(url, read_only=True)
    try:
        with connect.connection(engine) as conn:
            rows = conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p ORDER BY nspname"),
                {"p": pattern},
            )
            return [r[0] for r in rows]
    finally:
        engine.dispose()
