"""How many generated tables PostgreSQL can create in one transaction before "out of shared
memory ... max_locks_per_transaction": the limit a single-revision baseline meets when it is
upgraded in one transaction (adopt's verification, `flask db upgrade` on an empty database).

    .venv/bin/python bench/pg_locks.py [--low 500] [--high 2000]

Bisects the table count (bench/run.py's model shape), creating the tables with create_all in
one transaction in a temporary database and rolling back; prints the locks held at the largest
size that worked and the smallest that failed."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PG
from run import model_source

BASE = f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}"


def attempt(engine: sa.Engine, n: int) -> tuple[bool, int | str]:
    namespace: dict[str, Any] = {}
    exec(model_source(n), namespace)
    metadata: sa.MetaData = namespace["metadata"]
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            metadata.create_all(conn, checkfirst=False)
            held = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
            ).scalar()
            return True, int(held or 0)
        except sa.exc.DBAPIError as exc:
            return False, str(exc.orig).splitlines()[0]
        finally:
            transaction.rollback()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--low", type=int, default=500, help="a size known to work")
    parser.add_argument("--high", type=int, default=2000, help="a size expected to fail")
    args = parser.parse_args()
    name = f"adopt_bench_{os.getpid()}_locks"
    admin = sa.create_engine(f"{BASE}/postgres", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        settings = {
            s: auto.exec_driver_sql(f"SHOW {s}").scalar()
            for s in ("max_locks_per_transaction", "max_connections", "max_prepared_transactions")
        }
        auto.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"{BASE}/{name}", poolclass=sa.pool.NullPool)
    try:
        print(f"settings: {settings}")
        low, high = args.low, args.high
        ok, held = attempt(engine, low)
        print(f"{low} tables: {'ok, ' + str(held) + ' locks held' if ok else held}")
        if not ok:
            return 1
        ok, why = attempt(engine, high)
        print(f"{high} tables: {'ok, ' + str(why) + ' locks held' if ok else why}")
        if ok:
            return 0
        while high - low > 10:
            mid = (low + high) // 2
            ok, result = attempt(engine, mid)
            print(f"{mid} tables: {'ok, ' + str(result) + ' locks held' if ok else result}")
            if ok:
                low, held = mid, result
            else:
                high, why = mid, result
        print(f"largest that worked: {low} tables ({held} locks); smallest that failed: {high}")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
