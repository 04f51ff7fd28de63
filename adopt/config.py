"""The project's [tool.adopt] settings in pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from adopt.errors import UsageError


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
