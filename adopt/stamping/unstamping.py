"""`adopt unstamp`: undo adopt's own stamps, target by target, as the audit records them.

Each target is handled on its own (one refusal never stops the others) and reported as a
fleet.TargetResult, so the text table, the JSON document and the exit code are the stamp's."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from adopt.errors import AdoptError
from adopt.errors import UnreachableError
from adopt.errors import UsageError
from adopt.stamping import audit
from adopt.stamping import fleet
from adopt.stamping import stamp
from adopt.stamping.targets import Target


def run(
    targets: list[Target], *, audit_choice: str = audit.DEFAULT, timeout: int | None = None
) -> list[fleet.TargetResult]:
    return [_one(target, audit_choice, timeout) for target in targets]


def _one(target: Target, audit_choice: str, timeout: int | None) -> fleet.TargetResult:
    try:
        done = stamp.unstamp(target, audit_choice=audit_choice, timeout=timeout)
    except UnreachableError as exc:
        return _result(target, fleet.UNREACHABLE, str(exc))
    except UsageError as exc:
        return _result(target, fleet.REFUSED, str(exc))
    except AdoptError as exc:
        return _result(target, fleet.FAILED, str(exc))
    except OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        return _result(target, fleet.UNREACHABLE, f"connection failed ({first})")
    return fleet.TargetResult(
        target.label,
        fleet.UNSTAMPED,
        before=done.before,
        after=done.after,
        audit_problem=done.audit_problem,
        where=target,
    )


def _result(target: Target, outcome: str, reason: str) -> fleet.TargetResult:
    return fleet.TargetResult(target.label, outcome, reason=reason, where=target)
