"""The migration repository: found where the project keeps it, or created in the layout its
tools expect (Flask-Migrate's for Flask apps, Alembic's alembic.ini for plain SQLAlchemy)."""

from __future__ import annotations

import ast
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL

from adopt.discovery import Models
from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.urls import has_secret
from adopt.urls import hide_password
from adopt.urls import is_sqlite
from adopt.urls import parse_url
from adopt.urls import sqlite_path

DEFAULT_DIRECTORY = "migrations"


@dataclass(frozen=True)
class Repository:
    directory: Path  # the script location (holds env.py and versions/)
    ini_path: Path
    layout: str  # "flask" | "alembic"
    created: tuple[Path, ...] = ()  # files and folders this run created, for a clean abort

    def config(self) -> Config:
        """An Alembic Config for the project's ini."""
        cfg = Config(str(self.ini_path))
        cfg.set_main_option("script_location", str(self.directory))
        cfg.attributes["adopt"] = True
        return cfg

    def script(self) -> ScriptDirectory:
        """The repository's ScriptDirectory. The one last used is handed out again while its
        revision files are unchanged: loading a large baseline compiles a module of tens of
        thousands of lines each time, and one run loads it several times."""
        try:
            script = ScriptDirectory.from_config(self.config())
        except CommandError as exc:
            raise UsageError(
                f"The migration repository {self.directory} is broken: {exc}."
            ) from None
        state = _revision_files(script)
        held = _SCRIPTS.get(self.directory)
        if state is not None and held is not None and held[0] == state:
            return held[1]
        _SCRIPTS[self.directory] = (state, script)
        return script

    def remember(self, script: ScriptDirectory) -> None:
        """Hand out `script` (which has loaded the revisions just written) from now on."""
        _SCRIPTS[self.directory] = (_revision_files(script), script)

    def heads(self) -> tuple[str, ...]:
        try:
            return tuple(self.script().get_heads())
        except CommandError as exc:
            raise UsageError(f"Cannot read the revisions in {self.directory}: {exc}.") from None

    def revision_count(self) -> int:
        return sum(1 for _ in self.script().walk_revisions())


# Per repository folder: the state of its revision files and the ScriptDirectory that loaded
# them (see Repository.script).
_SCRIPTS: dict[Path, tuple[object, ScriptDirectory]] = {}


def _revision_files(script: ScriptDirectory) -> object:
    """Name, size and modification time of every file in the version folders; None when the
    folders are not known (a newer Alembic): then nothing is reused."""
    try:
        folders = list(script._version_locations)
    except AttributeError:
        return None
    found = []
    for folder in folders:
        if folder.is_dir():
            for item in sorted(folder.iterdir()):
                if item.is_file():
                    stat = item.stat()
                    found.append((str(item), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def directory_for(models: Models, directory: str | None) -> Path:
    return Path(directory or models.migrate_directory or DEFAULT_DIRECTORY).resolve()


def find(models: Models, directory: str | None) -> Repository | None:
    """The existing repository, or None if the project has none yet."""
    path = directory_for(models, directory)
    own_ini = path / "alembic.ini"
    root_ini = Path("alembic.ini").resolve()
    if own_ini.is_file():
        return Repository(path, own_ini, "flask")
    if root_ini.is_file() and path.is_dir():
        return Repository(path, root_ini, "alembic")
    if (path / "env.py").is_file():
        raise UsageError(
            f"{path} has an env.py but no alembic.ini was found beside it or in {Path.cwd()}; "
            "restore alembic.ini, or point --directory at the right folder."
        )
    return None


def require_no_revisions(repo: Repository) -> None:
    if repo.revision_count():
        raise UsageError(
            f"{repo.directory} already holds revisions (head {', '.join(repo.heads())}): this "
            "project already uses migrations; use 'adopt stamp' or 'adopt status' instead."
        )


def create(models: Models, live: URL, directory: str | None) -> Repository:
    """Write a new repository; nothing is written if the folder cannot be created."""
    path = directory_for(models, directory)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file, not a folder; choose another with --directory.")
    if path.exists() and any(path.iterdir()):
        raise UsageError(
            f"{path} exists and is not a migration repository; move it away or choose "
            "another folder with --directory."
        )
    created: list[Path] = []
    try:
        if not path.exists():
            path.mkdir(parents=True)
            created.append(path)
        (path / "versions").mkdir(exist_ok=True)
        if models.is_flask:
            layout, ini = "flask", path / "alembic.ini"
            # Several databases: Flask-Migrate's multidb layout ('flask db init --multidb').
            kind = "flask-multidb" if models.is_multi else "flask"
            for name in ("alembic.ini", "env.py", "script.py.mako", "README"):
                _write(path / name, template(kind, name), created)
        else:
            layout, ini = "alembic", Path("alembic.ini").resolve()
            if ini.exists():
                raise UsageError(
                    f"{ini} exists but does not point at {path}; remove it or pass --directory."
                )
            kind = "generic-multidb" if models.is_multi else "generic"
            _write(ini, _generic_ini(path, ini.parent, live, models), created)
            env = _multidb_env(models) if models.is_multi else _generic_env(models)
            _write(path / "env.py", env, created)
            _write(path / "script.py.mako", template(kind, "script.py.mako"), created)
            _write(path / "README", template(kind, "README"), created)
    except OSError as exc:
        remove(Repository(path, path / "alembic.ini", "?", tuple(created)))
        raise UsageError(
            f"Cannot write the migration repository at {path} ({exc.strerror}); make the folder "
            "writable (or free disk space), or choose another with --directory."
        ) from None
    return Repository(path, ini, layout, tuple(created))


def remove(repo: Repository) -> None:
    """Undo what `create` wrote (files first, then the folders it made)."""
    for item in reversed(repo.created):
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        elif item.exists():
            item.unlink()


def check_writable(repo: Repository) -> None:
    versions = repo.directory / "versions"
    target = versions if versions.is_dir() else repo.directory
    if not os.access(target, os.W_OK):
        raise UsageError(
            f"The migration repository {target} is not writable; fix its permissions "
            "or choose another folder with --directory."
        )


def _write(path: Path, content: str, created: list[Path]) -> None:
    path.write_text(content, encoding="utf-8")
    created.append(path)


# A line "# adopt:shared NAME" in a template stands for templates/shared/NAME.py: the parts
# that several layouts' env.py have in common are written once.
_SHARED_PART = re.compile(r"^# adopt:shared (\w+)\n", re.MULTILINE)


def template(layout: str, name: str) -> str:
    """A template file of `layout`, its shared parts filled in."""
    return _SHARED_PART.sub(lambda m: template("shared", f"{m.group(1)}.py"), _read(layout, name))


def _read(layout: str, name: str) -> str:
    return resources.files("adopt").joinpath("templates", layout, name).read_text(encoding="utf-8")


def _generic_ini(directory: Path, root: Path, live: URL, models: Models) -> str:
    rel = os.path.relpath(directory, root)
    text = (
        template("generic", "alembic.ini")
        .replace("{directory}", rel)
        .replace("{url}", _ini_url(live, root))
    )
    # One section per other database; its URL only when it is a literal without a password.
    for name, (_spec, url) in models.bind_specs.items():
        literal = "" if url.startswith("env:") else _ini_url(parse_url(url), root)
        text += f"\n[{name}]\nsqlalchemy.url = {literal}\n"
    return text


def _multidb_env(models: Models) -> str:
    """env.py for several plain SQLAlchemy databases: DATABASES names each one's models and the
    environment variable its URL comes from."""
    databases = {"": (models.import_path, "DATABASE_URL")}
    for name, (spec, url) in models.bind_specs.items():
        variable = url[4:] if url.startswith("env:") else f"{name.upper()}_DATABASE_URL"
        databases[name] = (spec, variable)
    lines = "".join(f"    {k!r}: {v!r},\n" for k, v in databases.items())
    return template("generic-multidb", "env.py").replace("{databases}", "{\n" + lines + "}")


def _ini_url(live: URL, root: Path) -> str:
    """The live URL as alembic.ini may hold it (interpolation-escaped), never with a secret in
    any part (a password, password= or sslpassword= in the query): else none at all, and env.py
    reads DATABASE_URL."""
    if has_secret(live) or (live.host and "@" in live.host):
        return ""
    if is_sqlite(live):
        path = sqlite_path(live)
        if path is None:
            return ""
        try:
            return "sqlite:///%(here)s/" + str(path.relative_to(root)).replace("%", "%%")
        except ValueError:
            return f"sqlite:///{path}".replace("%", "%%")
    return hide_password(live).replace("%", "%%")


def _generic_env(models: Models) -> str:
    module, _, attr = models.import_path.partition(":")
    if not attr:
        raise AdoptError("Cannot write env.py: the models were not named as module:attribute.")
    head, _, _rest = attr.partition(".")
    text = template("generic", "env.py")
    text = text.replace("{models_import}", f"from {module} import {head}")
    expr = attr if _is_metadata(models, attr) else f"{attr}.metadata"
    return text.replace("{metadata_expr}", expr)


def _is_metadata(models: Models, attr: str) -> bool:
    from sqlalchemy import MetaData

    module_name = models.import_path.partition(":")[0]
    import importlib

    obj = eval(attr, vars(importlib.import_module(module_name)))
    return isinstance(obj, MetaData)


_UNMANAGED_LINE = re.compile(r"^UNMANAGED_TABLES = .*$", re.MULTILINE)
_EXCLUDED_BINDS_LINE = re.compile(r"^EXCLUDED_BINDS = .*$", re.MULTILINE)


def unmanaged_filter_text(names: Iterable[str]) -> str:
    """The env.py line that keeps autogenerate away from `names`."""
    return f"UNMANAGED_TABLES = {{{', '.join(repr(n) for n in sorted(names))}}}"


def exclude_tables(repo: Repository, names: Iterable[str]) -> Path:
    """Write the unmanaged tables into env.py's include_name filter (merged with those there)."""
    env = repo.directory / "env.py"
    text = env.read_text(encoding="utf-8")
    match = _UNMANAGED_LINE.search(text)
    if match is None:
        raise UsageError(
            f"{env} has no UNMANAGED_TABLES filter (it was not written by adopt); add an "
            "include_name hook that skips these tables: " + ", ".join(sorted(names))
        )
    current = _listed(match)
    line = unmanaged_filter_text(current | set(names))
    _atomic_write(env, text[: match.start()] + line + text[match.end() :])
    return env


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_name(path.name + ".adopt-tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


def unmanaged_tables(repo: Repository) -> set[str]:
    """The tables env.py's UNMANAGED_TABLES filter leaves out (empty for other env.py files)."""
    env = repo.directory / "env.py"
    if not env.is_file():
        return set()
    match = _UNMANAGED_LINE.search(env.read_text(encoding="utf-8"))
    return _listed(match) if match else set()


def _listed(match: re.Match[str]) -> set[str]:
    """The names in an `UNMANAGED_TABLES = {...}` line (a Python literal, or set())."""
    rhs = match.group(0).split("=", 1)[1].strip()
    return set() if rhs == "set()" else set(ast.literal_eval(rhs))


def exclude_binds(repo: Repository, names: Iterable[str]) -> bool:
    """Write the excluded binds into the multidb env.py's EXCLUDED_BINDS, so the standard
    tools leave those databases alone too. False when env.py has no such list (not adopt's)."""
    env = repo.directory / "env.py"
    text = env.read_text(encoding="utf-8") if env.is_file() else ""
    match = _EXCLUDED_BINDS_LINE.search(text)
    if match is None:
        return False
    listed = _listed(match) | set(names)
    line = f"EXCLUDED_BINDS = {{{', '.join(repr(n) for n in sorted(listed))}}}"
    _atomic_write(env, text[: match.start()] + line + text[match.end() :])
    return True
