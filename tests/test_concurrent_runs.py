"""Two `adopt run --yes` started together in one project: exactly one baseline and one stamp;
the other exits 2 (another adopt is writing there, or the project is adopted already) and
leaves nothing. Each round releases both processes at once from a barrier file.

ADOPT_RACE_ROUNDS sets the rounds per dialect (3 by default; the issue's proof is 10)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLES
from conftest import build
from helpers import revision_files
from helpers import row_checksums
from helpers import version_rows

ROUNDS = int(os.environ.get("ADOPT_RACE_ROUNDS", "3"))

# Waits for the barrier file, then runs adopt's console entry point with the given arguments.
STARTER = """
import os, sys, time
while not os.path.exists(sys.argv[1]):
    time.sleep(0.002)
sys.argv = ["adopt", *sys.argv[2:]]
from adopt.cli import main
main()
"""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _race(project: Path, url: str, barrier: Path) -> list[subprocess.CompletedProcess[str]]:
    env = dict(os.environ, DATABASE_URL=url, NO_COLOR="1")
    env.pop("FLASK_APP", None)
    args = [sys.executable, "-c", STARTER, str(barrier), "run", "--yes", "--app", "microblog"]
    procs = [
        subprocess.Popen(
            args, cwd=project, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    time.sleep(0.3)  # both waiting at the barrier
    barrier.touch()
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


def test_two_runs_in_one_project_adopt_once(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str
) -> None:
    for round_ in range(ROUNDS):
        project = tmp_path / f"round{round_}"
        shutil.copytree(
            SAMPLES / "microblog",
            project,
            ignore=shutil.ignore_patterns("*.db", "migrations", "__pycache__"),
        )
        url = make_database(dialect)
        build(project, url)
        rows = row_checksums(url)
        results = _race(project, url, tmp_path / f"go{round_}")
        codes = sorted(r.returncode for r in results)
        shown = "\n".join(f"exit {r.returncode}:\n{r.stdout}\n{r.stderr}" for r in results)
        assert codes == [0, 2], shown
        loser = next(r for r in results if r.returncode == 2)
        assert "Traceback" not in loser.stderr, shown
        assert any(
            words in loser.stderr
            for words in ("Another adopt is writing migrations", "already", "revisions")
        ), shown
        [baseline] = revision_files(project)
        assert version_rows(url) == [baseline.name.split("_")[0]]
        assert row_checksums(url) == rows
