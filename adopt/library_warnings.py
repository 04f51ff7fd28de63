"""Warnings that SQLAlchemy and Alembic print while adopt works, held back and said once, in
adopt's words, after the report: left alone, they land in the middle of it, with adopt's own
source paths, and repeat once per table.

Some are dropped: they describe a limit of SQLAlchemy's reflection that adopt's comparison
covers through the server's catalog (adopt.reading.catalog). Others say something the user should
know, reworded where adopt knows what it means."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

# Limits of the reflection that the catalog comparison covers (and, for the expression indexes
# autogenerate skips on SQLite, the baseline: adopt.build.baseline_ops): nothing to tell.
_COVERED = (
    re.compile(r"Skipped unsupported reflection of expression-based index"),
    re.compile(r"Generating approximate signature for index"),
    re.compile(r"skipping metadata-specified expression-based index"),
    re.compile(r"Predicate of partial index .* ignored during reflection"),
)
_CYCLE = re.compile(r"unresolvable cycles? between tables? \"([^\"]+)\"")
_UNKNOWN_TYPE = re.compile(r"Did not recognize type '([^']+)' of column '([^']+)'")


@dataclass
class Held:
    """What was held back, each message once, in the order first seen."""

    messages: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        said = reworded(text)
        if said and said not in self.messages:
            self.messages.append(said)


def reworded(text: str) -> str | None:
    """The warning in adopt's words; None for one that needs no saying."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    if not first or any(p.search(first) for p in _COVERED):
        return None
    cycle = _CYCLE.search(first)
    if cycle:
        tables = sorted(t.strip() for t in cycle.group(1).split(","))
        return (
            f"tables {', '.join(tables)} refer to each other: their foreign keys are created "
            "after the tables"
        )
    unknown = _UNKNOWN_TYPE.search(first)
    if unknown:
        return (
            f"column {unknown.group(2)} has the type {unknown.group(1)}, which SQLAlchemy does "
            "not know: its type is compared as the server prints it"
        )
    return first


class _Handler(logging.Handler):
    def __init__(self, held: Held) -> None:
        super().__init__(logging.WARNING)
        self.held = held

    def emit(self, record: logging.LogRecord) -> None:
        self.held.add(record.getMessage())


@contextmanager
def held() -> Iterator[Held]:
    """Hold the warnings and Alembic's warning log lines raised inside the block (by any
    thread: the rebuild runs beside the check)."""
    found = Held()
    handler = _Handler(found)
    loggers = [logging.getLogger(name) for name in ("alembic", "sqlalchemy")]
    propagated = [lg.propagate for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    original = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: object, **kw: object) -> None:
        # Deprecations are the project's business, through its own test runs.
        if not issubclass(category, DeprecationWarning | PendingDeprecationWarning):
            found.add(str(message))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = show
            yield found
    finally:
        warnings.showwarning = original
        for lg, propagate in zip(loggers, propagated, strict=True):
            lg.removeHandler(handler)
            lg.propagate = propagate
