"""Two `adopt run --yes` started together in one project: exactly one baseline and one stamp;
the other exits 2 (another adopt is writing there) or 0 (it found the project adopted: nothing
to do), and leaves nothing. Each round releases both processes at once from a barrier file.

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
from helpers import SAMPLES
from helpers import build
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
        # The second either finds the first writing (refused, exit 2) or finds the project
        # adopted (nothing to do, exit 0).
        assert codes in ([0, 0], [0, 2]), shown
        for result in results:
            assert "Traceback" not in result.stderr, shown
            if result.returncode == 2:
                assert "Another adopt is writing migrations" in result.stderr, shown
        [baseline] = revision_files(project)
        assert version_rows(url) == [baseline.name.split("_")[0]]
        assert row_checksums(url) == rows


def test_run_twice_in_a_row_is_a_no_op_the_second_time(
    tmp_path: Path, make_database: Callable[[str], str], dialect: str
) -> None:
    """A deploy job that runs `adopt run --yes` on every deploy: the second run exits 0 and
    writes nothing (no revision, no stamp row, no audit line)."""
    project = tmp_path / "project"
    shutil.copytree(
        SAMPLES / "microblog", project, ignore=shutil.ignore_patterns("*.db", "migrations")
    )
    url = make_database(dialect)
    build(project, url)
    env = dict(os.environ, DATABASE_URL=url, NO_COLOR="1")
    env.pop("FLASK_APP", None)
    command = [str(Path(sys.executable).parent / "adopt"), "run", "--yes", "--app", "microblog"]
    first = subprocess.run(command, cwd=project, env=env, text=True, capture_output=True)
    assert first.returncode == 0, first.stderr
    files = {
        p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "__pycache__" not in str(p)
    }
    rows = row_checksums(url)
    again = subprocess.run(command, cwd=project, env=env, text=True, capture_output=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no baseline written" in again.stdout and "at head" in again.stdout
    after = {
        p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "__pycache__" not in str(p)
    }
    assert after == files
    assert row_checksums(url) == rows
