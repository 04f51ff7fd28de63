"""Database work in a background thread, called off between statements if the caller fails.

The verification's rebuild of the schema spends most of its time waiting for the server, while
the check of the live database is Python work: run side by side, the wait costs little
(bench/README.md, the rebuild's measurements). Threads are enough for that, since a driver
waiting for the server releases the GIL."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from typing import Generic
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from adopt._speedups import enabled

T = TypeVar("T")

# While two threads share the GIL, the one waiting on the server gets it back only when the
# other gives it up: every 5 ms by default, once per statement of thousands. 0.5 ms keeps that
# wait below the statements' own time.
_SWITCH_INTERVAL = 0.0005


class Cancelled(Exception):
    """Raised inside the background work at its next statement once it is called off."""


class Job(Generic[T]):
    """The work running in the background; `result()` waits for it."""

    def __init__(self, work: Callable[[], T], name: str = "adopt-background") -> None:
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None
        self.stop = threading.Event()
        self.tables_created = 0  # CREATE TABLE statements run so far, for progress
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Job[T]:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, seconds: float | None) -> bool:
        """Wait up to `seconds` (None: as long as it takes) for the work; whether it has ended."""
        self._thread.join(seconds)
        return self.done

    def result(self) -> T:
        """The work's return value, or its error raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _call_off(self) -> None:
        self.stop.set()
        self._thread.join()


@contextmanager
def running(work: Callable[[], T], engines: Iterable[Engine]) -> Iterator[Job[T]]:
    """Run `work` (which uses `engines`) in a thread while the body runs. If the body fails
    (an error, Ctrl-C), the work is called off at its next statement on those engines and
    waited for, so that nothing uses them once this returns: they can be dropped. The plain
    path runs `work` to its end first, then the body."""
    watched = list(engines)
    job = Job(work)

    def guard(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if job.stop.is_set():
            raise Cancelled("called off")
        if statement.lstrip()[:12].upper() == "CREATE TABLE":
            job.tables_created += 1

    for engine in watched:
        event.listen(engine, "before_cursor_execute", guard)
    previous = sys.getswitchinterval()
    if enabled():
        sys.setswitchinterval(_SWITCH_INTERVAL)
    job.start()
    if not enabled():
        job.wait(None)
    try:
        yield job
    except BaseException:
        job._call_off()
        raise
    finally:
        job._thread.join()
        sys.setswitchinterval(previous)
        for engine in watched:
            event.remove(engine, "before_cursor_execute", guard)
