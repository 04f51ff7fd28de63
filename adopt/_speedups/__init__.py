"""Speed-ups kept apart from the flow: each lives in a module of its own here, is entered at
the call sites tests/test_architecture.py lists, and has a plain path.

Those that lean on a private name of Alembic or SQLAlchemy check that the name is there and
that the release is one they were tested with (`tested`), and take the plain path otherwise.
ADOPT_SPEEDUPS=0 takes the plain path everywhere: the suite runs a slice both ways, and the
reports must be the same (tests/test_speedups.py)."""

from __future__ import annotations

import os
import re

SWITCH = "ADOPT_SPEEDUPS"


def enabled() -> bool:
    """Whether the speed-ups are on (the default; ADOPT_SPEEDUPS=0 turns them off)."""
    return os.environ.get(SWITCH, "1").strip() not in ("0", "off", "false", "no")


def release(version: str) -> tuple[int, int]:
    """(major, minor) of a version string; (0, 0) when it has none."""
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def tested(version: str, up_to: tuple[int, int]) -> bool:
    """Whether a library at `version` is one a speed-up was tested with (up to `up_to`)."""
    return release(version) <= up_to
