"""What a run has changed for good so far: each stamp committed, each baseline kept.

An interrupt or an error then says exactly that ("interrupted after: production stamped at
ab12"), instead of claiming that nothing was left half-done. The record is per process and is
cleared when a command starts."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_changes: list[str] = []


def reset() -> None:
    with _lock:
        _changes.clear()


def record(change: str) -> None:
    """Note a change that stays, in words a person reads ("staging stamped at ab12")."""
    with _lock:
        _changes.append(change)


def forget(change: str) -> None:
    """The change was undone (a baseline removed after all)."""
    with _lock:
        if change in _changes:
            _changes.remove(change)


def changes() -> list[str]:
    with _lock:
        return list(_changes)
