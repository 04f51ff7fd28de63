"""The adoption pipeline as plain functions: locate, check, baseline, stamp, run.

Every front end (the CLI, the wizard, tests) calls these; they never print and never exit.
Long steps report through `progress`, a callable that takes one line of text."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any
from typing import Concatenate
from typing import ParamSpec
from typing import TypeVar

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from adopt import committed
from adopt import options as options_mod
from adopt._speedups import background
from adopt._speedups import memory
from adopt._speedups import sqlite_catalog
from adopt.build import baseline as baseline_mod
from adopt.build import envrun
from adopt.build import project_lock
from adopt.build import repository
from adopt.build import scratch as scratch_mod
from adopt.build import verify as verify_mod
from adopt.compare import confirmation
from adopt.compare import drift
from adopt.compare.differences import Difference
from adopt.compare.differences import MatchReport
from adopt.compare.differences import SetAside
from adopt.discovery import LiveTarget
from adopt.discovery import Models
from adopt.discovery import bind_target
from adopt.discovery import live_target
from adopt.discovery import load_models
from adopt.errors import AdoptError
from adopt.errors import DriftError
from adopt.errors import UnreachableError
from adopt.errors import UsageError
from adopt.reading import connect
from adopt.reading import inventory
from adopt.reading import live_names
from adopt.reading import schema
from adopt.reading import version_table
from adopt.stamping import audit
from adopt.stamping import fleet
from adopt.stamping import stamp as stamp_mod
from adopt.stamping.targets import Target
from adopt.urls import describe
from adopt.urls import hide_password
from adopt.urls import is_sqlite
from adopt.urls import sqlite_path
from adopt.wording import counted

Progress = Callable[[str], None]
P = ParamSpec("P")
R = TypeVar("R")


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class Project:
    """What adopt works on: the models, the live database and the migration folder.

    A project with Flask-SQLAlchemy binds has one part per database (`parts()`); each part is
    a Project of its own, checked, verified and stamped on its own, while the baseline is one
    revision for all of them (Flask-Migrate's multidb layout)."""

    models: Models
    live: LiveTarget
    directory: str | None = None
    excluded_binds: tuple[str, ...] = ()
    bind_urls: dict[str, LiveTarget] = field(default_factory=dict, compare=False)

    @property
    def bind(self) -> str | None:
        return self.models.bind

    @property
    def is_multi(self) -> bool:
        return self.models.is_multi

    @property
    def bind_label(self) -> str:
        """How a part is named in output: "" for a single-database project."""
        if not self.is_multi:
            return ""
        return "default database" if self.bind is None else f"bind '{self.bind}'"

    def parts(self) -> list[Project]:
        """One Project per database: just this one without binds."""
        if not self.is_multi:
            return [self]
        return [
            replace(self, models=self.models.for_bind(key), live=self._bind_live(key))
            for key in self.models.bind_keys
            if key not in self.excluded_binds
        ]

    def _bind_live(self, key: str | None) -> LiveTarget:
        return self.live if key is None else self.bind_urls[key]

    @property
    def live_label(self) -> str:
        return describe(self.live.url)

    @property
    def live_url(self) -> str:
        return hide_password(self.live.url)

    @property
    def dialect(self) -> str:
        return self.live.url.get_backend_name()


def locate(
    app: str | None = None,
    models: str | None = None,
    url: str | None = None,
    imports: tuple[str, ...] = (),
    directory: str | None = None,
    script_info: Any | None = None,
    default_url: URL | None = None,
    excluded_binds: tuple[str, ...] = (),
) -> Project:
    """Step 1: find the models and the live database (`default_url` when none is configured,
    for commands whose targets are all named)."""
    found = load_models(app, models, imports, script_info, options_mod.load().binds)
    _require_known_binds(found, excluded_binds)
    binds = {
        key: bind_target(found, key)
        for key in found.bind_keys
        if key is not None and key not in excluded_binds
    }
    if None not in found.bind_keys and binds and not url:
        # Every model is in a named bind: the default database, if any, is not adopted.
        target = next(iter(binds.values()))
    else:
        try:
            target = live_target(found, url)
        except UsageError:
            if default_url is None:
                raise
            target = LiveTarget(default_url, "the first target")
    for each in (target, *binds.values()):
        if is_sqlite(each.url) and sqlite_path(each.url) is None:
            raise UsageError(
                "The live database cannot be an in-memory SQLite database; give a file or "
                "server URL."
            )
    return Project(found, target, directory, excluded_binds, binds)


def _require_known_binds(models: Models, excluded: tuple[str, ...]) -> None:
    known = {k for k in models.bind_keys if k is not None}
    unknown = sorted(set(excluded) - known)
    if unknown:
        raise UsageError(
            f"--exclude-bind {unknown[0]}: the project has no bind of that name with models "
            f"(binds: {', '.join(sorted(known)) or 'none'})."
        )


# --- step 2: the match check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    report: MatchReport
    snapshot: schema.Snapshot = field(repr=False)


def check(
    project: Project,
    progress: Progress = _quiet,
    *,
    stamped_ok: bool = False,
    options: dict[str, Any] | None = None,
    scratch: str = "auto",
) -> Checked:
    """Compare the live database with the models, read-only; nothing is written to it.
    `options` are the project's comparison options, when already read (`project_options`).
    Where Alembic's comparison finds a difference, or a table says more than it compares,
    those tables are built from the models in a scratch database (`scratch`: a strategy or a
    URL, as for the baseline; "none" for no confirmation) and compared like with like
    (adopt.compare.confirmation)."""
    engine = connect.create(project.live.url, read_only=True)
    progress(f"Reading {project.live_label}")
    try:
        with (
            connect.connection(engine) as conn,
            conn.begin() as transaction,
            sqlite_catalog.read_once(conn),
        ):
            state, live_names = _live_state(conn, project, stamped_ok)
            progress(
                f"Comparing {len(project.models.metadata.tables)} model tables with "
                f"{len(live_names)} live tables"
            )
            if options is None:
                options = project_options(project)
            compared = drift.comparison_options(options, project.models.metadata)
            # One bulk reflection of the live database in this read-only transaction serves
            # adopt's reading and then Alembic's comparison (adopt.compare.alembic_comparison).
            live_tables, snapshot, extra = _read_live(conn, project, compared)
            alembic = drift.alembic_differences(conn, project.models.metadata, compared)
            raw = drift.corrected(alembic, live_tables, conn.dialect, compared)
            model_names = {t.name for t in project.models.metadata.tables.values()}
            hidden = drift.filtered_out(compared, [n for n in live_names if n not in model_names])
            classified = drift.classify(raw, conn.dialect)
            transaction.rollback()
    finally:
        engine.dispose()
    compared_tables = [t.model.key for t in live_tables]
    classified, confirmed = _confirmed(
        project, classified, snapshot, compared_tables, scratch, progress
    )
    report = replace(
        _report(project, state, live_names, classified),
        not_in_baseline=extra,
        filtered_out=tuple(hidden),
    )
    if confirmed:
        report = replace(report, notes=(*report.notes, confirmed))
    return Checked(report, snapshot)


def _confirmed(
    project: Project,
    classified: list[Any],
    snapshot: schema.Snapshot,
    compared: list[str],
    choice: str,
    progress: Progress,
) -> tuple[list[Any], str]:
    """`classified` confirmed by what the live server makes of the models (see
    adopt.compare.confirmation), and a note when that could not be done."""
    metadata = project.models.metadata
    dialect = project.live.url.get_backend_name()
    tables = confirmation.needing_review(classified, snapshot, metadata, compared, dialect)
    if not tables:
        return classified, ""
    weaker = (
        "the differences listed are Alembic's view, and some may be two spellings the server "
        f"stores alike; details of {counted(len(tables), 'table')} that only the server's own "
        "build of the models shows (partial or ordered indexes, collations, ...) were not compared."
    )
    if choice == "none":
        return classified, "The check is the weaker one (--scratch none): " + weaker
    plan = scratch_mod.plan(project.live.url, choice)
    progress(
        f"Building {counted(len(tables), 'model table')} in {plan.label} to compare like with like"
    )
    try:
        built = confirmation.built(
            lambda: scratch_mod.open_scratch(project.live.url, plan), metadata, tables
        )
    except UnreachableError:
        raise
    except (SQLAlchemyError, AdoptError) as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return classified, (
            f"The models could not be built in {plan.label} ({first}), so the check is the "
            "weaker one: " + weaker
        )
    return confirmation.confirm(classified, snapshot, built, tables), ""


def _read_live(
    conn: Any, project: Project, options: dict[str, Any]
) -> tuple[list[schema.LiveTable], schema.Snapshot, Any]:
    """What the check reads of the live database besides Alembic's comparison: the model
    tables as adopt compares them, the snapshot verification needs, and what the baseline
    cannot hold."""
    found = drift.live_tables(conn, project.models.metadata, options)
    snapshot = schema.take_all(conn, project.models.schemas)
    declared = confirmation.declared_sequences(project.models.metadata.tables.values())
    return found, snapshot, inventory.not_in_baseline(conn, declared)


def preflight(project: Project) -> None:
    """What `check` refuses first (an unreachable database, one already stamped, one with no
    tables), found by a connection and a look at alembic_version, before the baseline writes
    anything."""
    for part in project.parts():
        engine = connect.create(part.live.url, read_only=True)
        try:
            with connect.connection(engine) as conn, conn.begin() as transaction:
                _live_state(conn, part, stamped_ok=False)
                transaction.rollback()
        finally:
            engine.dispose()


def _live_state(
    conn: Any, project: Project, stamped_ok: bool
) -> tuple[version_table.VersionState, list[str]]:
    state = version_table.read(conn)
    if state.revisions and not stamped_ok:
        raise UsageError(
            f"{project.live_url} already has alembic_version at {state.label}: it is "
            "already under migrations; run 'adopt status' to see where it stands."
        )
    live_names = [n for n in schema.table_names(conn) if n != schema.VERSION_TABLE]
    if not live_names:
        raise UsageError(
            f"{project.live_url} has no tables: this is a new project, not an adoption; "
            "use 'flask db migrate' / 'alembic revision --autogenerate' directly."
        )
    return state, live_names


def project_options(project: Project) -> dict[str, Any]:
    """Comparison options of the project: Migrate(...)'s, overridden by those its existing
    env.py passes to configure()."""
    found = dict(project.models.migrate_options)
    repo = repository.find(project.models, project.directory)
    if repo is not None and (repo.directory / "env.py").is_file():
        found.update(
            envrun.options(repo.config(), repo.script(), project.models.flask_app, project.bind)
        )
    return found


def _report(
    project: Project,
    state: version_table.VersionState,
    live_names: list[str],
    classified: list[Any],
) -> MatchReport:
    diffs = tuple(c for c in classified if isinstance(c, Difference))
    unmanaged = tuple(sorted(c for c in classified if isinstance(c, str)))
    notes = []
    model_count = len(project.models.metadata.tables)
    missing = sum(1 for d in diffs if d.kind == "missing_table")
    if (unmanaged and len(unmanaged) > model_count) or missing > model_count / 2:
        notes.append(
            "Most tables do not line up between the models and the database: the "
            "model modules are probably not all imported (name them with --import)."
        )
    if project.models.create_all_at_startup:
        notes.append(
            "The app calls create_all() while it starts; adopt skipped that call. "
            "Remove it: with migrations, 'flask db upgrade' creates the tables."
        )
    if state.exists and not state.revisions:
        notes.append(
            "An empty alembic_version table exists (left by 'flask db check' or "
            "'migrate'); stamping will fill it."
        )
    return MatchReport(
        database=project.live_url,
        dialect=project.dialect,
        model_tables=model_count,
        live_tables=len(live_names),
        differences=diffs,
        unmanaged=unmanaged,
        set_aside=tuple(c for c in classified if isinstance(c, SetAside)),
        version_table=state.label,
        models=project.models.source,
        notes=tuple(notes),
    )


def require_match(
    report: MatchReport, *, accept_differences: bool = False, exclude_unmanaged: bool = False
) -> None:
    if report.differences and not accept_differences:
        raise DriftError(
            "The live database differs from the models in "
            f"{counted(len(report.differences), 'way')}, listed above with their fixes; fix "
            "them, adopt the database as it is with a catch-up revision to the models "
            "('adopt run --yes --from-database'), or let the baseline follow the models with "
            "'adopt baseline --accept-differences'.",
            report,
        )
    if report.unmanaged and not exclude_unmanaged:
        raise DriftError(
            "Not in the models (unmanaged): "
            f"{counted(len(report.unmanaged), 'table')} in the database "
            f"({', '.join(report.unmanaged[:5])}); add their models, or pass --exclude-unmanaged "
            "to leave them out of migrations.",
            report,
        )


# --- steps 3-6: scratch, repository, baseline, verification --------------------------------------


@dataclass(frozen=True)
class Adoption:
    """The outcome of `baseline`: the revision written and the proof that it rebuilds the schema.
    With binds, one Adoption per database (`parts`), all sharing the revision."""

    report: MatchReport
    repository: repository.Repository
    scratch: scratch_mod.ScratchPlan
    baseline: baseline_mod.Baseline
    verification: verify_mod.Verification
    excluded: tuple[str, ...] = ()
    live_snapshot: schema.Snapshot | None = field(default=None, repr=False)
    bind: str | None = None
    bind_label: str = ""
    others: tuple[Adoption, ...] = ()  # the other databases of a project with binds

    @property
    def parts(self) -> tuple[Adoption, ...]:
        return (self, *self.others)

    @property
    def passed(self) -> bool:
        return all(part.verification.passed for part in self.parts)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "check": self.report.as_dict(),
            "repository": str(self.repository.directory),
            "layout": self.repository.layout,
            "scratch": {"strategy": self.scratch.strategy, "reason": self.scratch.reason},
            "baseline": self.baseline.as_dict(),
            "verification": self.verification.as_dict(),
            "excluded_tables": list(self.excluded),
        }
        if self.others:
            found["databases"] = [part._bind_dict() for part in self.parts]
        return found

    def _bind_dict(self) -> dict[str, Any]:
        return {
            "bind": self.bind,
            "check": self.report.as_dict(),
            "scratch": {"strategy": self.scratch.strategy, "reason": self.scratch.reason},
            "verification": self.verification.as_dict(),
            "excluded_tables": list(self.excluded),
        }


def prepare_repository(project: Project) -> repository.Repository:
    existing = repository.find(project.models, project.directory)
    if existing is not None:
        repository.require_no_revisions(existing)
        repository.check_writable(existing)
        return existing
    return repository.create(project.models, project.live.url, project.directory)


@contextlib.contextmanager
def project_locked(project: Project) -> Iterator[None]:
    """The project's lock, held: two runs in one project never both write a baseline
    (adopt.build.project_lock)."""
    with project_lock.held(repository.directory_for(project.models, project.directory)):
        yield


def _under_the_project_lock(
    step: Callable[Concatenate[Project, P], R],
) -> Callable[Concatenate[Project, P], R]:
    """The step, with the project's lock held: two runs in one project never both write a
    baseline (adopt.build.project_lock)."""

    @functools.wraps(step)
    def locked(project: Project, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with project_locked(project):
            return step(project, *args, **kwargs)

    return locked


@_under_the_project_lock
def baseline(
    project: Project,
    *,
    scratch: str = "auto",
    message: str = "baseline",
    rev_id: str | None = None,
    accept_differences: bool = False,
    exclude_unmanaged: bool = False,
    checked: Checked | Sequence[Checked] | None = None,
    progress: Progress = _quiet,
) -> Adoption:
    """Check, then write and verify the baseline. A baseline that fails verification, or whose
    check finds differences, is removed (with a repository this call created) unless
    accept_differences is set. `checked` is the check already made (one per part of a
    project with binds); without it, the live database is checked while the baseline rebuilds
    the schema in the scratch database, after what the check refuses outright (`preflight`)."""
    baseline_mod.check_rev_id(rev_id)  # before any work
    parts = project.parts()
    checks = _given_checks(checked)
    if checks:
        _require_matches(checks, accept_differences, exclude_unmanaged)
    options: list[dict[str, Any]] = []
    plans = [_scratch_plan(part, scratch) for part in parts]
    if not checks and any(plan.strategy == "url" for plan in plans):
        # A lent scratch database serves one thing at a time: the check's confirmation
        # (adopt.compare.confirmation) before the generation, not beside the rebuild.
        checks = [check(part, progress, scratch=scratch) for part in parts]
        _require_matches(checks, accept_differences, exclude_unmanaged)
    if not checks:
        preflight(project)
        # Read before the repository is made, as a check before the baseline would.
        options = [project_options(part) for part in parts]
    repo = prepare_repository(project)
    env_before = _env_text(repo)
    written: list[Any] = []
    try:
        if project.excluded_binds:
            repository.exclude_binds(repo, project.excluded_binds)
        rebuilding = _rebuilding(project, plans, progress)
        progress(
            f"Generating the baseline of {rebuilding.tables} tables against {rebuilding.label}"
        )
        with contextlib.ExitStack() as stack:
            engines = {
                part.bind: stack.enter_context(scratch_mod.open_scratch(part.live.url, plan))
                for part, plan in zip(parts, plans, strict=True)
            }
            names = _live_names(parts)
            made = baseline_mod.generate(repo, project.models, engines, message, rev_id, names)
            written.append(made.path)
            # The generation's garbage, before the rebuild and the check.
            memory.release(made.summary.tables)
            # Generation only read the scratch databases (and rolled back): they are still
            # empty, so verification builds in them instead of creating new ones.
            if checks:
                rebuilding.run(project, repo, engines)
            else:
                checks = rebuilding.run(project, repo, engines, options, scratch)
                try:
                    _require_matches(checks, accept_differences, exclude_unmanaged)
                except DriftError as exc:
                    raise DriftError(
                        f"{exc} The baseline generated meanwhile was removed: nothing was written.",
                        exc.report,
                    ) from None
            unmanaged = sorted({name for each in checks for name in each.report.unmanaged})
            if unmanaged:
                repository.exclude_tables(repo, unmanaged)
            adoptions = [
                Adoption(
                    each.report,
                    repo,
                    plan,
                    made,
                    _no_verification(),
                    each.report.unmanaged,
                    each.snapshot,
                    part.bind,
                    part.bind_label,
                )
                for part, plan, each in zip(parts, plans, checks, strict=True)
            ]
            adoption = _examined(project, adoptions, engines, progress)
        progress("Baseline verified" if adoption.passed else "Verification done")
    except BaseException:
        remove_written(written, repo)
        _restore_env(repo, env_before)
        raise
    if not adoption.passed and not accept_differences:
        discard(adoption)
        _restore_env(repo, env_before)
        failed = next(part for part in adoption.parts if not part.verification.passed)
        raise DriftError(
            "The baseline does not rebuild the live schema exactly"
            + (f" ({failed.bind_label})" if failed.bind_label else "")
            + "; it was removed. Fix the differences listed, or pass --accept-differences to "
            "keep it.",
            failed.verification,
        )
    committed.record(_kept(adoption))
    return adoption


def _kept(adoption: Adoption) -> str:
    return f"baseline {adoption.baseline.revision} written to {adoption.baseline.path}"


def _live_names(parts: Sequence[Project]) -> live_names.Names:
    """The names each live database gave to the constraints the models leave unnamed, which
    the baseline writes (adopt.reading.live_names): read-only, one query per database."""
    found: live_names.Names = {}
    for part in parts:
        found.update(live_names.read(part.live.url))
    return found


def _env_text(repo: repository.Repository) -> str | None:
    env = repo.directory / "env.py"
    return env.read_text(encoding="utf-8") if env.is_file() else None


def _restore_env(repo: repository.Repository, text: str | None) -> None:
    """Undo the filters written into an existing repository's env.py by a failed baseline."""
    env = repo.directory / "env.py"
    if text is not None and env.is_file() and env.read_text(encoding="utf-8") != text:
        env.write_text(text, encoding="utf-8")


def _given_checks(checked: Checked | Sequence[Checked] | None) -> list[Checked]:
    if isinstance(checked, Checked):
        return [checked]
    return list(checked or ())


def _require_matches(
    checks: list[Checked], accept_differences: bool, exclude_unmanaged: bool
) -> None:
    for each in checks:
        require_match(
            each.report, accept_differences=accept_differences, exclude_unmanaged=exclude_unmanaged
        )


def _rebuild(project: Project, repo: repository.Repository, engines: dict[str | None, Any]) -> None:
    for part in project.parts():
        verify_mod.upgrade(repo, part.models, engines[part.bind])


def _rebuilding(
    project: Project, plans: Sequence[scratch_mod.ScratchPlan], progress: Progress
) -> _Rebuilding:
    tables = sum(len(md.tables) for md in project.models.metadatas.values())
    return _Rebuilding(", ".join(p.label for p in plans), tables, progress)


@dataclass
class _Rebuilding:
    """The verification's rebuild of the scratch databases, run in a background thread with its
    progress shown in tables created; when the live databases still need their check, this
    thread checks them meanwhile (the rebuild mostly waits for the server). One process: a
    check forked beside the rebuild saved little and cost the memory of the pages copied
    between the two (bench/README.md, the memory measurements)."""

    label: str
    tables: int
    progress: Progress

    def run(
        self,
        project: Project,
        repo: repository.Repository,
        engines: dict[str | None, Any],
        options: list[dict[str, Any]] | None = None,
        scratch: str = "auto",
    ) -> list[Checked]:
        self.progress(
            f"Verifying: rebuilding the schema in {self.label}"
            + (", checking the live database" if options is not None else "")
        )
        rebuild = background.running(lambda: _rebuild(project, repo, engines), engines.values())
        with rebuild as job:
            tick = self._ticker(job)
            checks = []
            if options is not None:
                checks = [
                    check(part, self.progress, options=opts, scratch=scratch)
                    for part, opts in zip(project.parts(), options, strict=True)
                ]
            while not job.wait(1.0):
                tick()
            job.result()
        return checks

    def _ticker(self, job: background.Job[Any]) -> Callable[[], None]:
        """A call that shows the tables created so far, when they changed since the last."""
        shown = 0

        def tick() -> None:
            nonlocal shown
            if job.tables_created != shown:  # one line a second at most, off a terminal
                shown = job.tables_created
                self.progress(
                    f"Verifying: rebuilding the schema in {self.label}: "
                    f"{min(shown, self.tables)}/{self.tables} tables"
                )

        return tick


def _examined(
    project: Project,
    adoptions: list[Adoption],
    engines: dict[str | None, Any],
    progress: Progress,
) -> Adoption:
    """Compare each rebuilt scratch database with its live database and models."""
    done = []
    for part, adoption in zip(project.parts(), adoptions, strict=True):
        assert adoption.live_snapshot is not None
        where = f" ({part.bind_label})" if part.bind_label else ""
        progress(f"Verifying: comparing the rebuilt schema with the live one{where}")
        result = verify_mod.examine(
            part.models,
            engines[part.bind],
            adoption.live_snapshot,
            adoption.excluded + adoption.report.filtered_out,
            project_options(part),
            check=adoption.report,
            opener=confirming_scratch(part, adoption.scratch),
        )
        done.append(replace(adoption, verification=result))
    return replace(done[0], others=tuple(done[1:]))


def confirming_scratch(
    part: Project, plan: scratch_mod.ScratchPlan
) -> confirmation.ScratchOpener | None:
    """A second scratch database for the verification's like-with-like comparison with the
    models; none when the scratch is a lent database, which holds the rebuilt schema."""
    if plan.strategy == "url":
        return None
    return lambda: scratch_mod.open_scratch(part.live.url, plan)


def _scratch_plan(part: Project, choice: str) -> scratch_mod.ScratchPlan:
    if part.is_multi and choice not in scratch_mod.STRATEGIES:
        raise UsageError(
            "--scratch URL names one database, but this project has several (binds); use "
            "--scratch auto, memory or server."
        )
    return scratch_mod.plan(part.live.url, choice)


def _no_verification() -> verify_mod.Verification:
    return verify_mod.Verification((), (), 0)


def reverify(project: Project, adoption: Adoption, progress: Progress = _quiet) -> Adoption:
    """Rebuild the schema from the baseline in new scratch databases and compare it again
    (after an edit of the baseline); each database of a project with binds on its own."""
    parts = project.parts()
    with contextlib.ExitStack() as stack:
        engines = {
            part.bind: stack.enter_context(scratch_mod.open_scratch(part.live.url, each.scratch))
            for part, each in zip(parts, adoption.parts, strict=True)
        }
        # The previous verification's garbage, before the rebuild.
        memory.release(len(project.models.metadata.tables))
        _rebuilding(project, [each.scratch for each in adoption.parts], progress).run(
            project, adoption.repository, engines
        )
        return _examined(project, list(adoption.parts), engines, progress)


def head_reference(adoption: Adoption) -> dict[str | None, fleet.Reference]:
    """The head schema the verification just built for each database (by bind), to check the
    live databases against."""
    return {
        part.bind: fleet.Reference(part.verification.rebuilt, part.verification.catalog)
        for part in adoption.parts
        if part.verification.rebuilt
    }


def discard(adoption: Adoption) -> None:
    """Remove the baseline, and the repository if this run created it."""
    remove_written([adoption.baseline.path], adoption.repository)
    committed.forget(_kept(adoption))


def remove_written(paths: list[Any], repo: repository.Repository) -> None:
    """Remove the revision files written (with their bytecode), and the repository if this
    run created it."""
    for path in paths:
        if path.exists():
            path.unlink()
        cache = path.parent / "__pycache__"
        if cache.is_dir():
            for item in cache.glob(path.stem + ".*"):
                item.unlink()
    repository.remove(repo)


# --- step 7: stamping ----------------------------------------------------------------------------


def _existing_repository(project: Project) -> repository.Repository:
    repo = repository.find(project.models, project.directory)
    if repo is None:
        raise UsageError(
            f"No migration repository at "
            f"{repository.directory_for(project.models, project.directory)}; "
            "run 'adopt baseline' first (or pass --directory)."
        )
    return repo


def stamp_sql(project: Project) -> str:
    """The SQL stamping would run on the live database's dialect (each bind's), without
    connecting."""
    script = _existing_repository(project).script()
    if not project.is_multi:
        return stamp_mod.stamp_sql(project.dialect, script)
    return "".join(
        f"-- {part.bind_label} ({part.dialect})\n" + stamp_mod.stamp_sql(part.dialect, script)
        for part in project.parts()
    )


def head_revision(project: Project) -> str:
    """The repository's one head (refused when there is none or several)."""
    return stamp_mod.single_head(_existing_repository(project).script())


def head_schema(
    part: Project, target: Target, scratch_choice: str, timeout: int | None, progress: Progress
) -> tuple[fleet.Reference, str]:
    """The head schema built once in a scratch database on `target`'s server (or the one
    chosen), as every target of its dialect is checked against: (schema, head revision)."""
    repo = _existing_repository(part)
    plan = fleet.prepare(
        repo, part.models, [target], progress, {}, scratch_choice, timeout, project_options(part)
    )
    dialect = target.url.get_backend_name()
    if dialect not in plan.references:
        outcome, reason = plan.problems.get(dialect, (fleet.FAILED, "no head schema was built"))
        raise (UnreachableError if outcome == fleet.UNREACHABLE else AdoptError)(reason)
    return plan.references[dialect], plan.head


def live_database_target(project: Project) -> Target:
    if project.is_multi:
        return Target(f"live {project.bind or 'default'}", project.live.url)
    return Target("live", project.live.url)


def part_named(project: Project, bind: str | None) -> Project:
    """The part of a project with binds whose schema named targets are checked against."""
    names = ", ".join(p.bind or "default" for p in project.parts())
    if not project.is_multi:
        if bind:
            raise UsageError(f"--bind {bind}: this project has one database, no binds.")
        return project
    if not bind:
        raise UsageError(
            f"This project has several databases ({names}): name the one the targets "
            "belong to with --bind NAME ('default' for the default database)."
        )
    key = None if bind == "default" else bind
    for part in project.parts():
        if part.bind == key:
            return part
    raise UsageError(f"--bind {bind}: no such bind with models (binds: {names}).")


def stamp_targets(
    project: Project,
    targets: list[Target] | None = None,
    *,
    stamp: bool = True,
    force: bool = False,
    jobs: int | None = None,
    timeout: int | None = None,
    audit_choice: str = audit.DEFAULT,
    reference: dict[str | None, fleet.Reference] | None = None,
    scratch_choice: str = "auto",
    bind: str | None = None,
    progress: Progress = _quiet,
    upgrade: bool = False,
    revision: str | None = None,
) -> list[fleet.TargetResult]:
    """Check every target against the head schema; stamp those that match and are not at head.
    A target that matches an older revision instead is stamped there (adopt.build.history), and
    with `upgrade` upgraded to head; `revision` names the revision to stamp, checked first.
    Without targets, the live database (each bind's, for a project with binds); named targets
    belong to one bind (`bind`). `reference` holds head schemas already built (by the
    baseline verification) for the live databases, by bind, to spare building them again."""
    repo = _existing_repository(project)
    if targets:
        jobs_for = [(part_named(project, bind), targets)]
    else:
        jobs_for = [(part, [live_database_target(part)]) for part in project.parts()]
    results: list[fleet.TargetResult] = []
    for part, chosen in jobs_for:
        given = (reference or {}).get(part.bind)
        known = {part.dialect: given} if given is not None else {}
        plan = fleet.prepare(
            repo,
            part.models,
            chosen,
            progress,
            known,
            scratch_choice,
            timeout,
            project_options(part),
        )
        # Head named as the revision is head: checked against head's schema, as without it.
        plan = replace(plan, upgrade=upgrade, revision=None if revision == plan.head else revision)
        results += fleet.run(
            plan,
            chosen,
            stamp=stamp,
            force=force,
            jobs=jobs,
            timeout=timeout,
            audit_choice=audit_choice,
            progress=progress,
        )
    return results
