"""The corpus's fast slice (corpus/run.py --fast: three real model sets on the three
dialects, each adopted and replayed strictly). It installs packages into environments of its
own, so it runs only with ADOPT_CORPUS=1; .ci/run runs the same slice as a step of its own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.skipif(
    os.environ.get("ADOPT_CORPUS") != "1",
    reason="the corpus installs real packages into its own environments; set ADOPT_CORPUS=1",
)
def test_the_fast_slice_adopts_exactly() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "corpus" / "run.py"), "--fast"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "**no**" not in done.stdout
