"""Stamping every target: alembic_version states, drift refused then forced,
unreachable targets among reachable ones, concurrent stampers, re-runs, targets from
configuration, environment and files, and PostgreSQL tenant schemas."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import adopt
from helpers import build
from helpers import engine
from helpers import revision_files
from helpers import row_checksums
from helpers import version_rows

DIALECTS = ["sqlite", "postgresql", "mariadb"]
APP = ["--app", "microblog"]


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def baselines() -> dict[str, Path]:
    """The migrations folder `adopt baseline` wrote for the microblog sample, per dialect: the
    sample and its legacy database are the same in every test here, so one baseline (checked
    and verified by the command that wrote it) serves them all."""
    return {}


@pytest.fixture
def adopted(
    dialect: str,
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
    baselines: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str, str]:
    """A microblog project with its baseline written (live database not yet stamped)."""
    live = make_database(dialect)
    project = sample("microblog", live)
    if dialect in baselines:
        shutil.copytree(baselines[dialect], project / "migrations")
    else:
        result = adopt("baseline", *APP)
        assert result.exit_code == 0, result.output
        kept = tmp_path_factory.mktemp(f"baseline-{dialect}") / "migrations"
        baselines[dialect] = shutil.copytree(project / "migrations", kept)
    [baseline] = revision_files(project)
    return project, live, baseline.name.split("_")[0]


def legacy_copy(project: Path, make_database: Callable[[str], str], dialect: str) -> str:
    url = make_database(dialect)
    build(project, url)
    return url


def stamp_json(*args: str) -> tuple[int, dict[str, object]]:
    result = adopt("stamp", *APP, *args, "--json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def outcomes(document: dict[str, object]) -> list[str]:
    return [t["outcome"] for t in document["targets"]]  # type: ignore[index, union-attr]


def set_version(url: str, *rows: str) -> None:
    e = engine(url)
    with e.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        for row in rows:
            conn.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": row})
    e.dispose()


def test_every_version_state(
    adopted: tuple[Path, str, str], dialect: str, make_database: Callable[[str], str]
) -> None:
    project, live, head = adopted
    absent, empty, at_head, unknown, several = (
        legacy_copy(project, make_database, dialect) for _ in range(5)
    )
    set_version(empty)
    set_version(at_head, head)
    set_version(unknown, "deadbeef0001")
    set_version(several, head, "deadbeef0002")
    code, doc = stamp_json(absent, empty, at_head, unknown, several)
    assert code == 1, doc
    assert outcomes(doc) == ["stamped", "stamped", "at head", "refused", "refused"]
    reasons = [t["reason"] for t in doc["targets"]]  # type: ignore[index, union-attr]
    assert "does not know" in reasons[3]
    assert "several rows" in reasons[4]
    assert version_rows(absent) == [head] and version_rows(empty) == [head]
    assert version_rows(unknown) == ["deadbeef0001"]
    assert version_rows(several) == sorted([head, "deadbeef0002"])
    assert version_rows(live) is None  # only the named targets were touched


def test_known_older_revision_is_behind_with_upgrade_advice(
    adopted: tuple[Path, str, str], dialect: str, make_database: Callable[[str], str]
) -> None:
    """Stamped at an older revision whose schema it has: nothing to stamp, the pending
    revision is named, and the way on is an upgrade (not drift)."""
    project, _live, head = adopted
    second = project / "migrations" / "versions" / "second_rev.py"
    second.write_text(
        f'revision = "second00rev1"\ndown_revision = "{head}"\nbranch_labels = None\n'
        "depends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )
    behind = legacy_copy(project, make_database, dialect)
    set_version(behind, head)
    code, doc = stamp_json(behind)
    assert code == 0 and outcomes(doc) == ["behind head"]
    reason = doc["targets"][0]["reason"]  # type: ignore[index]
    assert "upgrade" in reason and "second00rev1" in reason
    assert version_rows(behind) == [head]


def test_drifted_target_is_refused_then_forced(
    adopted: tuple[Path, str, str], dialect: str, make_database: Callable[[str], str]
) -> None:
    project, _live, head = adopted
    drifted = legacy_copy(project, make_database, dialect)
    e = engine(drifted)
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE post ADD COLUMN mood VARCHAR(20)")
    e.dispose()
    rows = row_checksums(drifted)
    code, doc = stamp_json(drifted)
    assert code == 3 and outcomes(doc) == ["drifted"]
    [target] = doc["targets"]  # type: ignore[misc]
    assert any(d["table"] == "post" and d["object"] == "mood" for d in target["differences"])
    assert version_rows(drifted) is None
    code, doc = stamp_json(drifted, "--force")
    assert code == 0 and outcomes(doc) == ["stamped"]
    assert "--force" in doc["targets"][0]["reason"]  # type: ignore[index]
    assert version_rows(drifted) == [head]
    assert row_checksums(drifted) == rows


def test_unreachable_target_does_not_stop_the_others(
    adopted: tuple[Path, str, str], dialect: str, make_database: Callable[[str], str]
) -> None:
    project, _live, head = adopted
    good = legacy_copy(project, make_database, dialect)
    dead = "postgresql+psycopg://root@127.0.0.1:1/nowhere"
    # Port 1 refuses at once; the timeout is for the good target's server, which a loaded
    # machine (CI beside other runs) can keep waiting longer than a few seconds.
    code, doc = stamp_json(dead, good, "--timeout", "20")
    assert code == 4, json.dumps(doc, indent=1)[:3000]
    assert outcomes(doc) == ["unreachable", "stamped"]
    assert version_rows(good) == [head]


def test_rerun_is_idempotent_and_the_live_database_is_the_default(
    adopted: tuple[Path, str, str],
) -> None:
    _project, live, head = adopted
    code, doc = stamp_json()
    assert code == 0 and outcomes(doc) == ["stamped"]
    code, doc = stamp_json()
    assert code == 0 and outcomes(doc) == ["at head"]
    assert version_rows(live) == [head]
    code, doc = stamp_json()
    status = adopt("status", *APP, "--json")
    assert status.exit_code == 0
    assert json.loads(status.stdout)["targets"][0]["outcome"] == "at head"


def test_two_concurrent_stampers_leave_one_row(adopted: tuple[Path, str, str]) -> None:
    project, live, head = adopted
    program = str(Path(sys.executable).parent / "adopt")
    env = dict(os.environ, DATABASE_URL=live, NO_COLOR="1")
    runs = [
        subprocess.Popen(
            [program, "stamp", *APP],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.communicate()) for p in runs]
    assert [code for code, _ in results] == [0, 0], results
    assert version_rows(live) == [head]
    text = " ".join(out for _, (out, _err) in results)
    assert "stamped" in text and "at head" in text


def test_targets_from_config_env_and_file(
    adopted: tuple[Path, str, str],
    dialect: str,
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, _live, head = adopted
    staging, prod, fleet1, fleet2 = (legacy_copy(project, make_database, dialect) for _ in range(4))
    monkeypatch.setenv("PROD_URL", prod)
    (project / "pyproject.toml").write_text(
        f'[tool.adopt]\naudit = "file:stamps.jsonl"\n\n[tool.adopt.targets]\n'
        f'staging = "{staging}"\nproduction = "env:PROD_URL"\n'
    )
    code, doc = stamp_json("--all")
    assert code == 0 and outcomes(doc) == ["stamped", "stamped"]
    assert version_rows(staging) == [head] and version_rows(prod) == [head]
    targets_file = project / "fleet.txt"
    targets_file.write_text(f"# the fleet\n\n{fleet1}\n   \nenv:PROD_URL\n{fleet2}  # last\n")
    code, doc = stamp_json("--targets-file", str(targets_file))
    assert code == 0 and outcomes(doc) == ["stamped", "at head", "stamped"]
    audit = [json.loads(line) for line in (project / "stamps.jsonl").read_text().splitlines()]
    assert len(audit) == 4
    assert {a["revision"] for a in audit} == {head}
    assert all(a["user"] and a["tool"].startswith("adopt ") and a["fingerprint"] for a in audit)


def test_targets_file_with_garbage_is_refused_whole(adopted: tuple[Path, str, str]) -> None:
    project, live, _head = adopted
    bad = project / "fleet.txt"
    bad.write_text(f"{live}\nthis is not a url\n")
    result = adopt("stamp", *APP, "--targets-file", str(bad))
    assert result.exit_code == 2
    assert "line 2" in result.stderr
    assert version_rows(live) is None


def test_audit_table_is_written_with_the_stamp(adopted: tuple[Path, str, str]) -> None:
    project, live, head = adopted
    (project / "pyproject.toml").write_text('[tool.adopt]\naudit = "table"\n')
    code, doc = stamp_json()
    assert code == 0, doc
    e = engine(live)
    with e.connect() as conn:
        rows = conn.exec_driver_sql("SELECT revision, stamped_by, tool FROM adopt_stamp_log").all()
    e.dispose()
    assert [r[0] for r in rows] == [head]
    # The audit table is adopt's own: it is not drift and not an unmanaged table.
    code, doc = stamp_json()
    assert code == 0 and outcomes(doc) == ["at head"]
    assert doc["targets"][0]["differences"] == []  # type: ignore[index]


def test_tenant_schemas(make_database: Callable[[str], str], sample: Callable[..., Path]) -> None:
    live = make_database("postgresql")
    project = sample("microblog", live)
    assert adopt("baseline", *APP).exit_code == 0
    [baseline] = revision_files(project)
    head = baseline.name.split("_")[0]
    e = engine(live)
    with e.begin() as conn:
        for tenant in ("tenant_a", "tenant_b", "tenant_c"):
            conn.exec_driver_sql(f"CREATE SCHEMA {tenant}")
    script = (
        "import sys\nfrom app import create_app, db\napp = create_app()\n"
        "with app.app_context():\n"
        "    for s in sys.argv[1:]:\n"
        "        with db.engine.begin() as c:\n"
        "            db.metadata.create_all(c.execution_options(schema_translate_map={None: s}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "tenant_a", "tenant_b", "tenant_c"],
        cwd=project,
        env=dict(os.environ, DATABASE_URL=live),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE tenant_c.post ADD COLUMN mood VARCHAR(20)")
    code, doc = stamp_json(live, "--schemas-like", "tenant_%")
    assert code == 3, doc
    assert outcomes(doc) == ["stamped", "stamped", "drifted"], json.dumps(doc, indent=1)[:3000]
    with e.connect() as conn:
        for tenant, expected in (("tenant_a", [head]), ("tenant_b", [head])):
            rows = conn.exec_driver_sql(f"SELECT version_num FROM {tenant}.alembic_version").all()
            assert [r[0] for r in rows] == expected
        assert not sa.inspect(conn).has_table("alembic_version", schema="tenant_c")
        assert not sa.inspect(conn).has_table("alembic_version")  # public untouched
    e.dispose()
