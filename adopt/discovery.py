"""Finding the models and the live database: a Flask app (or factory), Flask-SQLAlchemy, or
plain SQLAlchemy metadata, and the URL the project itself would connect to."""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import URL

from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.urls import parse_url


@dataclass(frozen=True)
class Models:
    """The project's models, as loaded for this run."""

    metadata: MetaData
    source: str  # what was loaded, e.g. "Flask app 'microblog' (Flask-SQLAlchemy)"
    flask_app: Any | None = None  # the Flask app when the models came through one
    migrate_directory: str | None = None  # Flask-Migrate's configured directory, if any
    migrate_options: dict[str, Any] = field(default_factory=dict)  # Migrate(..., **kwargs)
    create_all_at_startup: bool = False  # the app called create_all() while loading
    import_path: str = ""  # what --app/--models was, for generated files
    # Every database's models by Flask-SQLAlchemy bind key (None: the default database);
    # `metadata` is the one of `bind`. One entry for a single-database project.
    metadatas: dict[str | None, MetaData] = field(default_factory=dict)
    bind: str | None = None
    # Plain SQLAlchemy binds ([tool.adopt.binds]): name -> (models spec, URL or env:VAR).
    bind_specs: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.metadatas:
            object.__setattr__(self, "metadatas", {None: self.metadata})

    @property
    def is_flask(self) -> bool:
        return self.flask_app is not None

    @property
    def bind_keys(self) -> tuple[str | None, ...]:
        """The binds whose models define tables: the default first, then by name."""
        named = sorted(k for k, md in self.metadatas.items() if k is not None and md.tables)
        default = self.metadatas.get(None)
        return ((None,) if default is not None and default.tables else ()) + tuple(named)

    @property
    def is_multi(self) -> bool:
        """Models in named binds (Flask-SQLAlchemy binds, [tool.adopt.binds]): the multidb
        layout, even when all of them are in one named bind."""
        return any(key is not None for key in self.bind_keys)

    def for_bind(self, key: str | None) -> Models:
        """The same project seen from one bind: its metadata only."""
        return replace(self, metadata=self.metadatas[key], bind=key)

    @property
    def schemas(self) -> tuple[str, ...]:
        """Schemas the models name besides the default one (PostgreSQL)."""
        return tuple(sorted({t.schema for t in self.metadata.tables.values() if t.schema}))


@dataclass(frozen=True)
class LiveTarget:
    url: URL
    origin: str  # "--url", "SQLALCHEMY_DATABASE_URI", "DATABASE_URL"


def load_models(
    app: str | None = None,
    models: str | None = None,
    imports: tuple[str, ...] = (),
    script_info: Any | None = None,
    binds: dict[str, tuple[str, str]] | None = None,
) -> Models:
    """Load the models named by --app or --models, else FLASK_APP, else ./app.py or ./wsgi.py.
    Under `flask adopt`, `script_info` is Flask's own ScriptInfo: the app is found its way."""
    _ensure_cwd_importable()
    if app and models:
        raise UsageError("Give either --app or --models, not both.")
    # Project code runs now: keep its prints off stdout (--json) and its create_all() calls
    # away from the live database.
    with _create_all_guard() as calls, contextlib.redirect_stdout(sys.stderr):
        if models:
            found = _load_metadata(models)
        else:
            found = _load_flask(app or os.environ.get("FLASK_APP"), None if app else script_info)
        for name in imports:
            _import(name, "--import")
        if binds:
            found = _with_binds(found, binds)
    if calls:
        found = replace(found, create_all_at_startup=True)
    if not any(md.tables for md in found.metadatas.values()):
        raise UsageError(
            f"{found.source} defines no tables; the model modules are probably not imported "
            "yet: import them where the app is built, or name them with --import MODULE."
        )
    return found


def live_target(models: Models, url: str | None) -> LiveTarget:
    """The live database: --url, else the app's SQLALCHEMY_DATABASE_URI, else DATABASE_URL."""
    if url:
        return LiveTarget(parse_url(url), "--url")
    if models.flask_app is not None:
        resolved = _flask_engine_url(models.flask_app)
        if resolved is not None:
            return LiveTarget(resolved, "SQLALCHEMY_DATABASE_URI")
    env = os.environ.get("DATABASE_URL")
    if env:
        return LiveTarget(parse_url(env), "DATABASE_URL")
    raise UsageError(
        "No live database URL: pass --url, set DATABASE_URL, or configure "
        "SQLALCHEMY_DATABASE_URI in the Flask app."
    )


def _ensure_cwd_importable() -> None:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)


def _import(name: str, flag: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and _is_itself_or_parent(exc.name, name):
            raise UsageError(
                f"Cannot import '{name}' ({flag}): no such module under {os.getcwd()}; "
                "run adopt from the project folder (or -C DIR) and check the name."
            ) from None
        raise _import_failed(name, flag, exc) from None
    except AdoptError:
        raise
    except (Exception, SystemExit) as exc:  # a module may call sys.exit() at import
        raise _import_failed(name, flag, exc) from None


def _is_itself_or_parent(missing: str, name: str) -> bool:
    """Whether the module not found is `name` or a package it lives in (not a dependency
    whose name merely starts the same: stripe for stripe_models)."""
    return name == missing or name.startswith(missing + ".")


def _import_failed(name: str, flag: str, exc: BaseException) -> UsageError:
    missing = _missing_module(exc)
    if missing is not None and missing.name:
        return _missing_dependency(name, missing.name)
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return UsageError(f"Importing '{name}' ({flag}) failed with {detail}; fix that error first.")


def _missing_module(exc: BaseException | None) -> ModuleNotFoundError | None:
    """The ModuleNotFoundError behind `exc`, also one Flask wrapped in its NoAppException."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ModuleNotFoundError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _missing_dependency(name: str, missing: str) -> UsageError:
    """The project imports a module that is not there: a driver, another dependency, or one
    of its own modules misnamed. Named, with the way out for each."""
    if missing in _DRIVER_EXTRAS:
        return UsageError(
            f"Importing '{name}' needs the database driver '{missing}', which is not installed; "
            f"pip install '{_DRIVER_EXTRAS[missing]}' (or the driver itself)."
        )
    if missing.split(".")[0] == name.split(".")[0]:
        return UsageError(
            f"Importing {name} failed: No module named '{missing}' in the project; fix the "
            "import that names it."
        )
    return UsageError(
        f"Importing {name} failed: No module named '{missing}'; install it in this "
        "environment (the one adopt runs in) and run the command again."
    )


_DRIVER_EXTRAS = {
    "psycopg": "alembic-adopt[postgres]",
    "psycopg2": "psycopg2-binary",
    "pymysql": "alembic-adopt[mysql]",
    "MySQLdb": "alembic-adopt[mysql]",
}


def _load_metadata(spec: str) -> Models:
    module_name, _, attr = spec.partition(":")
    module = _import(module_name, "--models")
    if attr:
        obj = _evaluated(spec, module_name, attr, module)
        metadata = _as_metadata(obj)
        if metadata is None:
            raise UsageError(
                f"'{spec}' is a {type(obj).__name__}, not a MetaData, a declarative base or a "
                "Flask-SQLAlchemy object; point --models at one of those."
            )
        return Models(metadata, f"models {spec}", import_path=spec)
    candidates = {
        id(md): (name, md)
        for name, value in vars(module).items()
        if (md := _as_metadata(value)) is not None
    }
    if len(candidates) != 1:
        what = "no MetaData" if not candidates else "several MetaData objects"
        raise UsageError(
            f"Module '{module_name}' holds {what}; name one with --models {module_name}:ATTRIBUTE."
        )
    name, metadata = next(iter(candidates.values()))
    return Models(metadata, f"models {module_name}:{name}", import_path=f"{module_name}:{name}")


def _evaluated(spec: str, module_name: str, attr: str, module: Any) -> Any:
    """What the expression after the colon gives (an attribute, a call)."""
    try:
        return eval(attr, vars(module))
    except (NameError, AttributeError):
        raise UsageError(
            f"'{spec}' names nothing: module '{module_name}' has no '{attr}'; "
            "check the name after the colon."
        ) from None
    except SystemExit as exc:
        # An expression that ends the interpreter would end adopt with it, silently and with
        # the code it chose (0 reads as a passed check): an error instead.
        raise UsageError(
            f"'{spec}' exited (SystemExit: {exc.code!r}) instead of giving the models; "
            "point --models at an attribute or a call that returns them."
        ) from None
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise UsageError(
            f"Evaluating '{spec}' failed with {detail}; fix that error first."
        ) from None


def _with_binds(found: Models, binds: dict[str, tuple[str, str]]) -> Models:
    """The plain SQLAlchemy project's other databases, from [tool.adopt.binds]."""
    if found.is_flask:
        raise UsageError(
            "[tool.adopt.binds] is for plain SQLAlchemy models; a Flask app's databases come "
            "from SQLALCHEMY_BINDS and __bind_key__: remove [tool.adopt.binds]."
        )
    metadatas: dict[str | None, MetaData] = {None: found.metadata}
    for name, (spec, _url) in binds.items():
        loaded = _load_metadata(spec).metadata
        if any(loaded is md for md in metadatas.values()):
            raise UsageError(
                f"[tool.adopt.binds.{name}] models = {spec!r} is the same MetaData as another "
                "database's; each database needs its own."
            )
        metadatas[name] = loaded
    return replace(found, metadatas=metadatas, bind_specs=dict(binds))


def _as_metadata(obj: Any) -> MetaData | None:
    if isinstance(obj, MetaData):
        return obj
    metadata = getattr(obj, "metadata", None)
    return metadata if isinstance(metadata, MetaData) else None


@contextmanager
def _create_all_guard() -> Iterator[list[str]]:
    """Neutralise MetaData.create_all while the app loads: an app that calls it at start-up
    would otherwise create tables in the live database (or fill the scratch one)."""
    calls: list[str] = []
    original = MetaData.create_all

    def _skipped(self: MetaData, *args: Any, **kwargs: Any) -> None:
        calls.append("create_all")

    MetaData.create_all = _skipped  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        MetaData.create_all = original  # type: ignore[method-assign]


def _load_flask(import_path: str | None, info: Any | None = None) -> Models:
    from flask.cli import NoAppException
    from flask.cli import ScriptInfo

    label = import_path or "app.py / wsgi.py"
    if info is None:
        info = ScriptInfo(
            app_import_path=import_path, set_debug_flag=False, load_dotenv_defaults=False
        )
    # load_models guards create_all() and stdout around this.
    try:
        app = info.load_app()
    except NoAppException as exc:
        if import_path and (dependency := _dependency_missing(exc, _module_of(import_path))):
            raise _missing_dependency(_module_of(import_path), dependency) from None
        message = str(exc).splitlines()[0]
        if import_path is None:
            raise UsageError(
                "No models found: pass --app (a Flask app or factory, as for flask --app) "
                "or --models module:Base, or set FLASK_APP."
            ) from None
        raise UsageError(f"Cannot load the Flask app '{label}': {message}") from None
    except AdoptError:
        raise
    except (Exception, SystemExit) as exc:  # an app may call sys.exit() while it loads
        raise _import_failed(label, "--app", exc) from None
    db = app.extensions.get("sqlalchemy")
    if db is None:
        raise UsageError(
            f"The Flask app '{label}' has no Flask-SQLAlchemy extension; call db.init_app(app) "
            "in the factory, or point --models at the declarative base."
        )
    migrate = app.extensions.get("migrate")
    import_path = import_path or getattr(info, "app_import_path", None)
    label = import_path or f"{app.import_name}, found through Flask's app.py / wsgi.py discovery"
    metadatas = dict(getattr(db, "metadatas", None) or {None: db.metadata})
    binds = sorted(str(k) for k, md in metadatas.items() if k is not None and md.tables)
    return Models(
        metadata=db.metadata,
        metadatas=metadatas,
        source=f"Flask app '{label}' (Flask-SQLAlchemy"
        + (f", binds: {', '.join(binds)})" if binds else ")"),
        flask_app=app,
        migrate_directory=getattr(migrate, "directory", None),
        migrate_options=dict(getattr(migrate, "configure_args", {}) or {}),
        import_path=import_path or "",
    )


def _dependency_missing(exc: BaseException, module: str) -> str | None:
    """The module that `module` imports and that is not there, if that is why `exc` was
    raised (not `module` itself missing)."""
    missing = _missing_module(exc)
    if missing is None or not missing.name or _is_itself_or_parent(missing.name, module):
        return None
    return missing.name


def _module_of(import_path: str) -> str:
    """The module of a Flask import path (module, module:app, module:create_app())."""
    return import_path.partition(":")[0]


def bind_target(models: Models, key: str | None, url: str | None = None) -> LiveTarget:
    """The live database of one bind: the default one as `live_target` finds it, a named
    bind as Flask-SQLAlchemy resolves SQLALCHEMY_BINDS[key]."""
    if key is None:
        return live_target(models, url)
    if key in models.bind_specs:
        return _configured_bind(key, models.bind_specs[key][1])
    resolved = _flask_engine_url(models.flask_app, key) if models.flask_app is not None else None
    if resolved is None:
        raise UsageError(
            f"The bind '{key}' has models but no database: add it to SQLALCHEMY_BINDS, "
            "or leave it out with --exclude-bind."
        )
    return LiveTarget(resolved, f"SQLALCHEMY_BINDS['{key}']")


def _configured_bind(key: str, spec: str) -> LiveTarget:
    if spec.startswith("env:"):
        value = os.environ.get(spec[4:])
        if not value:
            raise UsageError(
                f"[tool.adopt.binds.{key}] reads its URL from ${spec[4:]}, which is not set; "
                "export it."
            )
        return LiveTarget(parse_url(value), spec[4:])
    return LiveTarget(parse_url(spec), f"[tool.adopt.binds.{key}]")


def _flask_engine_url(app: Any, key: str | None = None) -> URL | None:
    """The URL exactly as Flask-SQLAlchemy resolved it (relative SQLite paths under instance/)."""
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        try:
            engine = db.engine if key is None else db.engines[key]
        except Exception:
            return None
        return parse_url(engine.url)


@dataclass(frozen=True)
class Candidate:
    """Something in the project that could hold the models, found by reading the source."""

    kind: str  # "app" (for --app) or "models" (for --models)
    spec: str  # e.g. "microblog:app", "app:create_app()", "inventory.models:Base"
    what: str  # e.g. "Flask app factory"


_SKIP_DIRS = {
    ".venv",
    "venv",
    "env",
    ".git",
    "node_modules",
    "migrations",
    "site-packages",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    "tests",
    "test",
}
_MAX_FILES = 2000


def candidates(root: Path | None = None) -> list[Candidate]:
    """Flask apps, app factories, declarative bases and MetaData objects defined at module
    level in the project's Python files (read, not imported: nothing runs)."""
    root = root or Path.cwd()
    found: list[Candidate] = []
    for count, path in enumerate(_python_files(root)):
        if count >= _MAX_FILES:
            break
        module = _module_name(path.relative_to(root))
        if module:
            found.extend(_candidates_in(path, module))
    return sorted(set(found), key=lambda c: (c.kind, c.spec))


def _python_files(root: Path) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(directory) / name


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else ""


def _candidates_in(path: Path, module: str) -> list[Candidate]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ("create_app", "make_app"):
            found.append(Candidate("app", f"{module}:{node.name}()", "Flask app factory"))
        elif isinstance(node, ast.ClassDef) and any(
            _called_name(base) in ("DeclarativeBase", "DeclarativeBaseNoMeta")
            for base in node.bases
        ):
            found.append(Candidate("models", f"{module}:{node.name}", "declarative base"))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Call):
                kind = _ASSIGNED.get(_called_name(node.value.func))
                if kind:
                    found.append(Candidate(kind[0], f"{module}:{target.id}", kind[1]))
    return found


_ASSIGNED = {
    "Flask": ("app", "Flask app"),
    "declarative_base": ("models", "declarative base"),
    "MetaData": ("models", "MetaData"),
}


def _called_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
