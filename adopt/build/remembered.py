"""Writing what the wizard chose into [tool.adopt] of pyproject.toml, so that the bare commands
it prints next (`adopt stamp`, `adopt status`) find the same models and database.

Only plain string keys are written (app, models, url, directory), by editing the text: the
rest of the file, comments included, stays as it was. A URL is written only without a
password; the result is parsed again before it is saved."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from adopt.errors import UsageError

KEYS = ("app", "models", "url", "directory")
# app and models exclude each other: writing one removes the other.
_EXCLUSIVE = {"app": "models", "models": "app"}
_HEADER = re.compile(r"^\[tool\.adopt\]\s*(?:#.*)?$", re.M)
_NEXT_TABLE = re.compile(r"^\s*\[", re.M)


def block(values: dict[str, str]) -> str:
    """The lines written, as shown to the person before they are."""
    return "\n".join(f"{key} = {json.dumps(values[key])}" for key in KEYS if key in values)


def write(path: Path, values: dict[str, str]) -> None:
    """Set `values` in [tool.adopt] of `path` (the file or the table made if missing)."""
    unknown = set(values) - set(KEYS)
    if unknown:
        raise ValueError(f"not a remembered setting: {sorted(unknown)}")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = _with_values(text, values)
    try:
        tomllib.loads(updated)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"{path} could not be updated ({exc}); add these lines under [tool.adopt] by hand:\n"
            + block(values)
        ) from None
    path.write_text(updated, encoding="utf-8")


def _with_values(text: str, values: dict[str, str]) -> str:
    header = _HEADER.search(text)
    if header is None:
        separator = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
        return f"{text}{separator}[tool.adopt]\n{block(values)}\n"
    start = header.end() + 1
    following = _NEXT_TABLE.search(text, start)
    end = following.start() if following else len(text)
    section = text[start:end]
    for key in KEYS:
        if key in values:
            section = _set(section, key, values[key])
            if key in _EXCLUSIVE:
                section = _remove(section, _EXCLUSIVE[key])
    return text[:start] + section + text[end:]


def _line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{key}[ \t]*=.*$\n?", re.M)


def _set(section: str, key: str, value: str) -> str:
    line = f"{key} = {json.dumps(value)}\n"
    if _line(key).search(section):
        return _line(key).sub(lambda _m: line, section, count=1)
    return line + section  # right under the table's header


def _remove(section: str, key: str) -> str:
    return _line(key).sub("", section)
