"""A stable share of a fleet's targets, for N jobs on N machines (`adopt stamp --shard K/N`).

Each target goes to the share its identity hashes to (its URL without the password, and its
schema), so the same target always falls in the same share whatever the order or length of the
list, and the N shares together hold every target exactly once."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from adopt.errors import UsageError
from adopt.stamping.targets import Target

MOST = 10_000  # shares: far more machines than a fleet job would use


def parse(text: str) -> tuple[int, int]:
    """'K/N' as (K, N), 1 <= K <= N."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not found:
        raise UsageError(f"--shard {text!r}: give K/N, e.g. --shard 2/4 for the second of four.")
    k, n = int(found.group(1)), int(found.group(2))
    if not 1 <= k <= n <= MOST:
        raise UsageError(f"--shard {text}: K must be between 1 and N, and N at most {MOST}.")
    return k, n


def share(targets: Iterable[Target], k: int, n: int) -> list[Target]:
    """The targets of share K of N, in their order."""
    return [t for t in targets if _share_of(t, n) == k]


def _share_of(target: Target, n: int) -> int:
    identity = target.url.render_as_string(hide_password=True) + "\0" + (target.schema or "")
    digest = hashlib.sha256(identity.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1
