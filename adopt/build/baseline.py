"""Generating the baseline revision by autogenerate against an empty scratch database."""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import re
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import alembic
import sqlalchemy
from alembic.autogenerate import RevisionContext
from alembic.autogenerate import render as alembic_render
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops as alembic_ops
from alembic.script import Script
from sqlalchemy import CheckConstraint
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.schema import DefaultClause
from sqlalchemy.types import TypeDecorator
from sqlalchemy.types import TypeEngine

from adopt._speedups import enabled as speedups_enabled
from adopt._speedups import memory
from adopt._speedups import tested
from adopt.build import baseline_ops
from adopt.build import envrun
from adopt.build.repository import Repository
from adopt.discovery import Models
from adopt.errors import AdoptError
from adopt.errors import UsageError
from adopt.reading import connect
from adopt.reading import live_names
from adopt.reading import schema

MAX_REVISION_ID = 32  # alembic_version.version_num is VARCHAR(32)


@dataclass(frozen=True)
class BaselineSummary:
    tables: int
    indexes: int
    foreign_keys: int
    dialect_types: tuple[str, ...]  # types that only the live dialect can render
    custom_types: tuple[str, ...]  # project or library types, imported by the script

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": self.tables,
            "indexes": self.indexes,
            "foreign_keys": self.foreign_keys,
            "dialect_types": list(self.dialect_types),
            "custom_types": list(self.custom_types),
        }


@dataclass(frozen=True)
class RevisionFile:
    """A revision adopt wrote: its id and its file."""

    revision: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def as_dict(self) -> dict[str, Any]:
        return {"revision": self.revision, "path": str(self.path)}


@dataclass(frozen=True)
class Baseline(RevisionFile):
    message: str
    summary: BaselineSummary

    def as_dict(self) -> dict[str, Any]:
        return {
            **super().as_dict(),
            "message": self.message,
            "summary": self.summary.as_dict(),
        }


def generate(
    repo: Repository,
    models: Models,
    scratch: Engine | Mapping[str | None, Engine],
    message: str = "baseline",
    rev_id: str | None = None,
    names: live_names.Names | None = None,
    *,
    metadata: MetaData | None = None,
) -> Baseline:
    """Autogenerate the baseline into repo's versions/ against the empty `scratch` database
    (one per bind, by bind key, for a project with several databases). `names` are the live
    database's names for the constraints the models leave unnamed (adopt.reading.live_names): the
    baseline writes them. `metadata`, for a single database, stands in for the models' tables
    (the live database's own, for a baseline of the database as it is)."""
    check_rev_id(rev_id)
    config, script = repo.config(), repo.script()
    command_args = {
        "message": docstring_safe(message),
        "autogenerate": True,
        "sql": False,
        "head": "head",
        "splice": False,
        "branch_label": None,
        "version_path": None,
        "rev_id": rev_id,
        "depends_on": None,
    }
    revision_context = RevisionContext(config, script, command_args)

    for each in models.metadatas.values():
        lift_column_checks(each)
    engines = {models.bind: scratch} if isinstance(scratch, Engine) else dict(scratch)
    versions = repo.directory / "versions"
    before = set(versions.iterdir()) if versions.is_dir() else set()
    pinned: list[tuple[Any, Any]] = []
    hook: Callable[[dict[str, Any]], dict[str, Any]] = functools.partial(
        _adopt_options, names=names or {}, pinned=pinned
    )
    if metadata is not None:
        hook = _described_by(metadata, hook)
    try:
        made = _generate(repo, models, engines, message, config, script, revision_context, hook)
    except BaseException as exc:
        # A failure while writing (full disk, Ctrl-C) must not leave half a revision behind.
        for path in set(versions.iterdir()) - before if versions.is_dir() else ():
            if path.is_file():
                path.unlink()
        if isinstance(exc, OSError):
            raise AdoptError(
                f"Writing the baseline into {versions} failed ({exc.strerror or exc}); free "
                "disk space or fix the folder's permissions, then run again."
            ) from None
        raise
    finally:
        # The names were the script's to write, not the models' to keep.
        for constraint, name in pinned:
            constraint.name = name
    if metadata is None:
        return made
    return Baseline(made.revision, made.path, message, summarise(list(metadata.tables.values())))


def _described_by(
    metadata: MetaData, hook: Callable[[dict[str, Any]], dict[str, Any]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The options env.py passes, with `metadata` as the tables autogenerate renders."""

    def options(kw: dict[str, Any]) -> dict[str, Any]:
        return hook(dict(kw, target_metadata=metadata))

    return options


def _generate(
    repo: Repository,
    models: Models,
    engines: dict[str | None, Engine],
    message: str,
    config: Any,
    script: Any,
    revision_context: RevisionContext,
    hook: Callable[[dict[str, Any]], dict[str, Any]],
) -> Baseline:
    contexts: dict[str, AutogenContext] = {}  # each bind's autogenerate context, by token

    def retrieve(rev: Any, context: Any) -> list[Any]:
        revision_context.run_autogenerate(rev, context)
        contexts[context.opts["upgrade_token"]] = revision_context._last_autogen_context
        return []

    with contextlib.ExitStack() as stack:
        connections = {}
        for bind, engine in engines.items():
            conn = stack.enter_context(connect.connection(engine))
            # Rolled back on leaving: autogenerate only reads the empty scratch database.
            stack.callback(conn.begin().rollback)
            _require_empty(conn)
            connections[bind] = conn
        stack.enter_context(_drops_without_copies())
        envrun.run(
            config,
            script,
            connections,
            retrieve,
            flask_app=models.flask_app,
            hook=hook,
            only_listed=models.is_multi,
            as_sql=False,
            template_args=revision_context.template_args,
            revision_context=revision_context,
        )
        # Alembic announces "Generating ... done" on stdout; keep stdout for the caller (--json).
        # Flask-Migrate's multidb script template reads the app's binds: render inside the app.
        with (
            contextlib.redirect_stdout(io.StringIO()),
            envrun.app_context(models.flask_app),
            _rendered_per_bind(contexts),
        ):
            generated: list[Script | None] = list(revision_context.generate_scripts())
    scripts = [s for s in generated if s is not None]
    if not scripts:
        raise AdoptError(
            "Autogenerate produced no baseline although the scratch database was empty; "
            "check the include_object/include_name filters in env.py."
        )
    created = scripts[0]
    repo.remember(script)  # it has loaded the new revision: the next steps use it as it is
    _refuse_drops(Path(created.path))
    tables = [t for md in models.metadatas.values() for t in md.tables.values()]
    return Baseline(created.revision, Path(created.path), message, summarise(tables))


# Alembic's private rendering functions that _rendered_per_bind replaces or calls, and the last
# release they were read and tested against (tests/test_baseline_rendering.py).
RENDERING_NAMES = (
    "_render_python_into_templatevars",
    "_render_cmd_body",
    "_indent",
    "_render_constraint",
    "_render_column",
    "_render_gen_name",
)
RENDERING_TESTED_UP_TO = (1, 20)


def rendering_fits() -> bool:
    """Whether this Alembic has the rendering functions, as adopt was tested with them."""
    present = all(hasattr(alembic_render, name) for name in RENDERING_NAMES)
    return present and tested(alembic.__version__, RENDERING_TESTED_UP_TO)


@contextlib.contextmanager
def _rendered_per_bind(contexts: dict[str, AutogenContext]) -> Iterator[None]:
    """Render each bind's operations with its own context: Alembic renders them all with the
    last bind's, so with binds on two dialects one bind's defaults and types would be spelled
    for the other's (a PostgreSQL `true` rendered as SQLite's `1`). Then let the operations go
    before Alembic writes and loads the script: at 1,000 tables they are the peak memory.

    Each create_table is rendered with its constraints in the models' order
    (baseline_ops.constraints_in_model_order).

    This replaces a private function of Alembic's, wraps one and calls two more: only with the
    releases it was tested against (`rendering_fits`). With another, Alembic renders the script
    as it does, and a warning says what is lost; the verification still proves the result."""
    if not rendering_fits():
        warnings.warn(
            f"Alembic {alembic.__version__} is newer than adopt's baseline rendering was tested "
            "with: the baseline is rendered by Alembic alone (constraints in Alembic's order, "
            "one dialect's spelling for every bind); upgrade adopt to get them back.",
            stacklevel=2,
        )
        yield
        return
    original = alembic_render._render_python_into_templatevars

    def render(last: AutogenContext, migration_script: Any, template_args: dict[str, Any]) -> None:
        imports = last.imports
        for upgrade, downgrade in zip(
            migration_script.upgrade_ops_list, migration_script.downgrade_ops_list, strict=True
        ):
            context = contexts.get(upgrade.upgrade_token, last)
            context.imports = imports  # one import block for the whole script
            sqlite = context.dialect is not None and context.dialect.name == "sqlite"
            tables = _tables_of(context)
            with baseline_ops.constraints_in_model_order(alembic_render, tables, sqlite):
                rendered = alembic_render._render_cmd_body(upgrade, context)
            template_args[upgrade.upgrade_token] = baseline_ops.qualified(
                alembic_render._indent(rendered), imports
            )
            template_args[downgrade.downgrade_token] = baseline_ops.qualified(
                alembic_render._indent(alembic_render._render_cmd_body(downgrade, context)),
                imports,
            )
            upgrade.ops, downgrade.ops = [], []  # rendered: not needed any more
        template_args["imports"] = "\n".join(sorted(imports))
        memory.release(sum(len(_tables_of(c)) for c in contexts.values()))

    alembic_render._render_python_into_templatevars = render  # type: ignore[assignment]
    try:
        yield
    finally:
        alembic_render._render_python_into_templatevars = original


def _tables_of(context: AutogenContext) -> list[Table]:
    found = context.metadata
    if found is None:
        return []
    metadatas = [found] if isinstance(found, MetaData) else list(found)
    return [t for md in metadatas for t in md.tables.values()]


@contextlib.contextmanager
def _drops_without_copies() -> Iterator[None]:
    """Alembic builds the downgrade by reversing each create_table, and its reverse() copies
    the whole table (every column, constraint and index) into the drop_table operation, which
    renders from the table's name alone, all of it held until the script is written. Here
    the drop refers to the create operation instead of a copy of it (a speed-up: the plain
    path, ADOPT_SPEEDUPS=0, keeps Alembic's copy). DropTableOp's `_reverse` argument is
    private: used only with the Alembic releases it was tested with, as the rendering is."""
    if not speedups_enabled() or not tested(alembic.__version__, RENDERING_TESTED_UP_TO):
        yield
        return
    original = alembic_ops.CreateTableOp.reverse

    def reverse(self: alembic_ops.CreateTableOp) -> alembic_ops.DropTableOp:
        return alembic_ops.DropTableOp(
            self.table_name,
            schema=self.schema,
            table_kw={
                "comment": self.comment,
                "info": dict(self.info),
                "prefixes": list(self.prefixes or []),
                **self.kw,
            },
            _reverse=self,
        )

    alembic_ops.CreateTableOp.reverse = reverse  # type: ignore[method-assign]
    try:
        yield
    finally:
        alembic_ops.CreateTableOp.reverse = original  # type: ignore[method-assign]


def lift_column_checks(metadata: MetaData) -> None:
    """Move CHECK constraints declared on a column (Column(..., CheckConstraint(...))) to its
    table: Alembic renders only table-level ones, and the baseline would silently lose them.
    The schema is the same; only where the model object holds the constraint changes."""
    for table in metadata.tables.values():
        for column in table.columns:
            for check in [c for c in column.constraints if isinstance(c, CheckConstraint)]:
                column.constraints.discard(check)
                table.append_constraint(CheckConstraint(check.sqltext, name=check.name))


def check_rev_id(rev_id: str | None) -> None:
    if rev_id is not None and (len(rev_id) > MAX_REVISION_ID or not re.fullmatch(r"\w+", rev_id)):
        raise UsageError(f"--rev-id must be at most {MAX_REVISION_ID} letters, digits or '_'.")


def docstring_safe(message: str) -> str:
    """The message as it can stand inside the revision's triple-quoted docstring."""
    return message.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _require_empty(conn: Any) -> None:
    names = schema.table_names(conn)
    if names:
        raise AdoptError(
            f"The scratch database is not empty ({', '.join(names[:5])}); something (an app "
            "calling create_all() at start-up?) filled it. Remove that call or name the models "
            "with --models."
        )


def _refuse_drops(path: Path) -> None:
    # The upgrade functions only: upgrade(), or upgrade_<bind>() in the multidb layout.
    functions = re.split(r"^def ", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    upgrades = [f for f in functions if f.startswith("upgrade")]
    if any(re.search(r"op\.drop_", body) for body in upgrades):
        path.unlink()
        raise AdoptError(
            "The generated baseline drops objects, which an adoption never should; "
            "it was removed. Check env.py's include_object and the scratch database."
        )


def summarise(tables: list[Table]) -> BaselineSummary:
    dialect_types: set[str] = set()
    custom_types: set[str] = set()
    for table in tables:
        for column in table.columns:
            for type_ in _types_in(column.type):
                module = type(type_).__module__
                if module.startswith("sqlalchemy.dialects."):
                    dialect_types.add(f"{module.split('.')[2]}.{type(type_).__name__}")
                elif not is_sqlalchemy_type(type_):
                    custom_types.add(f"{module}.{type(type_).__name__}")
    return BaselineSummary(
        tables=len(tables),
        indexes=sum(len(t.indexes) for t in tables),
        foreign_keys=sum(len(t.foreign_key_constraints) for t in tables),
        dialect_types=tuple(sorted(dialect_types)),
        custom_types=tuple(sorted(custom_types)),
    )


def _types_in(type_: TypeEngine[Any]) -> list[TypeEngine[Any]]:
    found = [type_]
    item = getattr(type_, "item_type", None)
    if isinstance(item, TypeEngine):
        found += _types_in(item)
    return found


# --- rendering project and library types so the script can construct them ---------------------

RenderItem = Callable[[str, Any, AutogenContext], Any]


def _with_custom_type_rendering(options: dict[str, Any]) -> dict[str, Any]:
    user_hook: RenderItem | None = options.get("render_item")

    def render_item(kind: str, obj: Any, context: AutogenContext) -> Any:
        if user_hook is not None:
            rendered = user_hook(kind, obj, context)
            if rendered is not False:
                return rendered
        if kind == "type" and _is_custom(obj):
            return render_custom_type(obj, context)
        if kind == "server_default":
            return _sqlite_word_default(obj, context)
        return False

    return dict(options, render_item=render_item)


def _sqlite_word_default(default: Any, context: AutogenContext) -> str | bool:
    """A SQLite server default that create_all writes bare rendered bare: one word
    (CURRENT_TIMESTAMP, 10), or SQL that starts with a quote or a parenthesis ('' included,
    which Alembic's test for a quoted string misses). Alembic puts it in parentheses, which
    SQLite accepts but stores as written, so the rebuilt table's statement would differ from
    the live one's. Others create_all too puts in parentheses, as Alembic does."""
    if context.dialect is None or context.dialect.name != "sqlite":
        return False
    if not isinstance(default, DefaultClause):
        return False
    arg = default.arg
    if isinstance(arg, str):
        return False  # a literal: Alembic quotes it as create_all does
    try:
        sql = str(arg.compile(dialect=context.dialect))
    except Exception:  # Alembic's own rendering then says what it can
        return False
    if not (re.fullmatch(r"\w+", sql) or re.match(r"""\s*['"(]""", sql)):
        return False
    return f"sa.text({sql!r})"


def _adopt_options(
    options: dict[str, Any],
    names: live_names.Names | None = None,
    pinned: list[tuple[Any, Any]] | None = None,
) -> dict[str, Any]:
    """What adopt adds to the options env.py passes: rendering of project types, the
    operations autogenerate leaves out (adopt.build.baseline_ops), and the CREATE SCHEMA statements
    that must come before the tables of other schemas."""
    options = _with_completed_operations(_with_custom_type_rendering(options), names, pinned)
    metadata = options.get("target_metadata")
    schemas = sorted({t.schema for t in metadata.tables.values() if t.schema}) if metadata else []
    if not schemas:
        return options
    user_hook = options.get("process_revision_directives")

    def create_schemas_first(context: Any, revision: Any, directives: list[Any]) -> None:
        if user_hook is not None:
            user_hook(context, revision, directives)
        if not directives or context.dialect.name != "postgresql":
            return
        # This call's bind: the multidb layout has one UpgradeOps per bind, the last is ours.
        upgrade = directives[0].upgrade_ops_list[-1]
        if upgrade is not None and not upgrade.is_empty():
            upgrade.ops[:0] = [
                alembic_ops.ExecuteSQLOp(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
                for name in schemas
            ]

    options = dict(options, process_revision_directives=create_schemas_first)
    options.setdefault("include_schemas", True)
    return options


def _with_completed_operations(
    options: dict[str, Any],
    names: live_names.Names | None = None,
    pinned: list[tuple[Any, Any]] | None = None,
) -> dict[str, Any]:
    """The project's process_revision_directives first, then adopt's additions to this
    bind's operations (adopt.build.baseline_ops: sequences, keys created after their tables)."""
    user_hook = options.get("process_revision_directives")

    def complete(context: Any, revision: Any, directives: list[Any]) -> None:
        if user_hook is not None:
            user_hook(context, revision, directives)
        if not directives:
            return
        # This call's bind: the multidb layout has one UpgradeOps per bind, the last is ours.
        upgrade = directives[0].upgrade_ops_list[-1]
        downgrade = directives[0].downgrade_ops_list[-1]
        if upgrade is not None and not upgrade.is_empty():
            baseline_ops.complete(
                upgrade,
                downgrade,
                context.dialect,
                names,
                pinned,
                include_object=context.opts.get("include_object"),
            )

    return dict(options, process_revision_directives=complete)


def _is_custom(type_: Any) -> bool:
    return isinstance(type_, TypeEngine) and not is_sqlalchemy_type(type_)


def is_sqlalchemy_type(type_: Any) -> bool:
    """SQLAlchemy's own types: the module is `sqlalchemy` or under `sqlalchemy.` (a package
    whose name merely starts so, such as sqlalchemy_utils, is a library like any other)."""
    module = type(type_).__module__
    return module == "sqlalchemy" or module.startswith("sqlalchemy.")


def render_custom_type(type_: TypeEngine[Any], context: AutogenContext) -> str | bool:
    """`module.Type(args)` with `import module` when that rebuilds the same type; else, for a
    TypeDecorator, the type it stores as (so the script does not depend on project code)."""
    module = type(type_).__module__
    text = f"{module}.{type_!r}"
    dialect = context.dialect
    if dialect is not None and _rebuilds(text, module, type_, dialect):
        if context.imports is not None:
            context.imports.add(f"import {module}")
        return text
    if isinstance(type_, TypeDecorator):
        return str(alembic_render._repr_type(type_.impl_instance, context))
    return False


def _rebuilds(text: str, module: str, type_: TypeEngine[Any], dialect: Any) -> bool:
    try:
        importlib.import_module(module)
        # SQLAlchemy's names too: a type's repr writes its nested types bare (`Text()`), and
        # the rendered script spells them sa.Text() (baseline_ops.qualified).
        namespace = {n: getattr(sqlalchemy, n) for n in dir(sqlalchemy) if not n.startswith("_")}
        namespace[module.split(".")[0]] = importlib.import_module(module.split(".")[0])
        rebuilt = eval(text, namespace)
        return bool(rebuilt.compile(dialect=dialect) == type_.compile(dialect=dialect))
    except Exception:
        return False
