"""Counts in adopt's messages read as English: "1 way", "3 ways", never "way(s)"."""

from __future__ import annotations

from pathlib import Path

from adopt.wording import counted


def test_counted_is_singular_only_for_one() -> None:
    assert counted(1, "way") == "1 way"
    assert counted(0, "table") == "0 tables"
    assert counted(3, "scratch database") == "3 scratch databases"


def test_no_message_writes_a_plural_in_parentheses() -> None:
    package = Path(__file__).resolve().parent.parent / "adopt"
    for path in package.glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert ")} " not in line or "(s)" not in line, f"{path.name}:{number}: {line}"
            assert not ('f"' in line and "(s)" in line), f"{path.name}:{number}: {line}"
