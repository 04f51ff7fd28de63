"""`adopt check` against Alembic's `compare_metadata`, whole processes in alternation, and where
the check's time goes inside one process.

    .venv/bin/python bench/check_ab.py [--tables 1000] [--rounds 5] [--dialects sqlite,...]

For each dialect it builds one live database of N tables (bench/run.py's models), then in each
round runs `adopt check` and a process that imports Alembic and the models and calls
`compare_metadata` (compare_type and compare_server_default on), one after the other, so that a
slow moment of the machine falls on both. Then one more process times the check's parts:
imports and models, the bulk reflection, Alembic's comparison on it, adopt's snapshot and own
findings. Prints one Markdown table per dialect."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import run as bench

COMPARE = """
import sys
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import gen
engine = sa.create_engine(sys.argv[1])
with engine.connect() as conn:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    # Its findings do not matter here (on MariaDB Alembic reports spellings of defaults):
    # the yardstick is the time it takes to make them.
    print(len(compare_metadata(context, gen.metadata)))
"""

PARTS = """
import json, sys, time
start = time.perf_counter()
from adopt import pipeline
from adopt.compare import alembic_comparison, drift
from adopt.reading import schema
spent = {}
def timed(module, name, label):
    original = getattr(module, name)
    def call(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - begun
    setattr(module, name, call)
timed(schema, "_multi", "bulk reflection")
timed(alembic_comparison, "differences", "Alembic's comparison on that reflection")
timed(schema, "take", "snapshot and own findings")
timed(drift, "corrected", "snapshot and own findings")
project = pipeline.locate(models="gen:metadata", url=sys.argv[1])
spent["imports, then the models"] = time.perf_counter() - start
checked = pipeline.check(project)
assert not checked.report.differences
print(json.dumps(spent))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dialects", default="sqlite,postgresql,mariadb")
    args = parser.parse_args()
    for dialect, tmp in bench.each_dialect(args.dialects, "adopt-check-ab-"):
        print(table(dialect, tmp, args.tables, args.rounds), flush=True)
    return 0


def table(dialect: bench.Dialect, tmp: Path, tables: int, rounds: int) -> str:
    project = bench.new_project(tmp / f"{dialect.name}-project", bench.model_source(tables))
    url = dialect.create(dialect.db_name(tables, "live"))
    bench.build(url, project)
    check = [str(bench.BIN / "adopt"), "check", "--models", bench.MODELS, "--url", url]
    times: dict[str, list[float]] = {"check": [], "compare": []}
    for i in range(rounds):
        for key, cmd in (("check", check), ("compare", [bench.PYTHON, "-c", COMPARE, url])):
            done = bench.measure(cmd, project)
            if not done.ok:
                raise SystemExit(f"{key}: {done.why()}")
            times[key].append(done.wall)
            bench.log(f"{dialect.name} round {i + 1}: {key}: {done.wall:.2f} s")
    parts = bench.measure([bench.PYTHON, "-c", PARTS, url], project)
    if not parts.ok:
        raise SystemExit(f"parts: {parts.why()}")
    spent = json.loads(parts.stdout.strip().splitlines()[-1])
    ratios = [c / m for c, m in zip(times["check"], times["compare"], strict=True)]
    lines = [
        f"### {dialect.label}, {tables} tables",
        "",
        "| | " + " | ".join(f"round {i + 1}" for i in range(rounds)) + " | median |",
        "|---|" + "---:|" * (rounds + 1),
    ]
    for label, got in (
        ("`adopt check`", times["check"]),
        ("`compare_metadata`, whole process", times["compare"]),
        ("ratio, same round", ratios),
    ):
        cells = " | ".join(f"{t:.2f}" for t in got)
        lines.append(f"| {label} | {cells} | {statistics.median(got):.2f} |")
    lines += ["", "| part of the check, one process | seconds |", "|---|---:|"]
    lines += [f"| {label} | {seconds:.2f} |" for label, seconds in spent.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
