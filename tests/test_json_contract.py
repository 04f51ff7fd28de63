"""--json is a contract: every command's document, success and failure, validates against the
schema shipped in the package (adopt/schemas/output.schema.json) and has the same top-level
keys; payloads keep their keys on failure; null is null; targets are objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from helpers import adopt
from helpers import assert_valid_json

from adopt import __version__
from adopt.ui import json_output

APP = ["--app", "microblog"]
FIXED = {"ok", "exit_code", "command", "adopt_version", "schema_version", "error"}


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = adopt(*args, "--json")
    return result.exit_code, assert_valid_json(result.stdout)


def assert_envelope(document: dict[str, Any], command: str, code: int) -> None:
    assert set(document) >= FIXED, document
    assert document["command"] == command
    assert document["exit_code"] == code and document["ok"] is (code == 0)
    assert document["adopt_version"] == __version__
    assert (document["error"] is None) is (code == 0)
    assert "details" not in document


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json_output.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_schema_refuses_a_password_in_a_target_url() -> None:
    target = {
        "label": "x",
        "url": "postgresql://u:secret@h/db",
        "dialect": "postgresql",
        "database": "db",
        "schema": None,
    }
    document = json_output.document("stamp", 0, targets=[])
    document["targets"] = [
        {
            "target": target,
            "outcome": "stamped",
            "ok": True,
            "before": None,
            "after": "ab12",
            "reason": None,
            "differences": [],
        }
    ]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json_output.schema())
    target["url"] = "postgresql://u:***@h/db"
    jsonschema.validate(document, json_output.schema())


def test_every_command_succeeds_with_the_same_envelope(sample: Callable[..., Path]) -> None:
    sample("microblog")
    code, checked = run_json("check", *APP)
    assert_envelope(checked, "check", code)
    assert code == 0 and checked["check"]["matches"] is True

    code, made = run_json("baseline", *APP)
    assert_envelope(made, "baseline", code)
    assert made["baseline"]["revision"] and made["verification"]["passed"] is True

    code, status = run_json("status", *APP)
    [target] = status["targets"]
    assert_envelope(status, "status", code)
    assert target["target"]["dialect"] == "sqlite" and target["target"]["schema"] is None
    assert target["before"] == "absent"

    code, stamped = run_json("stamp", *APP)
    assert_envelope(stamped, "stamp", code)
    [target] = stamped["targets"]
    assert target["outcome"] == "stamped" and target["after"] == made["baseline"]["revision"]
    assert target["reason"] is None  # null, never ""

    code, again = run_json("run", "--yes", *APP)
    assert_envelope(again, "run", code)
    assert again["baseline"] is None and again["stamp"][0]["outcome"] == "at head"

    code, cleaned = run_json("clean", *APP, "--dry-run")
    assert_envelope(cleaned, "clean", code)


def test_run_on_a_fresh_project(sample: Callable[..., Path]) -> None:
    sample("microblog")
    code, done = run_json("run", "--yes", *APP)
    assert_envelope(done, "run", code)
    assert code == 0 and done["check"]["matches"] and done["stamp"][0]["outcome"] == "stamped"


def test_config_writes_null_for_nothing(sample: Callable[..., Path]) -> None:
    project = sample("microblog")
    (project / "pyproject.toml").write_text(
        '[tool.adopt]\napp = "microblog"\n'
        '[tool.adopt.targets]\nstaging = "postgresql://deploy:s3cret@db.example/app"\n'
    )
    code, config = run_json("config")
    assert_envelope(config, "config", code)
    assert config["settings"]["models"] == {"value": None, "source": "default"}
    assert config["settings"]["imports"]["value"] in ([], None)
    assert "(none)" not in json.dumps(config) and "s3cret" not in json.dumps(config)


def test_drift_keeps_the_report_under_check_on_failure(sample: Callable[..., Path]) -> None:
    sample("microblog")
    e = sa.create_engine("sqlite:///app.db")
    with e.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE user ADD COLUMN nickname VARCHAR(20)")
    e.dispose()
    for command in ("check", "baseline", "run"):
        extra = ["--yes"] if command == "run" else []
        code, document = run_json(command, *extra, *APP)
        assert_envelope(document, command, code)
        assert code == 3
        assert [d["object"] for d in document["check"]["differences"]] == ["nickname"]
        assert "above" not in document["error"]


def test_an_unreachable_target_is_an_object_without_its_password(
    sample: Callable[..., Path],
) -> None:
    sample("microblog")
    assert run_json("baseline", *APP)[0] == 0
    code, document = run_json(
        "stamp", *APP, "postgresql+psycopg://deploy:s3cret@127.0.0.1:1/shop", "--timeout", "3"
    )
    assert_envelope(document, "stamp", code)
    assert code == 4 and "s3cret" not in json.dumps(document)
    [target] = document["targets"]
    assert target["outcome"] == "unreachable"
    assert target["target"] == {
        "label": "postgresql+psycopg://deploy:***@127.0.0.1:1/shop",
        "url": "postgresql+psycopg://deploy:***@127.0.0.1:1/shop",
        "dialect": "postgresql",
        "database": "shop",
        "schema": None,
    }
    assert "unreachable" in document["error"]


@pytest.mark.parametrize(
    ("args", "command", "code"),
    [
        (["stamp", "--jobs", "0"], "stamp", 2),  # refused by click before the command runs
        (["status", "--nope"], "status", 2),
        (["run"], "run", 2),  # no --yes
        (["check", "--url", "not a url", "--models", "x:y"], "check", 2),
    ],
)
def test_usage_errors_have_the_same_envelope(
    sample: Callable[..., Path], args: list[str], command: str, code: int
) -> None:
    sample("microblog")
    found, document = run_json(*args)
    assert found == code
    assert_envelope(document, command, code)
