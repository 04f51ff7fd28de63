"""The adoption pipeline as plain functions: locate, check, baseline, stamp, run.

Every front end (the CLI, the wizard, tests) calls these; they never print and never exit.
Long steps report through `progress`, a callable that takes one line of text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import URL

from adopt import audit
from adopt import baseline as baseline_mod
from adopt import connect
from adopt import drift
from adopt import envrun
from adopt import fleet
from adopt import inventory
from adopt import repository
from adopt import schema
from adopt import scratch as scratch_mod
from adopt import stamp as stamp_mod
from adopt import verify as verify_mod
from adopt import version_table
from adopt.differences import Difference
from adopt.differences import MatchReport
from adopt.differences import SetAside
from adopt.discovery import LiveTarget
from adopt.discovery import Models
from adopt.discovery import live_target
from adopt.discovery import load_models
from adopt.errors import DriftError
from adopt.errors import UsageError
from adopt.targets import Target
from adopt.urls import describe
from adopt.urls import hide_password
from adopt.urls import is_sqlite
from adopt.urls import sqlite_path

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class Project:
    """What adopt works on: the models, the live database and the migration folder."""

    models: Models
    live: LiveTarget
    directory: str | None = None

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
) -> Project:
    """Step 1: find the models and the live database (`default_url` when none is configured,
    for commands whose targets are all named)."""
    found = load_models(app, models, imports, script_info)
    try:
        target = live_target(found, url)
    except UsageError:
        if default_url is None:
            raise
        target = LiveTarget(default_url, "the first target")
    if is_sqlite(target.url) and sqlite_path(target.url) is None:
        raise UsageError(
            "The live database cannot be an in-memory SQLite database; give a file or server URL."
        )
    return Project(found, target, directory)


# --- step 2: the match check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    report: MatchReport
    snapshot: schema.Snapshot = field(repr=False)


def check(project: Project, progress: Progress = _quiet, *, stamped_ok: bool = False) -> Checked:
    """Compare the live database with the models, read-only; nothing is written."""
    engine = connect.create(project.live.url, read_only=True)
    progress(f"Reading {project.live_label}")
    try:
        with connect.connection(engine) as conn, conn.begin() as transaction:
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
            progress(
                f"Comparing {len(project.models.metadata.tables)} model tables with "
                f"{len(live_names)} live tables"
            )
            options = drift.comparison_options(project_options(project), project.models.metadata)
            raw = drift.raw_differences(conn, project.models.metadata, options)
            model_names = {t.name for t in project.models.metadata.tables.values()}
            hidden = drift.filtered_out(options, [n for n in live_names if n not in model_names])
            classified = drift.classify(raw, conn.dialect)
            snapshot = schema.take_all(conn, project.models.schemas)
            extra = inventory.not_in_baseline(conn)
            transaction.rollback()
    finally:
        engine.dispose()
    report = replace(
        _report(project, state, live_names, classified),
        not_in_baseline=extra,
        filtered_out=tuple(hidden),
    )
    return Checked(report, snapshot)


def project_options(project: Project) -> dict[str, Any]:
    """Comparison options of the project: Migrate(...)'s, overridden by those its existing
    env.py passes to configure()."""
    found = dict(project.models.migrate_options)
    repo = repository.find(project.models, project.directory)
    if repo is not None and (repo.directory / "env.py").is_file():
        found.update(envrun.options(repo.config(), repo.script(), project.models.flask_app))
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
            f"The live database differs from the models in {len(report.differences)} way(s), "
            "listed above with their fixes; fix them, or let the baseline follow the models "
            "with 'adopt baseline --accept-differences'.",
            report,
        )
    if report.unmanaged and not exclude_unmanaged:
        raise DriftError(
            f"{len(report.unmanaged)} table(s) in the database are not in the models "
            f"({', '.join(report.unmanaged[:5])}); add their models, or pass --exclude-unmanaged "
            "to leave them out of migrations.",
            report,
        )


# --- steps 3-6: scratch, repository, baseline, verification --------------------------------------


@dataclass(frozen=True)
class Adoption:
    """The outcome of `baseline`: the revision written and the proof that it rebuilds the schema."""

    report: MatchReport
    repository: repository.Repository
    scratch: scratch_mod.ScratchPlan
    baseline: baseline_mod.Baseline
    verification: verify_mod.Verification
    excluded: tuple[str, ...] = ()
    live_snapshot: schema.Snapshot | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.report.as_dict(),
            "repository": str(self.repository.directory),
            "layout": self.repository.layout,
            "scratch": {"strategy": self.scratch.strategy, "reason": self.scratch.reason},
            "baseline": self.baseline.as_dict(),
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


def baseline(
    project: Project,
    *,
    scratch: str = "auto",
    message: str = "baseline",
    rev_id: str | None = None,
    accept_differences: bool = False,
    exclude_unmanaged: bool = False,
    checked: Checked | None = None,
    progress: Progress = _quiet,
) -> Adoption:
    """Check, then write and verify the baseline. A baseline that fails verification is
    removed (with a repository this call created) unless accept_differences is set."""
    baseline_mod.check_rev_id(rev_id)  # before any work
    checked = checked or check(project, progress)
    require_match(
        checked.report, accept_differences=accept_differences, exclude_unmanaged=exclude_unmanaged
    )
    plan = scratch_mod.plan(project.live.url, scratch)
    repo = prepare_repository(project)
    written: list[Any] = []
    try:
        if checked.report.unmanaged:
            repository.exclude_tables(repo, checked.report.unmanaged)
        progress(f"Generating the baseline against {plan.label}")
        with scratch_mod.open_scratch(project.live.url, plan) as engine:
            made = baseline_mod.generate(repo, project.models, engine, message, rev_id)
        written.append(made.path)
        adoption = Adoption(
            checked.report,
            repo,
            plan,
            made,
            _no_verification(),
            checked.report.unmanaged,
            checked.snapshot,
        )
        adoption = reverify(project, adoption, progress)
        progress("Baseline verified" if adoption.verification.passed else "Verification done")
    except BaseException:
        _remove(written, repo)
        raise
    if not adoption.verification.passed and not accept_differences:
        discard(adoption)
        raise DriftError(
            "The baseline does not rebuild the live schema exactly; it was removed. Fix the "
            "differences listed, or pass --accept-differences to keep it.",
            adoption.verification,
        )
    return adoption


def _no_verification() -> verify_mod.Verification:
    return verify_mod.Verification((), (), 0)


def reverify(project: Project, adoption: Adoption, progress: Progress = _quiet) -> Adoption:
    """Upgrade a fresh scratch database with the baseline and compare (again, after an edit)."""
    assert adoption.live_snapshot is not None
    progress(f"Verifying: rebuilding the schema in {adoption.scratch.label}")
    with scratch_mod.open_scratch(project.live.url, adoption.scratch) as engine:
        result = verify_mod.verify(
            adoption.repository,
            project.models,
            engine,
            adoption.live_snapshot,
            adoption.excluded + adoption.report.filtered_out,
            project_options(project),
        )
    return replace(adoption, verification=result)


def head_reference(adoption: Adoption) -> fleet.Reference | None:
    """The head schema the verification just built, to check the live database against."""
    rebuilt = adoption.verification.rebuilt
    return fleet.Reference(rebuilt, adoption.verification.catalog) if rebuilt else None


def discard(adoption: Adoption) -> None:
    """Remove the baseline, and the repository if this run created it."""
    _remove([adoption.baseline.path], adoption.repository)


def _remove(paths: list[Any], repo: repository.Repository) -> None:
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
    """The SQL stamping would run on the live database's dialect, without connecting."""
    return stamp_mod.stamp_sql(project.dialect, _existing_repository(project).script())


def live_database_target(project: Project) -> Target:
    return Target("live", project.live.url)


def stamp_targets(
    project: Project,
    targets: list[Target] | None = None,
    *,
    stamp: bool = True,
    force: bool = False,
    jobs: int | None = None,
    timeout: int | None = None,
    audit_choice: str = audit.DEFAULT,
    reference: fleet.Reference | None = None,
    scratch_choice: str = "auto",
    progress: Progress = _quiet,
) -> list[fleet.TargetResult]:
    """Check every target against the head schema; stamp those that match and are not at head.
    Without targets, the live database. `reference` is a head schema already built (by the
    baseline verification) for the live database's dialect, to spare building it again."""
    targets = targets or [live_database_target(project)]
    repo = _existing_repository(project)
    known = {project.dialect: reference} if reference is not None else {}
    options = project_options(project)
    plan = fleet.prepare(
        repo, project.models, targets, progress, known, scratch_choice, timeout, options
    )
    return fleet.run(
        plan,
        targets,
        stamp=stamp,
        force=force,
        jobs=jobs,
        timeout=timeout,
        audit_choice=audit_choice,
        progress=progress,
    )
