"""One run at a time writes a project's migrations: a lock on the folder that holds the
migrations folder, so two runs started together never both write a baseline (two heads, or a
half-made repository). The loser is refused at once and writes nothing.

The lock is the kernel's advisory lock on the folder itself (flock on a descriptor of the
directory): nothing is written into the project, and a killed run's lock dies with it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from adopt.errors import UsageError


@contextlib.contextmanager
def held(migrations: Path) -> Iterator[None]:
    """Hold the project's lock for `migrations` (the migrations folder, which may not exist
    yet) while the block runs; refuse if another adopt holds it."""
    folder = migrations.parent
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # the folder is missing or unreadable: what follows says so better
        yield
        return
    with exclusive(
        fd,
        f"Another adopt is writing migrations in {folder}; wait for it to finish, then run "
        "'adopt status' to see where the databases stand.",
    ):
        yield


@contextlib.contextmanager
def exclusive(fd: int, refusal: str) -> Iterator[None]:
    """Hold an exclusive lock on the open file `fd` while the block runs, then close it; if
    another process holds it, refuse with `refusal` at once rather than wait."""
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(refusal) from None
        yield
    finally:
        os.close(fd)
