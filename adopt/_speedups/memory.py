"""Handing freed memory back to the system between the large steps of a run.

At large sizes the generation frees much memory at once (Alembic's operations, the parse of
the script it loads back). Python's own arenas are returned when empty, but the larger blocks
come from the C library's heap, which glibc keeps for reuse by the C library alone: the
next step, made of small Python objects, then grows the process again. malloc_trim(0) returns
those free pages; elsewhere (macOS, musl) the collection alone is done."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from functools import cache

from adopt._speedups import enabled

# Below this many tables a step's garbage is small, and a full collection costs more than it
# gives back: it walks everything the process holds, which in a library caller's process or a
# test runner's is far more than adopt's own objects.
WORTH_IT_FROM = 200


def release(tables: int) -> None:
    """After a step over `tables` tables: collect cyclic garbage, then return the free heap
    pages to the system where glibc can. Small schemas, and the plain path, leave both to the
    interpreter."""
    if not enabled() or tables < WORTH_IT_FROM:
        return
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        # The process's own symbols, which hold the C library's (no search for the file).
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
