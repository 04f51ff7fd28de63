"""One measured step, run by bench/run.py in a fresh process (cwd: the generated project).

    python bench/child.py STEP --out RESULT.json [--url URL] [--profile FILE.prof]

Writes {"phases": {name: seconds}, "rss_kb": {name: peak RSS after the phase}, "info": {...}}
to RESULT.json. The parent reads the process's wall time and peak RSS itself (os.wait4)."""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from typing import Any

MODELS = "gen:metadata"


class Clock:
    """Phase timer: wall seconds per phase and the process's RSS high-water mark after each."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.rss_kb: dict[str, int] = {}
        self.info: dict[str, Any] = {}
        self.current = ""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self.current = name
        try:
            yield
        finally:
            self.current = ""
            self.phases[name] = time.perf_counter() - start
            self.rss_kb[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def split(self, module: Any, attr: str, label: str) -> None:
        """Time every call of module.attr made during a phase, as 'phase/label' (summed)."""
        original = getattr(module, attr, None)
        if original is None:  # renamed since: that split is simply not reported
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if self.current:
                    key = f"{self.current}/{label}"
                    self.phases[key] = self.phases.get(key, 0.0) + time.perf_counter() - start

        setattr(module, attr, timed)


def _engine(url: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _metadata() -> Any:
    sys.path.insert(0, os.getcwd())
    import gen  # the generated models, in the current directory

    return gen.metadata


# --- adopt's own steps, through its core API ----------------------------------------------------


def entry_point_gc(clock: Clock) -> None:
    """The garbage-collector settings `adopt` itself runs with: cli.main() applies them before
    it reads its arguments, so `adopt --version` through main() applies them and exits."""
    import gc
    import io
    from contextlib import redirect_stdout

    from adopt import cli

    with redirect_stdout(io.StringIO()):
        try:
            sys.argv = ["adopt", "--version"]
            cli.main()
        except SystemExit:
            pass
    clock.info["gc_threshold"] = list(gc.get_threshold())
    clock.info["gc_frozen"] = gc.get_freeze_count()


def check_core(clock: Clock, url: str) -> None:
    from adopt import pipeline

    entry_point_gc(clock)
    with clock.phase("locate"):
        project = pipeline.locate(models=MODELS, url=url)
    with clock.phase("check"):
        checked = pipeline.check(project)
    clock.info["differences"] = len(checked.report.differences)


def baseline_core(clock: Clock, url: str) -> None:
    """pipeline.baseline() step by step, so generation and verification are timed apart."""
    from adopt import pipeline
    from adopt.build import baseline as baseline_mod
    from adopt.build import repository
    from adopt.build import scratch as scratch_mod
    from adopt.build import verify as verify_mod
    from adopt.compare import drift
    from adopt.reading import schema

    # Where each phase's time goes (module attributes looked up at call time).
    clock.split(drift, "compare_metadata", "alembic compare_metadata")
    clock.split(schema, "reflect", "adopt's own reflection")
    clock.split(schema, "take", "snapshot (schema.take)")
    clock.split(drift, "raw_differences", "compare with the models")
    clock.split(baseline_mod, "_generate", "autogenerate + write")
    clock.split(verify_mod, "upgrade", "upgrade (baseline run through Alembic)")
    try:
        from adopt.reading import inventory

        clock.split(inventory, "not_in_baseline", "objects not in the baseline (inventory)")
    except ImportError:  # older adopt
        pass
    clock.split(scratch_mod, "_create_database", "create scratch database")
    clock.split(scratch_mod, "drop", "drop scratch database")
    clock.split(scratch_mod, "_drop_abandoned", "look for abandoned scratch databases")
    entry_point_gc(clock)

    with clock.phase("locate"):
        project = pipeline.locate(models=MODELS, url=url)
    # In pipeline.baseline's order: generation first (from the models alone), then the check
    # (which `adopt run` makes while the scratch database is rebuilt; here after it, so that
    # each phase is timed alone), then the verification.
    with clock.phase("repository"):
        plan = scratch_mod.plan(project.live.url, "auto")
        repo = pipeline.prepare_repository(project)
    live = project.live.url
    scratch = ExitStack()
    with clock.phase("generation"):
        engine = scratch.enter_context(scratch_mod.open_scratch(live, plan))
        made = baseline_mod.generate(repo, project.models, engine, "baseline", None)
    memory = importlib.import_module("adopt._speedups.memory")
    memory.release(made.summary.tables)  # as pipeline.baseline does after generating
    with clock.phase("check"):
        checked = pipeline.check(project)
        pipeline.require_match(checked.report)
        if checked.report.unmanaged:
            repository.exclude_tables(repo, checked.report.unmanaged)
    with clock.phase("verification"), scratch:
        # As pipeline.baseline does: rebuild in the scratch database, then compare.
        verify_mod.upgrade(repo, project.models, engine)
        result = verify_mod.examine(
            project.models,
            engine,
            checked.snapshot,
            checked.report.unmanaged,
            pipeline.project_options(project),
            check=checked.report,
            opener=pipeline.confirming_scratch(project, plan),
        )
    clock.info.update(
        revision=made.revision,
        passed=result.passed,
        tables=result.tables,
        against_live=len(result.against_live),
        against_models=len(result.against_models),
        baseline_bytes=made.path.stat().st_size,
    )


def verify_upgrade(clock: Clock, url: str) -> None:
    """Only the upgrade inside verification (the baseline run on an empty scratch database),
    to split verification into 'build the schema' and 'compare'. Needs the repository."""
    from adopt import pipeline
    from adopt.build import repository
    from adopt.build import scratch as scratch_mod
    from adopt.build import verify as verify_mod

    project = pipeline.locate(models=MODELS, url=url)
    repo = repository.find(project.models, None)
    assert repo is not None
    plan = scratch_mod.plan(project.live.url, "auto")
    with (
        clock.phase("total"),
        scratch_mod.open_scratch(project.live.url, plan) as engine,
        clock.phase("upgrade"),
    ):
        verify_mod.upgrade(repo, project.models, engine)


# --- the yardsticks: Alembic's and SQLAlchemy's own work -----------------------------------------


def compare_metadata(clock: Clock, url: str) -> None:
    from alembic.autogenerate import compare_metadata as alembic_compare
    from alembic.migration import MigrationContext

    metadata = _metadata()
    engine = _engine(url)
    with clock.phase("compare_metadata"), engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "target_metadata": metadata,
            },
        )
        diffs = alembic_compare(context, metadata)
    clock.info["differences"] = len(diffs)


def autogen_revision(clock: Clock, url: str) -> None:
    """`alembic revision --autogenerate` against sqlite:// through Alembic's command API, in
    a repository of Alembic's generic layout in the current directory (env.py reads
    DATABASE_URL): compare, render, write the script and load it, as adopt's generation does."""
    from alembic import command
    from alembic.config import Config

    os.environ["DATABASE_URL"] = "sqlite://"
    _metadata()
    config = Config("alembic.ini")
    with clock.phase("autogenerate"):
        script = command.revision(config, message="baseline", autogenerate=True)
    clock.info["script_bytes"] = os.path.getsize(script.path) if script else 0


def autogen_sqlite(clock: Clock, url: str) -> None:
    """Autogenerate against an empty in-memory SQLite database: compare + render the script
    (no file written)."""
    from alembic.autogenerate import produce_migrations
    from alembic.autogenerate import render_python_code
    from alembic.migration import MigrationContext

    metadata = _metadata()
    engine = _engine("sqlite://")
    with clock.phase("autogenerate"), engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "target_metadata": metadata,
            },
        )
        ops = produce_migrations(context, metadata)
        code = render_python_code(ops.upgrade_ops)
    clock.info["script_bytes"] = len(code)


def reflect_bulk(clock: Clock, url: str) -> None:
    """One bulk reflection of every table: the Inspector's get_multi_* for each kind."""
    import sqlalchemy as sa

    engine = _engine(url)
    with clock.phase("reflect"), engine.connect() as conn:
        insp = sa.inspect(conn)
        kinds = (
            "columns",
            "pk_constraint",
            "foreign_keys",
            "indexes",
            "unique_constraints",
            "check_constraints",
        )
        found = {kind: getattr(insp, "get_multi_" + kind)() for kind in kinds}
    clock.info["tables"] = len(found["columns"])


def reflect_metadata(clock: Clock, url: str) -> None:
    import sqlalchemy as sa

    engine = _engine(url)
    with clock.phase("reflect"), engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn)
    clock.info["tables"] = len(metadata.tables)


STEPS: dict[str, Callable[[Clock, str], None]] = {
    "check_core": check_core,
    "baseline_core": baseline_core,
    "verify_upgrade": verify_upgrade,
    "compare_metadata": compare_metadata,
    "autogen_sqlite": autogen_sqlite,
    "autogen_revision": autogen_revision,
    "reflect_bulk": reflect_bulk,
    "reflect_metadata": reflect_metadata,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--url", default="")
    parser.add_argument("--profile", default=None, help="write cProfile stats here")
    args = parser.parse_args()
    clock = Clock()
    import adopt

    clock.info["adopt_from"] = os.path.dirname(adopt.__file__)
    error = None
    profiler = cProfile.Profile() if args.profile else None
    try:
        if profiler:
            profiler.enable()
        STEPS[args.step](clock, args.url)
    except BaseException as exc:  # reported to the parent, which prints it in the tables
        error = f"{type(exc).__name__}: {exc}".strip()
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(
            {"phases": clock.phases, "rss_kb": clock.rss_kb, "info": clock.info, "error": error},
            fh,
        )
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
