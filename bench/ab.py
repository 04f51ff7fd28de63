"""A against B, in alternation on one database: how the rebuild sends its statements, and
`adopt run --yes` against the manual steps.

    .venv/bin/python bench/ab.py [--tables 1000] [--rounds 5] [--dialects postgresql,mariadb]

For each dialect it builds one live database of N tables (bench/run.py's models) and then, in
each round, runs every variant once, in a fresh process, in turn, so that a slow moment of the
server falls on all of them alike:

- rebuild `in order`: the baseline's upgrade into an empty scratch database, each statement
  waited for before the next is built (adopt's code before write_behind.py);
- rebuild `behind, one connection`: statements run by a worker thread while Alembic builds the
  next (write_behind.py with its second connection refused);
- rebuild `behind, indexes beside on one connection`: write_behind.py with one index
  connection whatever the dialect;
- rebuild `behind, indexes beside on INDEX_WORKERS connections`: write_behind.py as adopt
  runs it (several index connections on MariaDB, one elsewhere);
- `adopt run --yes`, as shipped;
- the manual recipe, as bench/run.py times it: `alembic revision --autogenerate` against
  `sqlite://`, then `alembic stamp head` on the live database (two processes, summed), so that
  each round gives `adopt run --yes` against the manual steps at the same moment.

Prints one Markdown table per dialect: every round's seconds, the median and the fastest."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import run as bench

REBUILD = """
import contextlib, sys, time
from adopt import pipeline
from adopt.build import repository
from adopt.build import scratch
from adopt.build import verify
from adopt._speedups import write_behind
mode = sys.argv[1]
if mode == "one":
    write_behind._index_connections = lambda conn: []
elif mode == "two":
    write_behind.INDEX_WORKERS = {}
elif mode == "none":
    verify.write_behind = type("Off", (), {"ddl_behind": staticmethod(
        lambda conn: contextlib.nullcontext())})
project = pipeline.locate(models="gen:metadata", url=sys.argv[2])
repo = repository.find(project.models, None)
repo.script()
with scratch.open_scratch(project.live.url, scratch.plan(project.live.url)) as engine:
    start = time.perf_counter()
    verify.upgrade(repo, project.models, engine)
    print(time.perf_counter() - start)
"""

RUN = """
import sys
from adopt.cli import main
sys.argv[0] = "adopt"
main()
"""

VARIANTS = [
    ("rebuild: in order", "none"),
    ("rebuild: behind, one connection", "one"),
    ("rebuild: behind, indexes beside on one connection", "two"),
    ("rebuild: behind, indexes beside on INDEX_WORKERS connections (adopt)", "many"),
    ("`adopt run --yes`", "run"),
    ("manual steps (autogenerate vs sqlite://, stamp)", "manual"),
]
RUNS = ("run", "manual")


def one(variant: str, project: Path, url: str) -> float:
    if variant in ("none", "one", "two", "many"):
        done = bench.measure([bench.PYTHON, "-c", REBUILD, variant, url], project)
        if not done.ok:
            raise SystemExit(f"{variant}: {done.why()}")
        return float(done.stdout.split()[-1])
    bench.unstamp(url)
    if variant == "manual":
        return manual(project, url)
    for leftover in ("migrations", "alembic.ini", "adopt-stamps.jsonl"):
        path = project / leftover
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    args = ["run", "--yes", "--models", bench.MODELS, "--url", url]
    done = bench.measure([bench.PYTHON, "-c", RUN, *args], project)
    if not done.ok:
        raise SystemExit(f"{variant}: {done.why()}")
    return done.wall


def manual(project: Path, url: str) -> float:
    folder = project.parent / "manual"
    if folder.exists():
        shutil.rmtree(folder)
    bench.manual_project(folder, project)
    alembic = str(bench.BIN / "alembic")
    total = 0.0
    for args, target in (
        (["revision", "--autogenerate", "-m", "baseline"], "sqlite://"),
        (["stamp", "head"], url),
    ):
        done = bench.measure([alembic, *args], folder, env=bench.clean_env(DATABASE_URL=target))
        if not done.ok:
            raise SystemExit(f"manual: {done.why()}")
        total += done.wall
    bench.unstamp(url)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dialects", default="postgresql,mariadb")
    parser.add_argument(
        "--runs-only", action="store_true", help="only `adopt run --yes` and the manual steps"
    )
    args = parser.parse_args()
    for dialect, tmp in bench.each_dialect(args.dialects, "adopt-ab-"):
        print(table(dialect, tmp, args.tables, args.rounds, args.runs_only), flush=True)
    return 0


def table(dialect: bench.Dialect, tmp: Path, tables: int, rounds: int, runs_only: bool) -> str:
    project = bench.new_project(tmp / f"{dialect.name}-project", bench.model_source(tables))
    url = dialect.create(dialect.db_name(tables, "live"))
    bench.build(url, project)
    # One baseline for the rebuild variants to run (the run variants write their own).
    one("run", project, url)
    variants = [(label, v) for label, v in VARIANTS if v in RUNS or not runs_only]
    times: dict[str, list[float]] = {variant: [] for _, variant in variants}
    # The rebuild variants' rounds first (they share the baseline above), then the runs'.
    for group in ([v for v in variants if v[1] not in RUNS], [v for v in variants if v[1] in RUNS]):
        for i in range(rounds):
            for label, variant in group:
                times[variant].append(one(variant, project, url))
                bench.log(f"{dialect.name} round {i + 1}: {label}: {times[variant][-1]:.2f} s")
    head = "| variant | " + " | ".join(f"round {i + 1}" for i in range(rounds))
    lines = [
        f"### {dialect.label}, {tables} tables ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        head + " | median | fastest |",
        "|---|" + "---:|" * (rounds + 2),
    ]
    for label, variant in variants:
        got = times[variant]
        cells = " | ".join(f"{t:.2f}" for t in got)
        lines.append(f"| {label} | {cells} | {statistics.median(got):.2f} | {min(got):.2f} |")
    ratios = [f / m for f, m in zip(times["run"], times["manual"], strict=True)]
    lines.append(
        "| `adopt run --yes` / manual steps, same round | "
        + " | ".join(f"{r:.2f}" for r in ratios)
        + f" | {statistics.median(ratios):.2f} | {min(ratios):.2f} |"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
