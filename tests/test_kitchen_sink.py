"""A model set with most column types, composite keys, self references, CHECKs, non-native
enums, JSON, UUIDs and server defaults, adopted on every dialect: no false alarm, a baseline
that verifies, a stamped database at head."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import adopt
from helpers import revision_files
from helpers import version_rows

MODELS = Path(__file__).parent / "models" / "sinkmodels.py"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_kitchen_sink_adopts_cleanly(
    tmp_path: Path,
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
) -> None:
    url = make_database(dialect)
    shutil.copy(MODELS, tmp_path / "sinkmodels.py")
    code = (
        "import sqlalchemy as sa, sinkmodels as m; m.Base.metadata.create_all(sa.create_engine(%r))"
    )
    subprocess.run([sys.executable, "-c", code % url], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    check = adopt("check", "--models", "sinkmodels:Base", "--url", url, "--verbose")
    assert check.exit_code == 0, check.output
    assert "Not in the baseline" not in check.output
    result = adopt("run", "--yes", "--models", "sinkmodels:Base", "--url", url)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(tmp_path)
    assert version_rows(url) == [baseline.name.split("_")[0]]
    status = adopt("status", "--models", "sinkmodels:Base", "--url", url)
    assert status.exit_code == 0, status.output
