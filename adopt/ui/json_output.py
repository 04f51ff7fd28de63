"""The one shape of every `--json` document (the contract is adopt/schemas/output.schema.json).

Every document has the same top-level keys, whatever the command and the outcome: `ok`,
`exit_code`, `command`, `adopt_version`, `schema_version` and `error`; the command's own payload
sits beside them under stable keys (`check`, `baseline`, `verification`, `stamp`, `targets`...),
on failure as on success. Nothing is a display string where a value exists: an absent value is
null, a target is an object."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from sqlalchemy.engine import URL

from adopt import __version__
from adopt.build.verify import Verification
from adopt.compare.differences import MatchReport
from adopt.compare.differences import SeveralReports
from adopt.stamping.targets import Target
from adopt.urls import hide_password
from adopt.wording import counted

# Raised when a key changes meaning or disappears; new keys keep the number.
SCHEMA_VERSION = 1
# Where a message in words points at the text report, the JSON document has the items itself.
_TEXT_ONLY = {"listed above": "listed in this document"}


def document(
    command: str, exit_code: int, error: str | None = None, **payload: Any
) -> dict[str, Any]:
    """The envelope: the fixed keys first, then the command's payload."""
    return {
        "ok": exit_code == 0,
        "exit_code": exit_code,
        "command": command,
        "adopt_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "error": error_text(error) if error is not None else None,
        **payload,
    }


def dumps(found: dict[str, Any]) -> str:
    """The document as printed: indented, values JSON cannot hold written as text."""
    return json.dumps(found, indent=2, default=str)


def error_text(message: str) -> str:
    for words, instead in _TEXT_ONLY.items():
        message = message.replace(words, instead)
    return message


def target(where: Target | None, label: str) -> dict[str, Any]:
    """A database as an object; `label` alone when the target itself is unknown."""
    if where is None:
        return {"label": label, "url": None, "dialect": None, "database": None, "schema": None}
    return {
        "label": where.label,
        "url": hide_password(where.url),
        "dialect": _dialect(where.url),
        "database": where.url.database,
        "schema": where.schema,
    }


def _dialect(url: URL) -> str:
    return url.get_backend_name()


def _or_null(value: str) -> str | None:
    return value or None


def target_result(result: Any) -> dict[str, Any]:
    """A fleet.TargetResult: its target as an object, empty values as null."""
    found = dict(result.as_dict())
    found["target"] = target(getattr(result, "where", None), result.target)
    for key in ("before", "after", "reason", "fingerprint"):
        found[key] = _or_null(found.get(key) or "")
    return found


def target_results(results: Iterable[Any]) -> list[dict[str, Any]]:
    return [target_result(r) for r in results]


def targets_error(results: list[Any]) -> str | None:
    """One line for a run whose targets did not all end well; None when they did."""
    bad = [r for r in results if not r.ok]
    if not bad:
        return None
    counts: dict[str, int] = {}
    for r in bad:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    parts = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items()))
    return (
        f"{len(bad)} of {counted(len(results), 'target')} did not end well ({parts}); see targets."
    )


def report_payload(report: MatchReport | Verification | SeveralReports) -> dict[str, Any]:
    """What a failure carries, under the key it has on success."""
    if isinstance(report, MatchReport):
        return {"check": report.as_dict()}
    if isinstance(report, SeveralReports):
        return report.as_dict()  # already a payload
    return {"verification": report.as_dict()}


def check_payload(reports: list[tuple[str | None, dict[str, Any]]], multi: bool) -> dict[str, Any]:
    """`check`: the (first) database's report; with binds, `databases` lists each one's."""
    payload: dict[str, Any] = {"check": reports[0][1]}
    if multi:
        payload["databases"] = [{"bind": bind, "check": report} for bind, report in reports]
    return payload


def setting_value(key: str, value: Any) -> Any:
    """A setting as a JSON value: null for none, lists as lists, a URL's password hidden."""
    if value is None:
        return None
    if key == "url":
        return hide_password(str(value))
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return value


def shown_spec(value: str) -> str:
    return hide_password(value) if "://" in value else value


def schema() -> dict[str, Any]:
    """The JSON Schema of every document, as shipped in the package."""
    text = resources.files("adopt").joinpath("schemas/output.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
