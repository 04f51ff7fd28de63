"""The speed-ups change how fast, never what: with ADOPT_SPEEDUPS=0 every one takes its plain
path, and the reports and the baseline are the same as with them on.

The comparison runs on the benchmark's schema (bench/run.py's model_source), drifted in two
ways, on each dialect. `.ci/run` also runs the end-to-end adoption tests with the speed-ups off."""

from __future__ import annotations

import gc
import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from helpers import adopt
from helpers import adopt_json

from adopt import _speedups
from adopt._speedups import memory
from adopt._speedups import process

ROOT = Path(__file__).resolve().parent.parent
TABLES = 30


def bench_models(tables: int) -> str:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # its dataclasses look themselves up there
    try:
        spec.loader.exec_module(module)
        source: str = module.model_source(tables)
    finally:
        del sys.modules["bench_run"]
    return source


@pytest.mark.parametrize(
    ("value", "on"), [(None, True), ("1", True), ("0", False), ("off", False), ("no", False)]
)
def test_the_switch(monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool) -> None:
    if value is None:
        monkeypatch.delenv(_speedups.SWITCH, raising=False)
    else:
        monkeypatch.setenv(_speedups.SWITCH, value)
    assert _speedups.enabled() is on


def test_version_gate() -> None:
    assert _speedups.tested("1.20.1", (1, 20))
    assert _speedups.tested("1.9.0", (1, 20))
    assert not _speedups.tested("1.21.0", (1, 20))
    assert not _speedups.tested("2.0.0b1", (1, 20))
    assert _speedups.release("nonsense") == (0, 0)


def test_process_tuning_is_undone_and_off_when_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(_speedups.SWITCH, "1")  # the suite also runs with the switch off
    before = gc.get_threshold()
    with process.tuned():
        assert gc.get_threshold() == process.THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    monkeypatch.setenv(_speedups.SWITCH, "0")
    with process.tuned():
        assert gc.get_threshold() == before
    memory.release(1_000)  # the plain path: nothing to do, nothing raised


def _drift(url: str) -> None:
    """An extra column and a missing index: two differences the check must name either way."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE t0003 ADD COLUMN extra INTEGER")
        if conn.dialect.name == "mysql":
            conn.exec_driver_sql("DROP INDEX ix_t0002_name ON t0002")
        else:
            conn.exec_driver_sql("DROP INDEX ix_t0002_name")
    engine.dispose()


def _built(url: str, project: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen", project / "gen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    engine = sa.create_engine(url)
    module.metadata.create_all(engine)
    engine.dispose()


def _both_ways(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for switch in ("1", "0"):
        monkeypatch.setenv(_speedups.SWITCH, switch)
        found.append(adopt_json(*args))
        sys.modules.pop("gen", None)
    return found


def _script(path: str) -> str:
    return re.sub(r"Create Date: .*", "", Path(path).read_text())


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_speedups_on_and_off_give_the_same_reports(
    dialect: str,
    make_database: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "bench"
    project.mkdir()
    (project / "gen.py").write_text(bench_models(TABLES))
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    drifted, clean = make_database(dialect), make_database(dialect)
    _built(drifted, project)
    _built(clean, project)
    _drift(drifted)

    models = ("--models", "gen:metadata")
    (on_code, on), (off_code, off) = _both_ways(monkeypatch, "check", *models, "--url", drifted)
    assert on_code == off_code == 3
    assert on["check"] == off["check"]
    kinds = sorted(d["kind"] for d in on["check"]["differences"])
    assert len(kinds) == 2, kinds

    scripts = []
    for switch in ("1", "0"):
        monkeypatch.setenv(_speedups.SWITCH, switch)
        code, made = adopt_json("baseline", *models, "--url", clean, "--rev-id", "b0")
        assert code == 0, made["error"]
        assert made["verification"]["passed"] is True
        assert made["check"] == made["check"] | {"matches": True}
        scripts.append((_script(made["baseline"]["path"]), made["verification"]))
        shutil.rmtree("migrations")
        Path("alembic.ini").unlink()
        sys.modules.pop("gen", None)
    (on_script, on_verified), (off_script, off_verified) = scripts
    assert on_script == off_script
    assert on_verified == off_verified


def test_an_alembic_newer_than_tested_renders_the_baseline_itself(
    sample: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The private rendering functions are used only with the releases they were tested
    against: with a later one, Alembic renders the baseline alone, a note says so, and the
    verification still proves it."""
    from adopt.build import baseline

    assert baseline.rendering_fits()
    monkeypatch.setattr(baseline, "RENDERING_TESTED_UP_TO", (1, 0))
    assert not baseline.rendering_fits()
    project = sample("inventory")
    url = f"sqlite:///{project / 'inventory.db'}"
    result = adopt("baseline", "--models", "inventory.models:Base", "--url", url)
    assert result.exit_code == 0, result.output
    assert "newer than adopt's baseline rendering was tested with" in result.output
    assert "Verified" in result.output or "verified" in result.output


QUOTED = """
import sqlalchemy as sa

metadata = sa.MetaData()
t = sa.Table(
    "t", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("s", sa.String(20), server_default="it's"),
)
"""


def test_a_string_default_with_a_quote_is_compared_both_ways(
    monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str], str], tmp_path: Path
) -> None:
    """PostgreSQL: Alembic's own comparison of such a default fails on the quote; adopt compares
    it itself on either path, and finds the database's other string."""
    url = make_database("postgresql")
    (tmp_path / "quoted.py").write_text(QUOTED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    e = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with e.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id SERIAL PRIMARY KEY, s VARCHAR(20) DEFAULT 'it''s')"
        )
    for code, found in _both_ways(
        monkeypatch, "check", "--models", "quoted:metadata", "--url", url
    ):
        assert code == 0, found
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE t ALTER COLUMN s SET DEFAULT 'it''s here'")
    e.dispose()
    for code, found in _both_ways(
        monkeypatch, "check", "--models", "quoted:metadata", "--url", url
    ):
        assert code == 3, found
        assert [d["kind"] for d in found["check"]["differences"]] == ["server_default"]
