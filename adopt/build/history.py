"""Which revision of the migration chain a database is at, told by its schema.

The chain is replayed into an empty scratch database of the target's dialect one revision at a
time, and the schema read after each (once per dialect, however many targets ask). A database
whose schema equals exactly one revision's is at that revision; several revisions with the same
schema (a data-only migration between them) are ambiguous, and said so; a database that equals
none is compared with each and reported with the nearest one and its differences."""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from alembic.script import ScriptDirectory

from adopt.build import repository
from adopt.build import scratch
from adopt.build import verify
from adopt.compare.differences import Difference
from adopt.discovery import Models
from adopt.reading import connect
from adopt.reading import fingerprint
from adopt.reading import schema
from adopt.stamping.targets import Target
from adopt.wording import counted


@dataclass(frozen=True)
class Chain:
    """The schema after each revision, base first."""

    revisions: tuple[str, ...]
    snapshots: dict[str, schema.Snapshot]
    prints: dict[str, str]

    def behind(self, revision: str) -> tuple[str, ...]:
        """The revisions after `revision`, up to head: what an upgrade would apply."""
        return self.revisions[self.revisions.index(revision) + 1 :]


@dataclass(frozen=True)
class Identified:
    """Where a database stands in the chain, by its schema."""

    revisions: tuple[str, ...]  # the revisions whose schema it equals (several: ambiguous)
    nearest: str = ""  # when it equals none: the revision it differs least from
    differences: tuple[Difference, ...] = ()  # ...and how

    @property
    def exact(self) -> str | None:
        return self.revisions[0] if len(self.revisions) == 1 else None


def linear_revisions(script: ScriptDirectory) -> tuple[str, ...] | None:
    """The chain's revisions, base first; None when it branches or merges (not replayed)."""
    found = list(script.walk_revisions())
    if any(isinstance(r.down_revision, tuple | list) or len(r.nextrev) > 1 for r in found):
        return None
    return tuple(r.revision for r in reversed(found))


def identify(
    chain: Chain,
    target: schema.Snapshot,
    unmanaged: Iterable[str],
    compare: Callable[[schema.Snapshot, schema.Snapshot], list[Difference]],
) -> Identified:
    """Where `target` stands: the revisions whose schema it equals, else the nearest one."""
    printed = fingerprint.of(target, unmanaged)
    equal = tuple(r for r in chain.revisions if chain.prints[r] == printed)
    if equal:
        return Identified(equal)
    best: tuple[int, int, str, list[Difference]] | None = None
    for position, revision in enumerate(chain.revisions):
        found = compare(chain.snapshots[revision], target)
        # Fewest differences first; among equals, the later revision (the nearer to head).
        key = (len(found), -position)
        if best is None or key < best[:2]:
            best = (len(found), -position, revision, found)
    assert best is not None
    return Identified((), best[2], tuple(best[3]))


@dataclass
class History:
    """The chain's schemas per dialect, replayed on first use and kept (one per dialect)."""

    repo: repository.Repository
    models: Models
    unmanaged: frozenset[str]
    scratch_choice: str = "auto"
    timeout: int | None = None
    progress: Callable[[str], None] = lambda _m: None
    _chains: dict[str, Chain | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def chain(self, target: Target, plan: scratch.ScratchPlan) -> Chain | None:
        """The chain on `target`'s dialect (None when the chain is not linear)."""
        dialect = target.url.get_backend_name()
        with self._lock:  # the first target of a dialect replays it; the others wait for it
            if dialect not in self._chains:
                self._chains[dialect] = self._replay(target, plan)
            return self._chains[dialect]

    def _replay(self, target: Target, plan: scratch.ScratchPlan) -> Chain | None:
        revisions = linear_revisions(self.repo.script())
        if revisions is None:
            return None
        self.progress(
            f"Replaying the {len(revisions)} revisions in {plan.label}, one at a time, to find "
            "where each database stands"
        )
        snapshots: dict[str, schema.Snapshot] = {}
        with scratch.open_scratch(target.url, plan, self.timeout) as engine:
            for revision in revisions:
                verify.upgrade(self.repo, self.models, engine, destination=revision)
                with connect.connection(engine) as conn:
                    snapshots[revision] = schema.take_all(conn, self.models.schemas)
        prints = {r: fingerprint.of(s, self.unmanaged) for r, s in snapshots.items()}
        return Chain(revisions, snapshots, prints)


def words(found: Identified, chain: Chain) -> str:
    """The identification in a sentence."""
    if found.exact:
        pending = chain.behind(found.exact)
        return f"matches revision {found.exact}" + (
            f", {counted(len(pending), 'revision')} behind head" if pending else " (head)"
        )
    if found.revisions:
        return (
            f"matches revisions {', '.join(found.revisions)} alike (a data-only migration "
            "leaves the schema as it was); stamp the right one with --revision"
        )
    return (
        f"matches no revision; the nearest is {found.nearest} "
        f"({counted(len(found.differences), 'difference')})"
    )
