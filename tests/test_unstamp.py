"""adopt unstamp: alembic_version back to what the audit says it held before adopt's stamp,
on the three dialects and with both audit stores; refused for a database that moved on, for a
stamp adopt did not record, and twice in a row."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import adopt
from helpers import assert_valid_json
from helpers import version_rows

APP = ["--app", "microblog"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]


def unstamp(*args: str) -> tuple[int, dict[str, object]]:
    result = adopt("unstamp", *APP, *args, "--json")
    return result.exit_code, assert_valid_json(result.stdout)


def execute(url: str, *statements: str) -> None:
    e = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with e.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    e.dispose()


def audit_rows(url: str) -> list[tuple[str, str | None, str]]:
    e = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with e.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT action, revision_before, revision FROM adopt_stamp_log ORDER BY id"
        ).all()
    e.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.parametrize("audit", ["file", "table"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_unstamp_restores_what_was_there_and_refuses_a_database_that_moved_on(
    sample: Callable[..., Path],
    make_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    dialect: str,
    audit: str,
) -> None:
    url = make_database(dialect)
    project = sample("microblog", url)
    if audit == "table":
        monkeypatch.setenv("ADOPT_AUDIT", "table")
    assert adopt("run", "--yes", *APP).exit_code == 0
    [head] = version_rows(url) or []

    code, document = unstamp()
    assert code == 0, document
    [target] = document["targets"]  # type: ignore[misc]
    assert target["outcome"] == "unstamped"
    assert (target["before"], target["after"]) == (head, "absent")
    assert version_rows(url) is None  # the table adopt created is gone, as before the stamp

    # Twice: the latest record is the unstamp, so there is nothing of adopt's to undo.
    code, document = unstamp()
    assert code == 1 and "unstamped already" in json.dumps(document)

    # Stamped again, then moved on (a migration, a hand-made stamp): refused, left as it is.
    assert adopt("stamp", *APP).exit_code == 0
    execute(url, "UPDATE alembic_version SET version_num = 'feedbeef0001'")
    code, document = unstamp()
    assert code == 1
    [target] = document["targets"]  # type: ignore[misc]
    assert target["outcome"] == "refused" and "moved on" in target["reason"]
    assert version_rows(url) == ["feedbeef0001"]

    if audit == "table":
        assert [(a, b) for a, b, _ in audit_rows(url)] == [
            ("stamp", "absent"),
            ("unstamp", head),
            ("stamp", "absent"),
        ]
    else:
        records = [json.loads(line) for line in (project / "adopt-stamps.jsonl").open()]
        assert [(r["action"], r["before"], r["revision"]) for r in records] == [
            ("stamp", "absent", head),
            ("unstamp", head, "absent"),
            ("stamp", "absent", head),
        ]


def test_unstamp_puts_back_an_empty_version_table(sample: Callable[..., Path]) -> None:
    sample("microblog")
    execute(
        "sqlite:///app.db",
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    )
    assert adopt("run", "--yes", *APP).exit_code == 0
    code, document = unstamp()
    assert code == 0, document
    assert version_rows("sqlite:///app.db") == []


def test_unstamp_refuses_a_stamp_adopt_did_not_record(sample: Callable[..., Path]) -> None:
    sample("microblog")
    assert adopt("run", "--yes", *APP).exit_code == 0
    Path("adopt-stamps.jsonl").unlink()
    code, document = unstamp()
    assert code == 1 and "only undoes its own stamps" in json.dumps(document)
    assert version_rows("sqlite:///app.db") is not None


def test_unstamp_refuses_a_record_without_the_state_before(sample: Callable[..., Path]) -> None:
    sample("microblog")
    assert adopt("run", "--yes", *APP).exit_code == 0
    # A record written by an adopt that did not keep the state before the stamp.
    record = json.loads(Path("adopt-stamps.jsonl").read_text())
    del record["before"], record["action"]
    Path("adopt-stamps.jsonl").write_text(json.dumps(record) + "\n")
    code, document = unstamp()
    assert code == 1 and "did not keep" in json.dumps(document)
