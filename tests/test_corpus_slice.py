"""The real-schema corpus's fast slice (`corpus/run.py --fast`): a few light real model sets,
each installed into an environment of its own under corpus/.venvs/, adopted with the public CLI
on SQLite, PostgreSQL and MariaDB, and replayed with plain Alembic into an empty database that
must equal the live one strictly (docs/corpus.md).

It installs packages from the package index and needs both servers, so it runs only when
ADOPT_CORPUS=1; the main suite stays fast."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    os.environ.get("ADOPT_CORPUS") != "1",
    reason="the corpus installs real packages into environments of its own and needs both "
    "servers: set ADOPT_CORPUS=1 to run its fast slice",
)
def test_the_fast_slice_is_adopted_exactly() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "corpus" / "run.py"), "--fast", "--no-markdown"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    # The table (stdout) names every combination that is not exact and its first differences.
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
