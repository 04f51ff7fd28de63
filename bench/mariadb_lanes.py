"""Whether MariaDB builds and drops a large schema faster over several connections: the schema
of bench/run.py built with 1, 2 and 4 connections at once, then dropped the same ways.

    .venv/bin/python bench/mariadb_lanes.py [--tables 1000] [--lanes 1,2,4] [--rounds 3]

The statements are the CREATE TABLE and CREATE INDEX of the benchmark's models compiled for
MariaDB, in order. With k lanes, k connections take the next statement from one queue; a
statement starts only once every statement it needs has run (a CREATE TABLE the table its
foreign key refers to, a CREATE INDEX its table), so each lane runs what the server could run
in any order. Each build goes into a new database; the drop is timed apart: one `DROP DATABASE`,
or the tables dropped over k connections first (FOREIGN_KEY_CHECKS off on each), then the
empty database. Rounds alternate the order of the variants; the report is the median of the
rounds, in seconds, with the ratio to one lane."""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from dataclasses import dataclass
from dataclasses import field

import pymysql
import run as bench
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

SERVER = {"host": "127.0.0.1", "port": 3306, "user": "root"}


@dataclass
class Statement:
    sql: str
    needs: list[int]
    index: bool = False
    done: threading.Event = field(default_factory=threading.Event)


def statements(tables: int) -> tuple[list[Statement], list[str]]:
    """The schema's statements with what each needs, and the table names."""
    namespace: dict[str, object] = {}
    exec(bench.model_source(tables), namespace)
    metadata = namespace["metadata"]
    assert isinstance(metadata, sa.MetaData)
    dialect = mysql.dialect()
    out: list[Statement] = []
    created: dict[str, int] = {}
    for table in metadata.sorted_tables:
        parents = {fk.column.table.name for fk in table.foreign_keys} - {table.name}
        out.append(
            Statement(
                str(sa.schema.CreateTable(table).compile(dialect=dialect)),
                [created[p] for p in parents],
            )
        )
        created[table.name] = len(out) - 1
        for index in table.indexes:
            sql = str(sa.schema.CreateIndex(index).compile(dialect=dialect))
            out.append(Statement(sql, [created[table.name]], index=True))
    return out, [t.name for t in metadata.sorted_tables]


def connect(database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(**SERVER, database=database, autocommit=True)  # type: ignore[arg-type]


def run_lanes(database: str, todo: list[Statement], lanes: int, fk_checks: bool) -> float:
    for statement in todo:
        statement.done.clear()
    queue = list(range(len(todo)))
    lock = threading.Lock()
    failed: list[BaseException] = []

    def lane() -> None:
        conn = connect(database)
        try:
            if not fk_checks:
                with conn.cursor() as cur:
                    cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            while True:
                with lock:
                    if not queue or failed:
                        return
                    i = queue.pop(0)
                for need in todo[i].needs:
                    if fk_checks or todo[i].index:
                        todo[need].done.wait()
                with conn.cursor() as cur:
                    cur.execute(todo[i].sql)
                todo[i].done.set()
        except BaseException as exc:  # reported by the caller
            failed.append(exc)
            for statement in todo:
                statement.done.set()
        finally:
            conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=lane) for _ in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]
    return time.perf_counter() - start


def drop(database: str, tables: list[str], lanes: int) -> float:
    start = time.perf_counter()
    if lanes > 1:
        shares = [tables[k::lanes] for k in range(lanes)]

        def lane(names: list[str]) -> None:
            conn = connect(database)
            try:
                with conn.cursor() as cur:
                    cur.execute("SET FOREIGN_KEY_CHECKS = 0")
                    for name in names:
                        cur.execute(f"DROP TABLE `{name}`")
            finally:
                conn.close()

        threads = [threading.Thread(target=lane, args=(s,)) for s in shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    admin = connect()
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE `{database}`")
    admin.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument(
        "--lanes",
        default="1,2,4,2-nofk,4-nofk",
        help="variants: k lanes; '-nofk': with FOREIGN_KEY_CHECKS off, a table does not wait "
        "for the one its foreign key refers to",
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    variants = args.lanes.split(",")
    todo, tables = statements(args.tables)
    built: dict[str, list[float]] = {k: [] for k in variants}
    dropped: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(args.rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        for variant in order:
            lanes = int(variant.split("-")[0])
            name = f"adopt_bench_lanes_{os.getpid()}_{variant.replace('-', '_')}"
            admin = connect()
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            admin.close()
            built[variant].append(run_lanes(name, todo, lanes, "nofk" not in variant))
            dropped[variant].append(drop(name, tables, lanes))
            bench.log(
                f"round {r + 1}, {variant}: build {built[variant][-1]:.2f} s, "
                f"drop {dropped[variant][-1]:.2f} s"
            )
    one_b, one_d = statistics.median(built[variants[0]]), statistics.median(dropped[variants[0]])
    print(
        f"| lanes | build (s) | ratio | drop (s) | ratio |  ({args.tables} tables, "
        f"median of {args.rounds} rounds)"
    )
    print("|---:|---:|---:|---:|---:|")
    for variant in variants:
        b, d = statistics.median(built[variant]), statistics.median(dropped[variant])
        print(f"| {variant} | {b:.2f} | {b / one_b:.2f} | {d:.2f} | {d / one_d:.2f} |")


if __name__ == "__main__":
    main()
