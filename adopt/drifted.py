"""Adopting a database that drifted from its models: a baseline of what the database has, then a
catch-up revision to the models, each proven in a scratch database before anything is kept.

The baseline is rendered from the live tables the models manage (adopt.reading.live_metadata)
and must rebuild the live schema exactly; the catch-up (adopt.build.catch_up) holds the
operations for the differences the match check confirmed, except those decided "as the database
has it", and baseline plus catch-up must rebuild the models' schema as the same server builds it,
compared as `adopt check` compares. The live database is then stamped at the baseline, so the
team applies the catch-up with `flask db upgrade` when it is ready."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy import MetaData

from adopt import committed
from adopt import pipeline
from adopt.build import baseline as baseline_mod
from adopt.build import catch_up
from adopt.build import repository
from adopt.build import scratch as scratch_mod
from adopt.build import verify as verify_mod
from adopt.build.catch_up import CatchUp
from adopt.build.catch_up import Step
from adopt.compare import quoted_defaults
from adopt.compare.differences import Difference
from adopt.compare.differences import MatchReport
from adopt.errors import DriftError
from adopt.errors import UsageError
from adopt.reading import connect
from adopt.reading import live_metadata
from adopt.reading import schema

Progress = Callable[[str], None]

CATCH_UP_MESSAGE = "catch up with the models"


@dataclass(frozen=True)
class DriftedAdoption:
    report: MatchReport  # the match check of the live database
    repository: repository.Repository
    baseline: baseline_mod.Baseline
    catch_up: CatchUp | None  # None when every difference is kept as it is
    steps: tuple[Step, ...]  # each difference, as decided
    # against_live: the baseline's rebuild vs the live database; against_models: baseline plus
    # catch-up vs the models, less the differences kept as the database has them.
    verification: verify_mod.Verification

    @property
    def passed(self) -> bool:
        return self.verification.passed

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.report.as_dict(),
            "repository": str(self.repository.directory),
            "baseline": self.baseline.as_dict(),
            "catch_up": self.catch_up.as_dict() if self.catch_up else None,
            "decisions": [step.as_dict() for step in self.steps],
            "verification": self.verification.as_dict(),
        }


@dataclass(frozen=True)
class _Drift:
    """What the check found in the live database, and what was decided about it."""

    project: pipeline.Project
    report: MatchReport
    snapshot: schema.Snapshot  # the live schema, as the check read it
    live: MetaData  # the live tables the models manage, reflected for the baseline
    keep_database: tuple[str, ...]

    @property
    def managed(self) -> list[str]:
        return list(self.live.tables)

    @property
    def wanted(self) -> list[Difference]:
        """The differences the catch-up takes to the models."""
        return [
            d for d in self.report.differences if catch_up.decision_key(d) not in self.keep_database
        ]


def _quiet(_message: str) -> None:
    """No progress to show."""


def adopt(
    project: pipeline.Project,
    *,
    scratch: str = "auto",
    message: str = "baseline",
    rev_id: str | None = None,
    keep_database: tuple[str, ...] = (),
    keep_models: tuple[str, ...] = (),
    exclude_unmanaged: bool = False,
    checked: pipeline.Checked | None = None,
    progress: Progress = _quiet,
) -> DriftedAdoption:
    """Write and prove the baseline of the live database as it is and the catch-up to the
    models; both are removed again unless both proofs pass. Each difference goes into the
    catch-up unless `keep_database` names it (KIND/TABLE.OBJECT); `keep_models` names those
    the catch-up takes, and then every difference must be named by one or the other."""
    if project.is_multi:
        raise UsageError(
            "--from-database adopts one database at a time; this project has binds: adopt "
            "each database's drift by hand, or bring them in line first."
        )
    if checked is None:  # the wizard has checked already
        checked = pipeline.check(project, progress, scratch=scratch)
    report = checked.report
    catch_up.require_decided(keep_database, keep_models, report.differences)
    # Differences are what the two revisions are for; tables without models are refused or
    # left out of migrations, as for any baseline.
    pipeline.require_match(report, accept_differences=True, exclude_unmanaged=exclude_unmanaged)
    live = _reflected(project, _managed_tables(project, checked.snapshot))
    drift = _Drift(project, report, checked.snapshot, live, keep_database)
    with pipeline.project_locked(project):
        repo = pipeline.prepare_repository(project)
        written: list[Path] = []
        try:
            result = _written_and_proven(drift, repo, (scratch, message, rev_id), written, progress)
        except BaseException:
            pipeline.remove_written(written, repo)
            raise
        if not result.passed:
            pipeline.remove_written(written, repo)
            raise DriftError(
                "The baseline does not rebuild the live schema, or baseline plus catch-up do not "
                "rebuild the models' (listed above); both were removed and nothing was written.",
                result.verification,
            )
        if report.unmanaged:
            repository.exclude_tables(repo, list(report.unmanaged))
    committed.record(_kept(result.baseline))
    return result


def discard(adopted: DriftedAdoption) -> None:
    """Remove both revisions, and the repository if this run created it."""
    paths = [adopted.baseline.path]
    if adopted.catch_up is not None:
        paths.append(adopted.catch_up.path)
    pipeline.remove_written(paths, adopted.repository)
    committed.forget(_kept(adopted.baseline))


def _kept(made: baseline_mod.Baseline) -> str:
    return f"baseline {made.revision} written to {made.path}"


def _managed_tables(project: pipeline.Project, live: schema.Snapshot) -> list[str]:
    """The model tables the live database has: what the baseline describes."""
    return [key for key in project.models.metadata.tables if key in live.tables]


def _reflected(project: pipeline.Project, tables: list[str]) -> MetaData:
    engine = connect.create(project.live.url, read_only=True)
    try:
        with connect.connection(engine) as conn, conn.begin() as transaction:
            found = live_metadata.reflect(conn, tables)
            transaction.rollback()
    finally:
        engine.dispose()
    return found


def _written_and_proven(
    drift: _Drift,
    repo: repository.Repository,
    choices: tuple[str, str, str | None],
    written: list[Path],
    progress: Progress,
) -> DriftedAdoption:
    """Both revisions written (their paths put in `written` as they are) and proven in one
    scratch database: built to the baseline and compared with the live schema, then to the
    catch-up and compared with the models."""
    scratch, message, rev_id = choices
    project, models = drift.project, drift.project.models
    plan = scratch_mod.plan(project.live.url, scratch)
    with scratch_mod.open_scratch(project.live.url, plan) as engine:
        progress(f"Generating the baseline of {len(drift.managed)} tables as the database has them")
        made = baseline_mod.generate(repo, models, engine, message, rev_id, metadata=drift.live)
        written.append(made.path)
        verify_mod.upgrade(repo, models, engine)
        progress("Comparing the rebuilt schema with the live database")
        against_live = _against_live(engine, models, drift.snapshot.only(drift.managed))
        progress("Writing the catch-up to the models")
        options = pipeline.project_options(project)
        steps = _steps(drift)
        written_catch_up = _catch_up(drift, repo, engine, made.revision, options)
        if written_catch_up is not None:
            written.append(written_catch_up.path)
            verify_mod.upgrade(repo, models, engine, in_transaction=False)
        progress("Comparing baseline plus catch-up with the models")
        verification = verify_mod.examine(
            models,
            engine,
            drift.snapshot,
            drift.report.unmanaged,
            options,
            opener=pipeline.confirming_scratch(project, plan),
        )
    against_models = tuple(
        d
        for d in verification.against_models
        if catch_up.decision_key(d) not in drift.keep_database
    )
    proof = verify_mod.Verification(against_live, against_models, len(drift.managed))
    return DriftedAdoption(drift.report, repo, made, written_catch_up, steps, proof)


def _against_live(engine: Any, models: Any, expected: schema.Snapshot) -> tuple[Difference, ...]:
    with connect.connection(engine) as conn, conn.begin():
        _rebuilt, found, _generated = verify_mod.rebuilt_against(conn, models, expected)
    return tuple(found)


def _catch_up(
    drift: _Drift,
    repo: repository.Repository,
    engine: Any,
    baseline_revision: str,
    options: dict[str, Any],
) -> CatchUp | None:
    """Write the catch-up revision after the baseline (None when nothing is to change)."""
    proposed = _proposed(engine, drift.project.models.metadata, options)
    chosen, resolved = catch_up.selected(proposed, drift.wanted)
    missing = [k for k in map(catch_up.decision_key, drift.wanted) if k not in resolved]
    if missing:
        raise DriftError(
            f"adopt cannot write a catch-up step for {', '.join(missing)}; keep it as the "
            "database has it (--accept-database KIND/OBJECT) or bring the database in line "
            "by hand first."
        )
    if not chosen.ops:
        return None
    dialect = engine.dialect.name
    catch_up.named(chosen, dialect)
    downgrade = catch_up.reversed_for(chosen, dialect, drift.live)
    safe = catch_up.made_safe(chosen, dialect)
    with connect.connection(engine) as conn:
        context = MigrationContext.configure(conn)
        up, imports = catch_up.rendered(safe, context, batch=dialect == "sqlite")
        down, more = catch_up.rendered(downgrade, context, batch=dialect == "sqlite")
    script = repo.script()
    # Alembic announces "Generating ... done" on stdout; keep stdout for the caller (--json).
    with contextlib.redirect_stdout(io.StringIO()):
        created = script.generate_revision(
            uuid.uuid4().hex[-12:],  # as Alembic makes revision ids
            CATCH_UP_MESSAGE,
            head=baseline_revision,
            upgrades=up.strip("\n"),
            downgrades=down.strip("\n"),
            imports="\n".join(sorted(imports | more)),
        )
    assert created is not None
    repo.remember(script)
    return CatchUp(created.revision, Path(created.path))


def _proposed(engine: Any, metadata: MetaData, options: dict[str, Any]) -> ops.UpgradeOps:
    """Alembic's operations from the scratch database (at the baseline) to the models."""
    with connect.connection(engine) as conn, conn.begin() as transaction:
        opts = {
            **{k: v for k, v in options.items() if k.startswith("include_")},
            "target_metadata": metadata,
            "compare_type": True,
            "compare_server_default": True,
        }
        context = MigrationContext.configure(conn, opts=quoted_defaults.with_plugin(opts))
        proposed = produce_migrations(context, metadata).upgrade_ops
        transaction.rollback()
    assert proposed is not None
    return proposed


def _steps(drift: _Drift) -> tuple[Step, ...]:
    """Each difference with its decision, the rows the step would refuse (read from the live
    database) and, where kept, the model change that makes the models agree."""
    engine = connect.create(drift.project.live.url, read_only=True)
    models = drift.project.models.metadata
    steps = []
    try:
        with connect.connection(engine) as conn, conn.begin() as transaction:
            context = MigrationContext.configure(conn)
            for difference in drift.report.differences:
                kept = catch_up.decision_key(difference) in drift.keep_database
                steps.append(
                    Step(
                        difference,
                        kept,
                        "" if kept else catch_up.data_work(conn, difference, drift.live, models),
                        catch_up.model_change(difference, drift.live, context) if kept else "",
                    )
                )
            transaction.rollback()
    finally:
        engine.dispose()
    return tuple(steps)
