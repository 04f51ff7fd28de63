"""The baseline's rebuild runs beside the check of the live database
(adopt._speedups.background), the revisions are loaded once per run (Repository.script) and the
downgrade holds no table copies: what each of these must not change."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.util import pyfiles
from helpers import APPS
from helpers import adopt
from helpers import adopt_json
from helpers import assert_gone
from helpers import assert_untouched
from helpers import live
from helpers import recording_scratch_names
from helpers import revision_files
from helpers import version_rows

from adopt import pipeline
from adopt._speedups import background
from adopt.build import repository
from adopt.build import scratch

# Tests of the speed-up itself: run with it on whatever ADOPT_SPEEDUPS says.
pytestmark = pytest.mark.usefixtures("speedups_on")

# --- the background job ---------------------------------------------------------------------------


def test_background_work_is_called_off_when_the_caller_fails() -> None:
    engine = sa.create_engine("sqlite://")
    started = threading.Event()
    statements = []
    interval = sys.getswitchinterval()

    def work() -> None:
        with engine.connect() as conn:
            while True:
                conn.exec_driver_sql("SELECT 1")
                statements.append(1)
                started.set()

    with (
        pytest.raises(RuntimeError, match="the check failed"),
        background.running(work, [engine]) as job,
    ):
        started.wait(10)
        raise RuntimeError("the check failed")
    assert job.done  # waited for: nothing uses the engine any more
    with pytest.raises(background.Cancelled):
        job.result()
    count = len(statements)
    with engine.connect() as conn:  # the guard is gone with the job
        assert conn.exec_driver_sql("SELECT 2").scalar() == 2
    assert len(statements) == count
    assert sys.getswitchinterval() == interval


def test_background_result_and_error_reach_the_caller() -> None:
    engine = sa.create_engine("sqlite://")
    with background.running(lambda: 42, [engine]) as job:
        pass
    assert job.result() == 42

    def fails() -> None:
        raise ValueError("the rebuild failed")

    with (
        background.running(fails, [engine]) as job,
        pytest.raises(ValueError, match="the rebuild failed"),
    ):
        job.result()


# --- the overlapped baseline ----------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_drift_found_while_rebuilding_leaves_nothing(
    sample: Callable[..., Path],
    make_database: Callable[[str], str],
    dialect: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check finds a difference while the scratch database is being rebuilt: the rebuild
    is called off, the baseline and the repository written for it are removed, the scratch
    database dropped, and the live database is as it was."""
    url = make_database(dialect)
    project = sample("inventory", url)
    e = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE suppliers ADD COLUMN fax VARCHAR(30)")
    e.dispose()
    state = live(url)
    made = recording_scratch_names(monkeypatch)

    for command in ("baseline", "run"):
        extra = ["--yes"] if command == "run" else []
        code, document = adopt_json(command, *extra, *APPS["inventory"])
        assert code == 3, document
        assert [d["object"] for d in document["check"]["differences"]] == ["fax"]
        assert not (project / "migrations").exists()
        assert not (project / "alembic.ini").exists()
        assert_gone(url, made)
        assert_untouched(url, state, command)


def test_already_stamped_or_empty_database_is_refused_before_generating(
    sample: Callable[..., Path], make_database: Callable[[str], str]
) -> None:
    url = make_database("sqlite")
    project = sample("inventory", url)
    e = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with e.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('abc123')")
    e.dispose()
    calls: list[str] = []
    original = pipeline.baseline_mod.generate

    def counted(*args: object, **kwargs: object) -> object:
        calls.append("generate")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    pipeline.baseline_mod.generate = counted  # type: ignore[assignment]
    try:
        result = adopt("baseline", *APPS["inventory"])
    finally:
        pipeline.baseline_mod.generate = original
    assert result.exit_code == 2, result.output
    assert "already has alembic_version at abc123" in result.output
    assert calls == []  # refused before any work
    assert not (project / "migrations").exists()


def test_existing_repository_env_py_restored_when_the_check_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str]
) -> None:
    """A repository that exists without revisions keeps its env.py as it was when the check
    finds differences (the excluded binds are written into it before generating)."""
    import shutil

    from helpers import SAMPLES

    folder = tmp_path / "helpdesk"
    shutil.copytree(
        SAMPLES / "helpdesk", folder, ignore=shutil.ignore_patterns("*.db", "__pycache__")
    )
    main, audit = make_database("sqlite"), make_database("sqlite")
    env = dict(os.environ, DATABASE_URL=main, AUDIT_DATABASE_URL=audit)
    subprocess.run([sys.executable, "build_legacy_db.py"], cwd=folder, env=env, check=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("DATABASE_URL", main)
    monkeypatch.setenv("AUDIT_DATABASE_URL", audit)
    app = ["--app", "helpdesk:create_app()"]
    made = adopt("baseline", *app)
    assert made.exit_code == 0, made.output
    for path in revision_files(folder):
        path.unlink()  # an adopt repository with no revision yet
    env_py = folder / "migrations" / "env.py"
    before = env_py.read_text()
    e = sa.create_engine(main, poolclass=sa.pool.NullPool)
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE agent ADD COLUMN pager VARCHAR(20)")
    e.dispose()

    result = adopt("baseline", *app, "--exclude-bind", "audit")
    assert result.exit_code == 3, result.output
    assert "pager" in result.output
    assert env_py.read_text() == before
    assert revision_files(folder) == []
    assert version_rows(main) is None and version_rows(audit) is None


# --- one load of the revisions per run; the downgrade --------------------------------------------


def test_the_baseline_is_loaded_once_and_reloaded_after_an_edit(
    sample: Callable[..., Path], make_database: Callable[[str], str]
) -> None:
    url = make_database("sqlite")
    project_dir = sample("inventory", url)
    loads: list[str] = []
    original = pyfiles.load_module_py

    def counted(module_id: str, path: str | os.PathLike[str]) -> object:
        if "versions" in str(path):
            loads.append(str(path))
        return original(module_id, path)

    pyfiles.load_module_py = counted  # type: ignore[assignment]
    try:
        project = pipeline.locate(models="inventory.models:Base", url=url)
        adoption = pipeline.baseline(project)
        assert adoption.passed
        results = pipeline.stamp_targets(project, reference=pipeline.head_reference(adoption))
        assert [r.outcome for r in results] == ["stamped"]
        assert len(loads) == 1  # written and loaded by the generation; reused after

        # An edit of the revision (as in the wizard's review) is loaded anew.
        [path] = revision_files(project_dir)
        path.write_text(path.read_text() + "\n# reviewed\n")
        repo = repository.find(project.models, project.directory)
        assert repo is not None
        assert repo.script().get_current_head() == adoption.baseline.revision
        assert len(loads) == 2
    finally:
        pyfiles.load_module_py = original  # type: ignore[assignment]
    assert version_rows(url) == [adoption.baseline.revision]


def test_downgrade_drops_every_table_and_upgrade_rebuilds(
    sample: Callable[..., Path], make_database: Callable[[str], str]
) -> None:
    """The downgrade, whose drop_table operations no longer hold copies of the tables, still
    names every table, in reverse order of creation, and runs."""
    url = make_database("sqlite")
    project = sample("inventory", url)
    made = adopt("baseline", *APPS["inventory"])
    assert made.exit_code == 0, made.output
    [path] = revision_files(project)
    text = path.read_text()
    upgrade, downgrade = text.split("def downgrade", 1)
    created = [line.split("'")[1] for line in upgrade.splitlines() if "op.create_table(" in line]
    dropped = [line.split("'")[1] for line in downgrade.splitlines() if "op.drop_table(" in line]
    assert created and dropped == list(reversed(created))

    empty = make_database("sqlite")
    env = dict(os.environ, DATABASE_URL=empty)
    alembic = str(Path(sys.executable).parent / "alembic")
    for step in (["upgrade", "head"], ["downgrade", "base"], ["upgrade", "head"]):
        done = subprocess.run(
            [alembic, *step], cwd=project, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        names = set(sa.inspect(sa.create_engine(empty)).get_table_names())
        assert (set(created) <= names) == (step[0] == "upgrade")


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
@pytest.mark.parametrize("fails", [False, True])
def test_scratch_database_dropped_behind_the_stamp_is_gone_when_the_block_ends(
    sample: Callable[..., Path],
    make_database: Callable[[str], str],
    dialect: str,
    fails: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`adopt run` drops the scratch database in a thread while it stamps: the drop is handed
    over when the verification ends, and waited for when the block ends, also on an error."""
    url = make_database(dialect)
    sample("inventory", url)
    made = recording_scratch_names(monkeypatch)
    project = pipeline.locate(models="inventory.models:Base", url=url)
    with contextlib.suppress(KeyboardInterrupt), scratch.dropped_behind():
        adoption = pipeline.baseline(project)
        pending = scratch._BEHIND.get()
        assert pending is not None and len(pending) == 1  # handed to a thread, not dropped
        results = pipeline.stamp_targets(project, reference=pipeline.head_reference(adoption))
        assert [r.outcome for r in results] == ["stamped"]
        if fails:
            raise KeyboardInterrupt
    assert pending[0].done
    assert len(made) == 1  # the verification's
    assert_gone(url, made)
    assert scratch._BEHIND.get() is None  # outside the block, drops are inline again
    assert version_rows(url) == [adoption.baseline.revision]
