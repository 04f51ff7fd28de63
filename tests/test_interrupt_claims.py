"""What a run says happened is what happened: an interrupt after a change that stays (a stamp
committed, a baseline kept) names that change and exits 5, not 130 with "nothing was changed";
an audit record that cannot be written refuses the stamp before it is made, or, when it fails
after the commit, is reported as "stamped, audit not written"; Ctrl-C taken by the pager does
not interrupt what the person answers next."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import FaultPoint
from helpers import adopt
from helpers import revision_files
from helpers import version_rows

from adopt import interrupts
from adopt.stamping import audit
from adopt.ui import output

APP = ["--app", "microblog"]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _stop_after_the_change(
    tmp_path: Path, args: list[str], project: Path, url: str, sig: int
) -> tuple[int, str, str]:
    """Run adopt until it notes its first change that stays, send `sig`, let it go on."""
    fault = FaultPoint(tmp_path / "fault", "committed")
    proc = fault.start(args, project, url)
    try:
        fault.wait(proc)
        change = (fault.folder / "reached").read_text()
        proc.send_signal(sig)
        fault.release()
        _out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return proc.returncode, err, change


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_after_the_stamp_committed_says_it_was_stamped(
    tmp_path: Path,
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
    dialect: str,
    sig: int,
) -> None:
    live = make_database(dialect)
    project = sample("microblog", live)
    assert adopt("baseline", *APP).exit_code == 0
    [baseline] = revision_files(project)
    head = baseline.name.split("_")[0]
    code, err, change = _stop_after_the_change(tmp_path, ["stamp", *APP], project, live, sig)
    assert change.endswith(f"stamped at {head}")
    assert code == 5, err
    assert f"Interrupted after: {change}." in err and "Traceback" not in err
    assert "nothing" not in err
    assert version_rows(live) == [head]


def test_an_interrupt_after_the_baseline_was_kept_says_so(
    tmp_path: Path, make_database: Callable[[str], str], sample: Callable[..., Path]
) -> None:
    live = make_database("sqlite")
    project = sample("microblog", live)
    code, err, change = _stop_after_the_change(
        tmp_path, ["run", "--yes", *APP], project, live, signal.SIGINT
    )
    [baseline] = revision_files(project)
    assert change.startswith("baseline ") and str(baseline) in change
    assert code == 5, err
    assert f"Interrupted after: {change}." in err
    assert version_rows(live) is None  # the stamp never started


def test_an_audit_file_that_cannot_be_written_refuses_the_stamp_first(
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = make_database("sqlite")
    sample("microblog", live)
    assert adopt("baseline", *APP).exit_code == 0
    monkeypatch.setenv("ADOPT_AUDIT", "file:/nonexistent/folder/stamps.jsonl")
    result = adopt("stamp", *APP, "--json")
    document = json.loads(result.stdout)
    assert result.exit_code != 0
    [target] = document["targets"]
    assert target["outcome"] != "stamped" and "audit file" in target["reason"]
    assert version_rows(live) is None


def test_an_audit_record_lost_after_the_commit_is_reported_with_the_stamp(
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = make_database("sqlite")
    project = sample("microblog", live)
    assert adopt("baseline", *APP).exit_code == 0
    [baseline] = revision_files(project)

    def full_disk(path: Path, item: audit.Entry) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit, "record_in_file", full_disk)
    result = adopt("stamp", *APP, "--json")
    document = json.loads(result.stdout)
    [target] = document["targets"]
    assert target["outcome"] == "stamped" and target["audit_written"] is False
    assert "audit record not written" in target["reason"]
    assert result.exit_code == 1
    assert version_rows(live) == [baseline.name.split("_")[0]]


def test_ctrl_c_taken_by_the_pager_does_not_stop_what_comes_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python's pager waits the pager out on Ctrl-C: the signal is remembered, and the next
    progress step would raise it, after the person answered "stamp"."""
    import pydoc

    from rich.console import Console

    paged: list[str] = []

    def pager_hit_by_ctrl_c(text: str, title: str = "") -> None:
        paged.append(text)
        interrupts._received.set()

    monkeypatch.setattr(pydoc, "pager", pager_hit_by_ctrl_c)
    console = Console(force_terminal=True, height=20, width=80)
    output.script(console, "\n".join(f"# line {n}" for n in range(200)))
    assert paged, "the script was not shown in the pager"
    assert not interrupts.received()
    interrupts.check()  # raises nothing
