"""A fleet stamped by N jobs: `adopt stamp --shard K/N` takes a stable share of the targets, and
`adopt reference --out FILE` builds the head schema once for every job (`--reference FILE`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import adopt_json
from helpers import version_rows

from adopt.errors import UsageError
from adopt.stamping import shards
from adopt.stamping.targets import Target
from adopt.urls import parse_url

MODELS = ("--models", "inventory.models:Base")


def fleet(count: int) -> list[Target]:
    return [
        Target(f"t{i}", parse_url(f"postgresql://u:pw@db{i % 7}/tenant_{i}")) for i in range(count)
    ]


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_shares_hold_every_target_once_whatever_the_order(n: int) -> None:
    targets = fleet(300)
    shares = [shards.share(targets, k, n) for k in range(1, n + 1)]
    assert sorted(t.name for share in shares for t in share) == sorted(t.name for t in targets)
    again = [shards.share(list(reversed(targets[:150])), k, n) for k in range(1, n + 1)]
    for share, part in zip(shares, again, strict=True):
        assert {t.name for t in part} <= {t.name for t in share}  # the same share, any list
    if n > 1:
        assert all(share for share in shares)  # 300 targets reach every share


def test_the_share_does_not_depend_on_the_password() -> None:
    a = Target("a", parse_url("postgresql://u:one@db/app"))
    b = Target("a", parse_url("postgresql://u:two@db/app"))
    assert [shards.share([a], k, 5) != [] for k in range(1, 6)] == [
        shards.share([b], k, 5) != [] for k in range(1, 6)
    ]


@pytest.mark.parametrize("text", ["0/4", "5/4", "4", "a/b", "1/0", "2/20000"])
def test_a_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        shards.parse(text)


def test_four_jobs_stamp_a_fleet_of_400_once_with_one_reference(
    sample: Callable[..., Path], tmp_path: Path
) -> None:
    project = sample("inventory")
    legacy = project / "inventory.db"
    code, made = adopt_json("baseline", *MODELS, "--url", f"sqlite:///{legacy}")
    assert code == 0, made["error"]
    head = made["baseline"]["revision"]
    fleet_dir = tmp_path / "fleet"
    fleet_dir.mkdir()
    urls = []
    for i in range(400):
        copy = fleet_dir / f"tenant_{i:03d}.db"
        shutil.copyfile(legacy, copy)
        urls.append(f"sqlite:///{copy}")
    listing = tmp_path / "targets.txt"
    listing.write_text("\n".join(urls) + "\n")
    reference = tmp_path / "head.json"
    code, written = adopt_json(
        "reference", *MODELS, "--targets-file", str(listing), "--out", str(reference)
    )
    assert code == 0, written["error"]
    assert written["head"] == head and json.loads(reference.read_text())["head"] == head

    env = dict(os.environ, PYTHONPATH=str(project))
    jobs = [
        subprocess.Popen(
            [sys.executable, "-m", "adopt", "stamp", *MODELS, "--targets-file", str(listing),
             "--shard", f"{k}/4", "--reference", str(reference), "--jobs", "4", "--json"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, 5)
    ]  # fmt: skip
    stamped: list[str] = []
    for job in jobs:
        out, err = job.communicate(timeout=600)
        assert job.returncode == 0, err
        assert "Building the head schema" not in err  # read from the file, never built
        document = json.loads(out)
        assert {t["outcome"] for t in document["targets"]} == {"stamped"}
        stamped += [json.dumps(t["target"], sort_keys=True) for t in document["targets"]]
    assert len(stamped) == 400 and len(set(stamped)) == 400
    assert all(version_rows(url) == [head] for url in urls)
    # One audit record a database: four processes of four threads each appended to one file
    # that none of them found there.
    audit = (project / "adopt-stamps.jsonl").read_text().splitlines()
    per_database = Counter(json.loads(line)["database"] for line in audit)
    assert len(audit) == 400 and len(per_database) == 400


def test_a_reference_of_another_head_or_dialect_is_refused(
    sample: Callable[..., Path], tmp_path: Path
) -> None:
    project = sample("inventory")
    url = f"sqlite:///{project / 'inventory.db'}"
    assert adopt_json("baseline", *MODELS, "--url", url)[0] == 0
    reference = tmp_path / "head.json"
    assert adopt_json("reference", *MODELS, "--url", url, "--out", str(reference))[0] == 0
    document = json.loads(reference.read_text())
    document["head"] = "0000aaaa"
    reference.write_text(json.dumps(document))
    code, refused = adopt_json("stamp", *MODELS, "--url", url, "--reference", str(reference))
    assert code == 2 and "0000aaaa" in refused["error"]
    assert version_rows(url) is None
    reference.write_text("{not json")
    code, refused = adopt_json("stamp", *MODELS, "--url", url, "--reference", str(reference))
    assert code == 2 and "not a reference file" in refused["error"]
    assert version_rows(url) is None
