"""How many DDL statements to send in one round trip: the schema of bench/run.py built on
PostgreSQL with k statements per query string, with and without a Python thread holding the GIL
beside it (as the check does beside adopt's rebuild).

    .venv/bin/python bench/batches.py [--tables 1000] [--sizes 1,4,16,64] [--rounds 2]

The statements are the CREATE TABLE and CREATE INDEX of the benchmark's models compiled for
PostgreSQL, in order, on one psycopg connection in autocommit (no second connection for the
indexes, unlike adopt's rebuild: this isolates the round trips). Each variant builds into a new
database, dropped after. The busy thread only counts, as pure Python work does; the process's
switch interval is adopt's while it rebuilds (0.5 ms). Prints a Markdown table of seconds,
fastest of the rounds."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import run as bench
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

SWITCH_INTERVAL = (
    0.0005  # adopt._speedups.background's, while the rebuild and the check share the GIL
)


def statements(tables: int) -> list[str]:
    namespace: dict[str, object] = {}
    exec(bench.model_source(tables), namespace)
    metadata = namespace["metadata"]
    assert isinstance(metadata, sa.MetaData)
    dialect = postgresql.dialect()
    out = []
    for table in metadata.sorted_tables:
        out.append(str(sa.schema.CreateTable(table).compile(dialect=dialect)))
        out += [str(sa.schema.CreateIndex(i).compile(dialect=dialect)) for i in table.indexes]
    return out


@contextmanager
def busy_thread(on: bool) -> Iterator[None]:
    stop = threading.Event()

    def spin() -> None:
        count = 0
        while not stop.is_set():
            for i in range(1000):
                count += i

    thread = threading.Thread(target=spin, daemon=True)
    if on:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if on:
            thread.join()


def build(ddl: list[str], size: int, busy: bool) -> float:
    admin = psycopg.connect("host=127.0.0.1 user=root dbname=postgres", autocommit=True)
    name = f"adopt_bench_batches_{size}_{int(busy)}"
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        with (
            psycopg.connect(f"host=127.0.0.1 user=root dbname={name}", autocommit=True) as conn,
            busy_thread(busy),
        ):
            start = time.perf_counter()
            for i in range(0, len(ddl), size):
                conn.execute(";\n".join(ddl[i : i + size]).encode())
            return time.perf_counter() - start
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--sizes", default="1,4,16,64")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.setswitchinterval(SWITCH_INTERVAL)
    ddl = statements(args.tables)
    sizes = [int(s) for s in args.sizes.split(",")]
    best: dict[tuple[int, bool], float] = {}
    for round_ in range(args.rounds):
        for size in sizes:
            for busy in (False, True):
                seconds = build(ddl, size, busy)
                bench.log(f"round {round_ + 1}: {size} a round trip, busy={busy}: {seconds:.2f} s")
                key = (size, busy)
                best[key] = min(best.get(key, seconds), seconds)
    title = f"{len(ddl)} statements ({args.tables} tables), PostgreSQL, fastest of {args.rounds}"
    print(f"### {title}\n")
    print("| statements a round trip | alone | beside a busy Python thread |")
    print("|---:|---:|---:|")
    for size in sizes:
        print(f"| {size} | {best[(size, False)]:.2f} s | {best[(size, True)]:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
