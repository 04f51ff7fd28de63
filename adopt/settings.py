"""Effective settings and where each came from: command-line flags, then ADOPT_* environment
variables, then [tool.adopt] in pyproject.toml, then built-in defaults."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adopt import audit
from adopt import config as config_mod
from adopt.errors import UsageError
from adopt.urls import hide_password

# key -> (built-in default, how to read it from an environment variable)
KEYS: dict[str, tuple[Any, str]] = {
    "app": (None, "str"),
    "models": (None, "str"),
    "url": (None, "str"),
    "directory": (None, "str"),
    "imports": ((), "list"),
    "exclude_binds": ((), "list"),
    "scratch": ("auto", "str"),
    "message": ("baseline", "str"),
    "jobs": (None, "int"),
    "timeout": (None, "int"),
    "audit": (audit.DEFAULT, "str"),
}
# Names in pyproject.toml and the environment that differ from the option's (--import).
FILE_NAMES = {"imports": "import"}
ENV_NAMES = {"imports": "ADOPT_IMPORT"}


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str  # "flag", "ADOPT_URL", "pyproject.toml", "default"

    @property
    def shown(self) -> str:
        if self.key == "url" and self.value:
            return hide_password(str(self.value))
        if isinstance(self.value, (list, tuple)):
            return ", ".join(str(v) for v in self.value) or "(none)"
        return "(none)" if self.value is None else str(self.value)


def effective(flags: dict[str, Any] | None = None) -> dict[str, Setting]:
    """Every setting's value and source; `flags` holds what the command line gave."""
    project = config_mod.load()
    _refuse_unknown_file_keys(project)
    _refuse_mistyped_variables(os.environ)
    out = {}
    for key, (default, kind) in KEYS.items():
        given = (flags or {}).get(key)
        env_name = ENV_NAMES.get(key, f"ADOPT_{key.upper()}")
        file_name = FILE_NAMES.get(key, key)
        if given not in (None, (), [], ""):
            out[key] = Setting(key, given, "flag")
        elif os.environ.get(env_name):
            out[key] = Setting(key, _parse(os.environ[env_name], kind, env_name), env_name)
        elif project.get(file_name) is not None:
            out[key] = Setting(
                key, _checked(project.get(file_name), kind, file_name), "pyproject.toml"
            )
        else:
            out[key] = Setting(key, default, "default")
        _in_range(out[key])
    return out


# Tables of [tool.adopt] read elsewhere (adopt.config), besides the settings above.
TABLES = ("targets", "binds")
ENV_PREFIX = "ADOPT_"
# How alike a variable's name must be to a setting's to be taken for a mistyped one.
ENV_TYPO_CUTOFF = 0.75


def file_keys() -> list[str]:
    """Every key [tool.adopt] may hold."""
    return [FILE_NAMES.get(key, key) for key in KEYS] + list(TABLES)


def env_names() -> list[str]:
    """Every ADOPT_* variable that sets something."""
    return [ENV_NAMES.get(key, f"{ENV_PREFIX}{key.upper()}") for key in KEYS]


def _refuse_unknown_file_keys(project: config_mod.ProjectConfig) -> None:
    """A key adopt does not know (a typo like urll) would be ignored, and another database
    checked than the one meant: refused, naming the key closest to it."""
    known = file_keys()
    for key in project.values:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)
            raise UsageError(
                f"Unknown key '{key}' in [tool.adopt] of {project.path}; {hint} Fix or remove it."
            )


def _refuse_mistyped_variables(environ: Mapping[str, str]) -> None:
    """An ADOPT_* variable that is not a setting but looks like one (ADOPT_URLL, ADOPT_MODEL)
    is refused, naming the setting. Only look-alikes are: ADOPT_* variables of other tools and
    of adopt's own test-suite (ADOPT_REQUIRE_SERVERS, ADOPT_TEST_*, ADOPT_PROPERTY_*...) are
    no setting's near-miss and pass, whatever their number."""
    known = env_names()
    suffixes = {name[len(ENV_PREFIX) :]: name for name in known}
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(
            name[len(ENV_PREFIX) :], list(suffixes), n=1, cutoff=ENV_TYPO_CUTOFF
        )
        if close:
            raise UsageError(
                f"Unknown environment variable {name}; did you mean {suffixes[close[0]]}? "
                "Rename or unset it."
            )


RANGES = {"jobs": (1, 64), "timeout": (1, 3600)}  # the same bounds as the flags


def _in_range(setting: Setting) -> None:
    bounds = RANGES.get(setting.key)
    if bounds and setting.value is not None and not bounds[0] <= setting.value <= bounds[1]:
        raise UsageError(
            f"{setting.key} = {setting.value} (from {setting.source}) is outside "
            f"{bounds[0]}..{bounds[1]}; change it there."
        )


def _parse(text: str, kind: str, name: str) -> Any:
    if kind == "list":
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"${name} must be a whole number, not {text!r}.") from None
    return text


def _checked(value: Any, kind: str, name: str) -> Any:
    if kind == "list":
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
    elif (kind == "int" and isinstance(value, int) and not isinstance(value, bool)) or (
        kind == "str" and isinstance(value, str)
    ):
        return value
    raise UsageError(f"[tool.adopt] {name} in pyproject.toml has the wrong type ({value!r}).")
