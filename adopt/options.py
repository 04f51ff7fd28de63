"""The options of a run, and where each came from: command-line flags, then ADOPT_*
environment variables, then [tool.adopt] in pyproject.toml, then built-in defaults.

Both front ends build one frozen `Options` here (`Options.resolve`) and hand it to the verbs of
adopt.api, so the command line and the wizard cannot read a setting differently."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from pathlib import Path
from typing import Any

from adopt.errors import UsageError
from adopt.stamping import audit
from adopt.urls import hide_password


@dataclass(frozen=True)
class ProjectConfig:
    path: Path | None  # the pyproject.toml read, None when there is none
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> dict[str, str]:
        raw = self.values.get("targets", {})
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise UsageError(
                f"[tool.adopt.targets] in {self.path} must map names to URLs or 'env:VAR' "
                'strings, e.g. staging = "env:STAGING_DATABASE_URL".'
            )
        return {str(k): v for k, v in raw.items()}

    @property
    def binds(self) -> dict[str, tuple[str, str]]:
        """[tool.adopt.binds.NAME]: the other databases of a plain SQLAlchemy project, each
        as (models "module:attr", URL or "env:VAR")."""
        raw = self.values.get("binds", {})
        example = (
            '[tool.adopt.binds.analytics] with models = "shop.analytics:Base" and '
            'url = "env:ANALYTICS_DATABASE_URL"'
        )
        if not isinstance(raw, dict):
            raise UsageError(f"[tool.adopt.binds] in {self.path} must be a table, e.g. {example}.")
        found = {}
        for name, entry in raw.items():
            if not (
                str(name).isidentifier()
                and isinstance(entry, dict)
                and isinstance(entry.get("models"), str)
                and isinstance(entry.get("url"), str)
                and set(entry) <= {"models", "url"}
            ):
                raise UsageError(
                    f"[tool.adopt.binds.{name}] in {self.path} needs a name made of letters, "
                    f"digits and '_', and exactly models and url strings, e.g. {example}."
                )
            found[str(name)] = (entry["models"], entry["url"])
        return found

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def load(directory: Path | None = None) -> ProjectConfig:
    """[tool.adopt] from pyproject.toml in `directory` (default: the working directory)."""
    path = (directory or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return ProjectConfig(None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML ({exc}); fix the file.") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise UsageError(f"Cannot read {path} ({exc.strerror}).") from None
    tool = data.get("tool", {}).get("adopt", {})
    if not isinstance(tool, dict):
        raise UsageError(f"[tool.adopt] in {path} must be a table.")
    return ProjectConfig(path, tool)


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
    project = load()
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


# Tables of [tool.adopt] read elsewhere (ProjectConfig), besides the settings above.
TABLES = ("targets", "binds")
ENV_PREFIX = "ADOPT_"
# ADOPT_* variables that are no setting of a run but are adopt's own (adopt._speedups.SWITCH).
OTHER_VARIABLES = ("ADOPT_SPEEDUPS",)
# How alike a variable's name must be to a setting's to be taken for a mistyped one.
ENV_TYPO_CUTOFF = 0.75


def file_keys() -> list[str]:
    """Every key [tool.adopt] may hold."""
    return [FILE_NAMES.get(key, key) for key in KEYS] + list(TABLES)


def env_names() -> list[str]:
    """Every ADOPT_* variable that sets something."""
    return [ENV_NAMES.get(key, f"{ENV_PREFIX}{key.upper()}") for key in KEYS]


def _refuse_unknown_file_keys(project: ProjectConfig) -> None:
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
    known = [*env_names(), *OTHER_VARIABLES]
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


@dataclass(frozen=True)
class Options:
    """Everything a verb of adopt.api needs to know about one run, settled once.

    The fields that are settings (`KEYS`) hold the value `effective` chose; `sources` says where
    each came from, for `adopt config`. The rest are the command's own flags."""

    # Where the models, the live database and the migrations are.
    app: str | None = None
    models: str | None = None
    url: str | None = None
    directory: str | None = None
    imports: tuple[str, ...] = ()
    exclude_binds: tuple[str, ...] = ()
    script_info: Any = None  # Flask's ScriptInfo under `flask adopt` (--app, FLASK_APP)
    # The baseline.
    scratch: str = "auto"
    message: str = "baseline"
    rev_id: str | None = None
    accept_differences: bool = False
    exclude_unmanaged: bool = False
    # A drifted database: baseline what it has, then a catch-up to the models (adopt.drifted).
    from_database: bool = False
    accept_database: tuple[str, ...] = ()  # KIND/TABLE.OBJECT kept as the database has it
    accept_models: tuple[str, ...] = ()  # KIND/TABLE.OBJECT the catch-up takes to the models
    # The databases to check and stamp.
    target_specs: tuple[str, ...] = ()
    all_targets: bool = False
    targets_file: Path | None = None
    schemas: tuple[str, ...] = ()
    schemas_like: str | None = None
    bind: str | None = None
    jobs: int | None = None
    timeout: int | None = None
    audit: str = audit.DEFAULT
    force: bool = False
    upgrade: bool = False
    revision: str | None = None
    shard: str | None = None  # "K/N": this job's share of the targets (adopt.stamping.shards)
    reference: Path | None = None  # the head schema written by 'adopt reference --out'
    # The wizard's last step, answered in advance.
    stamp_live: bool | None = None
    extra_targets: tuple[str, ...] = ()
    # How the result is shown.
    as_json: bool = False
    verbose: bool = False
    sources: Mapping[str, Setting] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def resolve(cls, flags: Mapping[str, Any], fallback: Mapping[str, Any] = {}) -> Options:
        """The options of a command: its `flags`, else those in `fallback` (given before the
        command, on the group), else ADOPT_* variables, else [tool.adopt], else defaults.
        Flags that are not options of a run (click's own) are ignored."""
        given = {
            k: v if v not in (None, (), False) else fallback.get(k, v) for k, v in flags.items()
        }
        settings = effective({k: given.get(k) for k in KEYS})
        known = {f.name for f in fields(cls)} - {"sources"}
        values = {k: _frozen(v) for k, v in given.items() if k in known}
        values.update({k: _frozen(s.value) for k, s in settings.items()})
        values["audit"] = audit.validate(str(values.get("audit") or audit.DEFAULT))
        values["scratch"] = values.get("scratch") or "auto"
        values["message"] = values.get("message") or "baseline"
        return cls(**values, sources=settings)

    def but(self, **changes: Any) -> Options:
        """These options with some changed (the wizard's answers)."""
        return replace(self, **changes)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
