"""Checking and stamping many databases: each target is compared with the schema the
migration history builds (head), then stamped only if it matches and is not yet at head.

Targets run concurrently in a bounded pool; one failure never stops the others. The reference
schema is built once per dialect in a scratch database; a target whose fingerprint equals the
reference's matches without further work, and only a mismatch is compared in full to explain it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from adopt import committed
from adopt import interrupts
from adopt.build import history as history_mod
from adopt.build import repository
from adopt.build import scratch
from adopt.build import verify
from adopt.compare import drift
from adopt.compare.differences import Difference
from adopt.discovery import Models
from adopt.errors import AdoptError
from adopt.errors import DriftError
from adopt.errors import UnreachableError
from adopt.plain import fields
from adopt.reading import connect
from adopt.reading import fingerprint
from adopt.reading import schema
from adopt.reading import version_table
from adopt.stamping import audit
from adopt.stamping.stamp import refusal
from adopt.stamping.stamp import single_head
from adopt.stamping.stamp import write_head
from adopt.stamping.targets import Target
from adopt.urls import parse_url
from adopt.wording import counted

# Outcomes, from best to worst.
AT_HEAD, STAMPED, WOULD_STAMP = "at head", "stamped", "would stamp"
BEHIND = "behind head"  # stamped at an older revision whose schema it has: upgrade pending
DRIFTED, REFUSED, UNREACHABLE, FAILED = "drifted", "refused", "unreachable", "failed"
UNSTAMPED = "unstamped"  # adopt unstamp (adopt.stamping.unstamping): its stamp undone
OK_OUTCOMES = {AT_HEAD, STAMPED, BEHIND, UNSTAMPED}
IGNORED_TABLES = {audit.LOG_TABLE}


@dataclass(frozen=True)
class TargetResult:
    target: str  # label, password hidden
    outcome: str
    before: str = ""
    after: str = ""
    reason: str = ""
    fingerprint: str = ""
    differences: tuple[Difference, ...] = field(default=())
    audit_problem: str = ""  # stamped, but its audit record could not be written
    # The database itself, for --json (adopt.ui.json_output): set by run() for every result.
    where: Target | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES and not self.audit_problem

    def as_dict(self) -> dict[str, Any]:
        return {
            **fields(self, "target", "outcome", "ok", "before", "after", "reason", "fingerprint"),
            "differences": [d.as_dict() for d in self.differences],
            "audit_written": not self.audit_problem,
        }


def default_jobs() -> int:
    # Mostly waiting on servers: a few threads per core, bounded.
    return min(16, (os.cpu_count() or 2) * 4)


@dataclass(frozen=True)
class Plan:
    """What every target is checked against."""

    repo: repository.Repository
    script: ScriptDirectory
    head: str
    unmanaged: frozenset[str]
    references: dict[str, Reference]  # dialect -> head schema
    prints: dict[str, str]  # dialect -> fingerprint of the head schema
    schemas: tuple[str, ...] = ()  # schemas the models use besides the default one
    options: dict[str, Any] = field(default_factory=dict)  # env.py's include_* filters
    # dialect -> (outcome, reason) for dialects whose head schema could not be built
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)
    # the chain's schema after each revision, replayed when a target is not at head
    history: history_mod.History | None = None
    scratch_choice: str = "auto"
    upgrade: bool = False  # run upgrade head after stamping a target at an older revision
    revision: str | None = None  # stamp this revision (checked against its schema), not head


@dataclass(frozen=True)
class Reference:
    """The head schema on one dialect: its snapshot and, where the dialect has one, its
    catalog lines (one query per target then proves a match)."""

    snapshot: schema.Snapshot
    catalog: list[str] | None = None


def prepare(
    repo: repository.Repository,
    models: Models,
    targets: Iterable[Target],
    progress: Callable[[str], None],
    known: dict[str, Reference] | None = None,
    scratch_choice: str = "auto",
    timeout: int | None = None,
    options: dict[str, Any] | None = None,
) -> Plan:
    """Build the head schema once per dialect among the targets (unless already `known`)."""
    script = repo.script()
    head = single_head(script)
    unmanaged = frozenset(repository.unmanaged_tables(repo)) | IGNORED_TABLES
    references: dict[str, Reference] = dict(known or {})
    problems: dict[str, tuple[str, str]] = {}
    for target in targets:
        dialect = target.url.get_backend_name()
        if dialect in references:
            continue
        # The head schema is built on the first server of this dialect that answers.
        try:
            plan = _scratch_for(target, scratch_choice)
            references[dialect] = _head_schema(
                repo, models, target, plan, unmanaged, progress, timeout
            )
            problems.pop(dialect, None)
        except UnreachableError as exc:
            problems[dialect] = (UNREACHABLE, f"{exc} (needed to build the head schema)")
        except AdoptError as exc:
            problems[dialect] = (FAILED, f"cannot build the head schema on {target.label}: {exc}")
    prints = {
        d: fingerprint.of_lines(r.catalog)
        if r.catalog is not None
        else fingerprint.of(r.snapshot, unmanaged)
        for d, r in references.items()
    }
    return Plan(
        repo,
        script,
        head,
        unmanaged,
        references,
        prints,
        models.schemas,
        dict(options or {}),
        problems,
        history_mod.History(repo, models, unmanaged, scratch_choice, timeout, progress),
        scratch_choice,
    )


def reference_of(conn: Any, unmanaged: Iterable[str], schemas: tuple[str, ...] = ()) -> Reference:
    """The head schema as built in `conn` (a scratch database)."""
    if schemas:  # the catalog print covers one schema; several are compared by snapshot
        return Reference(schema.take_all(conn, schemas))
    return Reference(schema.take(conn), fingerprint.catalog_lines(conn, None, unmanaged))


def _scratch_for(target: Target, choice: str) -> scratch.ScratchPlan:
    """The chosen scratch database where it fits the target's dialect, else the default."""
    if "://" in choice:
        url = parse_url(choice)
        if url.get_backend_name() != target.url.get_backend_name():
            return scratch.plan(target.url)
    return scratch.plan(target.url, choice)


def _head_schema(
    repo: repository.Repository,
    models: Models,
    target: Target,
    plan: scratch.ScratchPlan,
    unmanaged: Iterable[str],
    progress: Callable[[str], None],
    timeout: int | None = None,
) -> Reference:
    dialect = target.url.get_backend_name()
    progress(f"Building the head schema in {plan.label} to check {dialect} targets against")
    with scratch.open_scratch(target.url, plan, timeout) as engine:
        verify.upgrade(repo, models, engine)
        with connect.connection(engine) as conn:
            return reference_of(conn, unmanaged, models.schemas)


def run(
    plan: Plan,
    targets: list[Target],
    *,
    stamp: bool = True,
    force: bool = False,
    jobs: int | None = None,
    timeout: int | None = None,
    audit_choice: str = audit.DEFAULT,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[TargetResult]:
    """Check (and, with stamp=True, stamp) every target; results in the targets' order."""
    done = 0
    lock = threading.Lock()

    def one(target: Target) -> TargetResult:
        nonlocal done
        result = _one(
            plan, target, stamp=stamp, force=force, timeout=timeout, audit_choice=audit_choice
        )
        result = replace(result, where=target)
        with lock:
            done += 1
            progress(f"{done}/{len(targets)} targets done ({target.label}: {result.outcome})")
        return result

    pool = ThreadPoolExecutor(max_workers=max(1, jobs or default_jobs()))
    futures = [pool.submit(one, target) for target in targets]
    try:
        return [future.result() for future in futures]
    except BaseException:
        # Ctrl-C (or a surprise): no target not yet started is stamped after it; the ones
        # under way finish their transaction, and adopt.committed says which were stamped.
        for future in futures:
            future.cancel()
        raise
    finally:
        pool.shutdown(wait=True)


def _one(
    plan: Plan, target: Target, *, stamp: bool, force: bool, timeout: int | None, audit_choice: str
) -> TargetResult:
    try:
        return _check_and_stamp(
            plan, target, stamp=stamp, force=force, timeout=timeout, audit_choice=audit_choice
        )
    except UnreachableError as exc:
        return TargetResult(target.label, UNREACHABLE, reason=str(exc))
    except DriftError as exc:
        return TargetResult(target.label, DRIFTED, reason=str(exc))
    except AdoptError as exc:
        return TargetResult(target.label, REFUSED, reason=str(exc))
    except OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        if not exc.connection_invalidated:  # e.g. MySQL's "CREATE command denied": a refusal
            return TargetResult(target.label, FAILED, reason=f"the server refused: {first}")
        return TargetResult(
            target.label,
            UNREACHABLE,
            reason=f"connection lost ({first}); run the command again: it re-reads where "
            "the target stands",
        )
    except Exception as exc:  # one target's surprise must not stop the others
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return TargetResult(target.label, FAILED, reason=f"{type(exc).__name__}: {first}")


@dataclass(frozen=True)
class Inspected:
    state: version_table.VersionState
    printed: str  # the target's fingerprint
    differences: list[Difference]  # from head
    snapshot: schema.Snapshot | None  # None when the catalog print proved it equal to head


def inspect_target(plan: Plan, target: Target, timeout: int | None) -> Inspected:
    """Read-only: the target's alembic_version, its fingerprint and how it differs from head.
    Where the catalog print matches, nothing more is read; otherwise the schema is reflected
    in bulk and compared in full, to explain."""
    dialect = target.url.get_backend_name()
    reference = plan.references[dialect]
    engine = connect.create(target.url, read_only=True, timeout=timeout)
    try:
        with connect.connection(engine) as conn, conn.begin() as transaction:
            state = version_table.read(conn, schema=target.schema)
            lines = None
            if reference.catalog is not None:
                lines = fingerprint.catalog_lines(conn, target.schema, plan.unmanaged)
                if lines == reference.catalog:
                    return Inspected(state, fingerprint.of_lines(lines), [], None)
            snapshot = (
                schema.take(conn, schema=target.schema)
                if target.schema
                else schema.take_all(conn, plan.schemas)
            )
            transaction.rollback()
    finally:
        engine.dispose()
    printed, diffs = differences(plan, dialect, snapshot)
    if lines is not None and reference.catalog is not None:
        printed = fingerprint.of_lines(lines)
        # PostgreSQL prints its catalog canonically, so a difference there is real even where
        # the snapshot sees none; SQLite keeps the statements as written ('(CURRENT_TIMESTAMP)'
        # and 'CURRENT_TIMESTAMP' are one default): there the snapshot decides.
        if dialect == "postgresql":
            diffs = diffs or _catalog_differences(reference.catalog, lines)
    return Inspected(state, printed, diffs, snapshot)


def _catalog_differences(head: list[str], found: list[str]) -> list[Difference]:
    """What the catalog shows when the snapshot comparison finds nothing (enum labels...)."""

    def keyed(lines: list[str]) -> dict[tuple[str, str, str], str]:
        return {tuple(line.split("|", 3)[:3]): line.split("|", 3)[3] for line in lines}  # type: ignore[misc]

    want, have = keyed(head), keyed(found)
    out = []
    for key in sorted(want.keys() | have.keys()):
        # Names the server made up (t_col_fkey, t_col_fkey1...) follow creation order, so two
        # of them can trade places; the snapshot comparison, which found nothing, already
        # matched those constraints by what they are.
        if key[0] in ("k", "i") and schema.is_generated_name(key[2]):
            continue
        if want.get(key) != have.get(key):
            kind, table, item = key
            out.append(
                Difference(
                    {"c": "column", "k": "constraint", "i": "index", "e": "enum"}.get(kind, kind),
                    table,
                    item,
                    f"head schema {want.get(key) or 'has none'}; "
                    f"database {have.get(key) or 'has none'}",
                    "make the database match the migrations, or add a migration",
                )
            )
    return out


def differences(
    plan: Plan, dialect: str, snapshot: schema.Snapshot
) -> tuple[str, list[Difference]]:
    """The target's fingerprint, and how it differs from head (empty when the prints match)."""
    printed = fingerprint.of(snapshot, plan.unmanaged)
    reference = plan.references[dialect].snapshot
    if printed == fingerprint.of(reference, plan.unmanaged):
        return printed, []
    hidden = set(drift.filtered_out(plan.options, snapshot.tables))
    keep = {k: v for k, v in snapshot.tables.items() if k not in plan.unmanaged | hidden}
    found = schema.compare(
        reference,
        schema.Snapshot(keep, snapshot.sequences),
        expected_label="head schema",
        actual_label="database",
    )
    return printed, [d for d in found if not d.kind.endswith("_generated_name")]


def _check_and_stamp(
    plan: Plan, target: Target, *, stamp: bool, force: bool, timeout: int | None, audit_choice: str
) -> TargetResult:
    problem = plan.problems.get(target.url.get_backend_name())
    if problem:
        return TargetResult(target.label, problem[0], reason=problem[1])
    seen = inspect_target(plan, target, timeout)
    state, printed, diffs = seen.state, seen.printed, seen.differences
    base = TargetResult(
        target.label,
        "",
        before=state.label,
        after=state.label,
        fingerprint=printed,
        differences=tuple(diffs),
    )
    if state.revisions == (plan.head,):
        reason = f"differs from head in {counted(len(diffs), 'way')}" if diffs else ""
        return _with(base, AT_HEAD, reason)
    behind = _stamped_behind(plan, target, state, seen, base)
    if behind is not None:
        return behind
    refused = refusal(state, plan.head, plan.script, target.label)
    if refused:
        return _with(base, REFUSED, refused)
    goal = plan.revision or plan.head
    if plan.revision or (diffs and not force):
        located = _located(plan, target, seen, base)
        if located is not None and not isinstance(located, str):
            return located
        if isinstance(located, str):
            goal, diffs = located, []
            base = replace(base, differences=())
    if not stamp:
        words = "matches head" if not diffs else "drifted (--force)"
        if goal != plan.head:
            words = f"matches revision {goal}"
        return _with(base, WOULD_STAMP, words)
    if interrupts.received():  # Ctrl-C while this target was checked: no stamp after it
        return _with(base, REFUSED, "not stamped: interrupted")
    result = write_head(
        target,
        plan.script,
        fingerprint=printed,
        audit_choice=audit_choice,
        timeout=timeout,
        revision=goal,
    )
    if goal != plan.head:
        return _stamped_behind_head(plan, target, result, goal, base, timeout)
    outcome = STAMPED if result.outcome == "stamped" else AT_HEAD
    notes = ["stamped with --force despite differences" if diffs else "", result.audit_problem]
    return TargetResult(
        target.label,
        outcome,
        result.before,
        result.after,
        "; ".join(n for n in notes if n),
        printed,
        tuple(diffs),
        audit_problem=result.audit_problem,
    )


def _chain(plan: Plan, target: Target) -> history_mod.Chain | None:
    if plan.history is None:
        return None
    return plan.history.chain(target, _scratch_for(target, plan.scratch_choice))


def _own_snapshot(plan: Plan, target: Target, seen: Inspected) -> schema.Snapshot:
    """The target's schema as the chain's schemas are compared (filtered tables left out)."""
    assert seen.snapshot is not None
    hidden = set(drift.filtered_out(plan.options, seen.snapshot.tables))
    return seen.snapshot.only(k for k in seen.snapshot.tables if k not in hidden)


def _compare(plan: Plan, label: str) -> Callable[[schema.Snapshot, schema.Snapshot], Any]:
    def compare(expected: schema.Snapshot, actual: schema.Snapshot) -> list[Difference]:
        keep = [k for k in actual.tables if k not in plan.unmanaged]
        found = schema.compare(
            expected.only(k for k in expected.tables if k not in plan.unmanaged),
            actual.only(keep),
            expected_label=label,
            actual_label="database",
        )
        return [d for d in found if not d.kind.endswith("_generated_name")]

    return compare


def _stamped_behind(
    plan: Plan,
    target: Target,
    state: version_table.VersionState,
    seen: Inspected,
    base: TargetResult,
) -> TargetResult | None:
    """A target stamped at an older revision of this chain: compared with that revision's
    schema, not head's. Pending revisions are not drift."""
    known = {r.revision for r in plan.script.walk_revisions()}
    if len(state.revisions) != 1 or state.revisions[0] not in known:
        return None
    chain = _chain(plan, target)
    current = state.revisions[0]
    if chain is None or current not in chain.snapshots:
        return None
    # No snapshot: the catalog proved the target equal to head's schema.
    own = chain.snapshots[plan.head] if seen.snapshot is None else None
    found = _compare(plan, f"schema of {current}")(
        chain.snapshots[current], own or _own_snapshot(plan, target, seen)
    )
    pending = chain.behind(current)
    if found:
        return replace(
            base,
            outcome=DRIFTED,
            reason=f"at {current}, {counted(len(pending), 'revision')} behind head, and differs "
            f"from the schema of {current} in {counted(len(found), 'way')}",
            differences=tuple(found),
        )
    if plan.upgrade:
        return _upgraded(plan, target, base, current, pending)
    return replace(
        base,
        outcome=BEHIND,
        reason=f"at {current}, matches it; {counted(len(pending), 'revision')} to apply "
        f"({', '.join(pending)}): run 'flask db upgrade' (or 'adopt stamp --upgrade')",
        differences=(),
    )


def _located(
    plan: Plan, target: Target, seen: Inspected, base: TargetResult
) -> TargetResult | str | None:
    """An unstamped target that does not match head (or a --revision asked for): the
    revision whose schema it has (str), or the result that says why it cannot be stamped;
    None when the chain cannot say (not linear): head's comparison stands."""
    chain = _chain(plan, target) if seen.snapshot is not None else None
    if chain is None:
        if plan.revision:
            return replace(base, outcome=REFUSED, reason="the chain is not linear: "
                           "--revision needs one line of revisions")  # fmt: skip
        return _drifted(base)
    own = _own_snapshot(plan, target, seen)
    if plan.revision:
        if plan.revision not in chain.snapshots:
            return replace(base, outcome=REFUSED, reason=f"no revision {plan.revision} here")
        found = _compare(plan, f"schema of {plan.revision}")(chain.snapshots[plan.revision], own)
        if found:
            return replace(
                base,
                outcome=DRIFTED,
                reason=f"differs from the schema of {plan.revision} in "
                f"{counted(len(found), 'way')}",
                differences=tuple(found),
            )
        return plan.revision
    located = history_mod.identify(chain, own, plan.unmanaged, _compare(plan, "revision"))
    if located.exact:
        return located.exact
    if located.revisions:
        return replace(base, outcome=REFUSED, reason=history_mod.words(located, chain))
    if located.nearest == plan.head:
        return _drifted(base)
    return replace(
        base,
        outcome=DRIFTED,
        reason=history_mod.words(located, chain) + "; fix it, or stamp that revision with "
        "--revision after reading the differences",
        differences=located.differences,
    )


def _drifted(base: TargetResult) -> TargetResult:
    return replace(
        base,
        outcome=DRIFTED,
        reason=f"differs from the head schema in {counted(len(base.differences), 'way')}; "
        "fix it, or stamp anyway with --force after reading the differences",
    )


def _stamped_behind_head(
    plan: Plan,
    target: Target,
    result: Any,
    goal: str,
    base: TargetResult,
    timeout: int | None,
) -> TargetResult:
    chain = _chain(plan, target)
    pending = chain.behind(goal) if chain is not None else ()
    stamped = replace(
        base,
        outcome=STAMPED,
        after=result.after,
        reason=f"stamped at {goal}, which its schema matches; "
        f"{counted(len(pending), 'revision')} to apply: run 'flask db upgrade' "
        "(or 'adopt stamp --upgrade')",
        audit_problem=result.audit_problem,
    )
    if plan.upgrade and pending:
        return _upgraded(plan, target, stamped, goal, pending, timeout)
    return stamped


def _upgraded(
    plan: Plan,
    target: Target,
    base: TargetResult,
    current: str,
    pending: tuple[str, ...],
    timeout: int | None = None,
) -> TargetResult:
    """Run the pending revisions on the target through the project's env.py."""
    assert plan.history is not None
    verify.upgrade_live(plan.repo, plan.history.models, target, timeout)
    committed.record(f"{target.label} upgraded from {current} to {plan.head}")
    how = "stamped at" if base.outcome == STAMPED else "at"
    return replace(
        base,
        outcome=STAMPED if base.outcome == STAMPED else AT_HEAD,
        after=plan.head,
        reason=f"{how} {current}, which its schema matches; then upgraded to head "
        f"({counted(len(pending), 'revision')})",
    )


def _with(result: TargetResult, outcome: str, reason: str) -> TargetResult:
    return TargetResult(
        result.target,
        outcome,
        result.before,
        result.after,
        reason,
        result.fingerprint,
        result.differences,
    )


def exit_code(results: list[TargetResult]) -> int:
    """0 only if every target is at head and matches it; else the worst: 4 unreachable,
    3 drift (also a target at head whose schema has drifted), 1 other."""
    outcomes = {r.outcome for r in results}
    drifted_at_head = any(r.outcome == AT_HEAD and r.differences for r in results)
    unaudited = any(r.audit_problem for r in results)
    if outcomes <= OK_OUTCOMES and not drifted_at_head and not unaudited:
        return 0
    if UNREACHABLE in outcomes:
        return 4
    if DRIFTED in outcomes or drifted_at_head:
        return 3
    return 1
