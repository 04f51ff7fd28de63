"""The interpreter tuned for a large schema, for the length of one command.

A large schema means a million long-lived objects (the models, the snapshots, Alembic's
operations), which Python's default collector thresholds make it walk again and again. The
modules imported when the command starts, and the models once loaded, never become garbage:
frozen, no collection walks them; and a full collection waits for 100 young ones instead of
10. Nothing is collected before the freeze: a command's process has made little garbage by
then, and in a long-lived process (a test runner driving the command line) a full collection
there would walk everything that process holds, on every command. The large garbage of a
step is collected where the step ends (adopt._speedups.memory), so the peak memory stays where
it was. A library caller's process is left as it is: only the
command line enters `tuned`."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from adopt._speedups import enabled

THRESHOLDS = (700, 10, 100)
_active = False


@contextmanager
def tuned() -> Iterator[None]:
    """Within this block, what exists is frozen and full collections are rarer."""
    global _active
    if not enabled() or _active:
        yield
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    _active = True
    try:
        yield
    finally:
        _active = False
        gc.set_threshold(*before)
        gc.unfreeze()


def settled() -> None:
    """What was just built lives as long as the command (the models): frozen too, inside
    `tuned` only."""
    if _active:
        gc.freeze()
