"""The verbs of adopt, each taking one `Options`: what the command line and the wizard call.

Like Alembic's `command` module, each verb is a short composition of the core (adopt.pipeline
and the modules under it); none prints, prompts or exits. Long steps report through
`progress`, a callable that takes one line of text. Errors are adopt.errors.AdoptError, whose
`exit_code` the front ends use as it is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from sqlalchemy.engine import URL

from adopt import discovery
from adopt import drifted
from adopt import pipeline
from adopt._speedups import process
from adopt.build import catch_up
from adopt.build import project_lock
from adopt.build import remembered
from adopt.build import repository
from adopt.build import scratch as scratch_mod
from adopt.build.scratch import ScratchPlan
from adopt.build.verify import Verification
from adopt.compare.differences import Difference
from adopt.compare.differences import MatchReport
from adopt.compare.differences import SeveralReports
from adopt.discovery import Candidate
from adopt.drifted import DriftedAdoption
from adopt.errors import DriftError
from adopt.errors import UsageError
from adopt.options import Options
from adopt.options import ProjectConfig
from adopt.options import load as load_config
from adopt.pipeline import Adoption
from adopt.pipeline import Checked
from adopt.pipeline import Project
from adopt.stamping import fleet
from adopt.stamping import reference_file
from adopt.stamping import shards
from adopt.stamping import targets as targets_mod
from adopt.stamping import unstamping
from adopt.stamping.fleet import Reference
from adopt.stamping.fleet import TargetResult
from adopt.stamping.targets import Target
from adopt.urls import parse_url

__all__ = [
    "Adoption",
    "Candidate",
    "CheckOutcome",
    "Checked",
    "Difference",
    "DriftedAdoption",
    "MatchReport",
    "Options",
    "Project",
    "RunOutcome",
    "ScratchPlan",
    "SeveralReports",
    "Target",
    "TargetResult",
    "Verification",
    "baseline",
    "baseline_from_database",
    "candidates",
    "check",
    "clean",
    "decision_key",
    "discard",
    "discard_drifted",
    "exit_code",
    "live_target",
    "locate",
    "named_targets",
    "project_config",
    "remember",
    "repository_directory",
    "resolve_target",
    "reverify",
    "run",
    "scratch_plan",
    "stamp",
    "stamp_sql",
    "status",
    "unmanaged_filter",
    "unstamp",
]

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def locate(options: Options, *, default_url: URL | None = None) -> Project:
    """Find the models and the live database (`default_url` when none is configured, for
    commands whose targets are all named)."""
    project = pipeline.locate(
        default_url=default_url,
        app=options.app,
        models=options.models,
        url=options.url,
        imports=options.imports,
        directory=options.directory,
        script_info=options.script_info,
        excluded_binds=options.exclude_binds,
    )
    # The models live as long as the run: no collection needs to walk them again (at 1,000
    # tables a quarter of a million objects).
    process.settled()
    return project


@dataclass(frozen=True)
class CheckOutcome:
    """The match check of every database of a project, and the failure it amounts to."""

    project: Project
    checks: tuple[tuple[Project, Checked], ...]
    failure: DriftError | None

    @property
    def checked(self) -> list[Checked]:
        return [each for _, each in self.checks]


def check(
    options: Options, progress: Progress = _quiet, *, project: Project | None = None
) -> CheckOutcome:
    """Compare each live database with the models, read-only. Drift, and unmanaged tables
    unless `exclude_unmanaged`, make the failure that `baseline` would stop on too."""
    project = project or locate(options)
    checks = tuple(
        (part, pipeline.check(part, progress, scratch=options.scratch)) for part in project.parts()
    )
    failure: DriftError | None = None
    for part, checked in checks:
        try:
            pipeline.require_match(
                checked.report,
                accept_differences=options.accept_differences,
                exclude_unmanaged=options.exclude_unmanaged,
            )
        except DriftError as exc:
            if not project.is_multi:
                failure = exc
                break
            failure = failure or DriftError(f"{part.bind_label}: {exc}")
    return CheckOutcome(project, checks, failure)


def baseline(
    options: Options,
    progress: Progress = _quiet,
    *,
    project: Project | None = None,
    checked: list[Checked] | None = None,
) -> Adoption:
    """Write the baseline revision and prove that it rebuilds each live schema."""
    return pipeline.baseline(
        project or locate(options),
        **_revision_choices(options),
        accept_differences=options.accept_differences,
        exclude_unmanaged=options.exclude_unmanaged,
        checked=checked,
        progress=progress,
    )


def baseline_from_database(
    options: Options,
    progress: Progress = _quiet,
    *,
    project: Project | None = None,
    checked: Checked | None = None,
) -> DriftedAdoption:
    """Write the baseline of the live database as it is and the catch-up to the models, each
    proven in a scratch database (adopt.drifted)."""
    _require_drift_options(options)
    return drifted.adopt(
        project or locate(options),
        **_revision_choices(options),
        keep_database=options.accept_database,
        keep_models=options.accept_models,
        exclude_unmanaged=options.exclude_unmanaged,
        checked=checked,
        progress=progress,
    )


class _RevisionChoices(TypedDict):
    scratch: str
    message: str
    rev_id: str | None


def _revision_choices(options: Options) -> _RevisionChoices:
    """Where the baseline is built and what it is called: the same for either kind."""
    return {"scratch": options.scratch, "message": options.message, "rev_id": options.rev_id}


def discard_drifted(adopted: DriftedAdoption) -> None:
    """Remove both revisions of a drifted database, and the repository if this run made it."""
    drifted.discard(adopted)


def decision_key(difference: Difference) -> str:
    """How a difference is named for --accept-database: KIND/TABLE.OBJECT."""
    return catch_up.decision_key(difference)


def _require_drift_options(options: Options) -> None:
    if options.accept_differences:
        raise UsageError(
            "--from-database and --accept-differences contradict each other: the first "
            "writes the database's schema and a catch-up, the second a baseline of the models; "
            "choose one."
        )


def reverify(project: Project, adoption: Adoption, progress: Progress = _quiet) -> Adoption:
    """Prove an edited baseline again."""
    return pipeline.reverify(project, adoption, progress)


def discard(adoption: Adoption) -> None:
    """Remove the baseline, and the repository if this run created it."""
    pipeline.discard(adoption)


def stamp(
    options: Options,
    progress: Progress = _quiet,
    *,
    project: Project | None = None,
    chosen: list[Target] | None = None,
    adoption: Adoption | None = None,
    only_check: bool = False,
) -> list[TargetResult]:
    """Check each target against the revisions' schemas and stamp those that match (with
    `only_check`, stamp none: `status`). Without `chosen`, the targets the options name, else
    the live database. `adoption` lends the head schema its verification built."""
    if project is None or chosen is None:
        project, named = _project_and_targets(options, project)
        chosen = chosen if chosen is not None else named
    if options.shard:
        k, n = shards.parse(options.shard)
        chosen = shards.share(chosen or [pipeline.live_database_target(project)], k, n)
        if not chosen:
            return []  # nothing falls in this share
    references = pipeline.head_reference(adoption) if adoption else None
    if options.reference:
        references = _reference_from_file(options, project, chosen)
    return pipeline.stamp_targets(
        project,
        chosen or None,
        stamp=not only_check,
        force=options.force,
        jobs=options.jobs,
        timeout=options.timeout,
        audit_choice=options.audit,
        reference=references,
        scratch_choice=options.scratch,
        bind=options.bind,
        progress=progress,
        upgrade=options.upgrade,
        revision=options.revision,
    )


def _reference_from_file(
    options: Options, project: Project, chosen: list[Target]
) -> dict[str | None, Reference]:
    """The head schema `--reference FILE` holds, for the part of the project the targets
    belong to, once it is known to be of this head and of the targets' dialect."""
    assert options.reference is not None
    if not chosen and project.is_multi:
        raise UsageError(
            "--reference holds one database's schema: name the targets and their --bind."
        )
    part = pipeline.part_named(project, options.bind) if chosen else project
    dialects = {t.url.get_backend_name() for t in chosen} or {part.dialect}
    if len(dialects) > 1:
        raise UsageError(
            f"--reference {options.reference} holds one dialect's schema; these targets are "
            f"{', '.join(sorted(dialects))}: stamp each dialect on its own."
        )
    head = pipeline.head_revision(project)
    found = reference_file.read(
        options.reference, head=head, dialect=dialects.pop(), bind=part.bind
    )
    return {part.bind: found}


def reference(options: Options, out: Path, progress: Progress = _quiet) -> tuple[str, str]:
    """Build the head schema once, on the server of the live database (or of the first named
    target), and write it to `out` for every job of a fleet: (head revision, dialect)."""
    project, chosen = _project_and_targets(options, None)
    part = pipeline.part_named(project, options.bind) if chosen else project.parts()[0]
    target = chosen[0] if chosen else pipeline.live_database_target(part)
    built, head = pipeline.head_schema(part, target, options.scratch, options.timeout, progress)
    dialect = target.url.get_backend_name()
    reference_file.write(out, built, head=head, dialect=dialect, bind=part.bind)
    return head, dialect


def status(options: Options, progress: Progress = _quiet) -> list[TargetResult]:
    """Each target's revision and whether it has that revision's schema; nothing stamped."""
    return stamp(options, progress, only_check=True)


def stamp_sql(options: Options) -> str:
    """The SQL stamping would run on the live database's dialect; connects to nothing."""
    if named_targets(options) or options.schemas or options.schemas_like:
        raise UsageError(
            "--sql prints the SQL for the live database's dialect and takes no targets; "
            "give --url with the dialect you need (it is not connected to)."
        )
    return pipeline.stamp_sql(locate(options))


@dataclass(frozen=True)
class RunOutcome:
    """What `run` did: the baseline it wrote (None when the project had its migrations
    already) and each database's stamp."""

    repository: repository.Repository
    adoption: Adoption | None
    results: list[TargetResult]
    drifted: DriftedAdoption | None = None  # with --from-database: the two revisions


def run(
    options: Options, progress: Progress = _quiet, *, announce: Progress = _quiet
) -> RunOutcome:
    """Check, write and verify the baseline, and stamp the live database. In a project that
    has its migrations already, no baseline is written: the live database is checked against
    head and stamped if it matches (`announce` says so)."""
    if (options.accept_database or options.accept_models) and not options.from_database:
        raise UsageError(
            "--accept-database and --accept-models decide differences for --from-database; "
            "add --from-database."
        )
    project = locate(options)
    existing = repository.find(project.models, project.directory)
    if options.from_database and (existing is None or not existing.revision_count()):
        return _run_from_database(options, project, progress)
    if existing is not None and existing.revision_count():
        # Under the project's lock: a baseline still being verified by another run is never
        # stamped against.
        with project_lock.held(existing.directory):
            announce(
                f"{existing.directory} already holds the migrations (head "
                f"{', '.join(existing.heads())}): no baseline written; checking the live "
                "database against head."
            )
            results = stamp(_for_the_live_database(options), progress, project=project, chosen=[])
        return RunOutcome(existing, None, results)
    # The scratch database is dropped while the live one is stamped.
    with scratch_mod.dropped_behind():
        adoption = baseline(options, progress, project=project)
        results = stamp(
            _for_the_live_database(options, force=options.accept_differences, scratch="auto"),
            progress,
            project=project,
            chosen=[],
            adoption=adoption,
        )
    return RunOutcome(adoption.repository, adoption, results)


def _run_from_database(options: Options, project: Project, progress: Progress) -> RunOutcome:
    """A drifted database: both revisions written and proven, the live database stamped at
    the baseline (checked against its schema first); the catch-up waits for `upgrade`."""
    with scratch_mod.dropped_behind():
        adopted = baseline_from_database(options, progress, project=project)
        at_baseline = _for_the_live_database(options, revision=adopted.baseline.revision)
        results = stamp(at_baseline, progress, project=project, chosen=[])
    return RunOutcome(adopted.repository, None, results, adopted)


def _for_the_live_database(options: Options, **changes: object) -> Options:
    """The options of `run`'s stamp: the live database (each bind's), no other target."""
    base = dict(
        force=False,
        bind=None,
        upgrade=False,
        revision=None,
        target_specs=(),
        all_targets=False,
        targets_file=None,
        schemas=(),
        schemas_like=None,
    )
    return options.but(**{**base, **changes})


def unstamp(options: Options) -> list[TargetResult]:
    """Put back what alembic_version held before adopt's stamp, where the audit shows it."""
    named = named_targets(options)
    if not named:
        live = (
            Target("live", parse_url(options.url))
            if options.url
            else pipeline.live_database_target(locate(options))
        )
        named = [live]
    chosen = targets_mod.with_schemas(named, options.schemas, None)
    return unstamping.run(chosen, audit_choice=options.audit, timeout=options.timeout)


def clean(options: Options, *, dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Drop the scratch databases killed runs left on the live server: (dropped, in use)."""
    # A URL is enough here: the models need not load to clean a server.
    url = parse_url(options.url) if options.url else locate(options).live.url
    return scratch_mod.clean(url, dry_run=dry_run)


def exit_code(results: list[TargetResult]) -> int:
    """The exit code the stamp of these targets amounts to."""
    return fleet.exit_code(results)


def project_config() -> ProjectConfig:
    """[tool.adopt] of the project in the working directory."""
    return load_config()


def named_targets(options: Options) -> list[Target]:
    """The targets the options name (--all, arguments, --targets-file), in that order."""
    named = load_config().targets
    found: list[Target] = []
    if options.all_targets:
        if not named:
            raise UsageError("--all: no targets under [tool.adopt.targets] in pyproject.toml.")
        found += [targets_mod.resolve(name, named) for name in sorted(named)]
    found += [targets_mod.resolve(spec, named) for spec in options.target_specs]
    if options.targets_file:
        found += targets_mod.from_file(options.targets_file, named)
    return found


def resolve_target(spec: str) -> Target:
    """A target from a URL, env:VAR or a name under [tool.adopt.targets]."""
    return targets_mod.resolve(spec, load_config().targets)


def live_target(project: Project) -> Target:
    return pipeline.live_database_target(project)


def _project_and_targets(options: Options, project: Project | None) -> tuple[Project, list[Target]]:
    """With named targets the live database URL is not needed; without, it is the target.
    An empty list stands for every bind's live database."""
    named = named_targets(options)
    if project is None:
        project = locate(options, default_url=named[0].url if named else None)
    if not named and project.is_multi and not (options.schemas or options.schemas_like):
        return project, []
    found = named or [pipeline.live_database_target(project)]
    return project, targets_mod.with_schemas(found, options.schemas, options.schemas_like)


def scratch_plan(project: Project, choice: str) -> list[tuple[Project, ScratchPlan]]:
    """Where each database's baseline would be generated and verified, and why."""
    return [(part, scratch_mod.plan(part.live.url, choice)) for part in project.parts()]


def repository_directory(project: Project) -> Path:
    """The migration folder the project uses or will use."""
    return repository.directory_for(project.models, project.directory)


def unmanaged_filter(tables: list[str]) -> str:
    """The env.py line that keeps these tables out of migrations."""
    return repository.unmanaged_filter_text(tables)


def candidates() -> list[Candidate]:
    """The Flask apps and declarative bases found in the source, for a person to pick."""
    return discovery.candidates()


def remember(path: Path, values: dict[str, str]) -> str:
    """Write these choices into [tool.adopt] of `path`; the block written."""
    remembered.write(path, values)
    return remembered.block(values)
