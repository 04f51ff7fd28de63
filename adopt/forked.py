"""Work in a forked copy of this process, on the other core.

`adopt baseline` and `adopt run` check the live database while the verification rebuilds the
schema. Both are Python work (Alembic's comparison; Alembic building the baseline's
operations), and in one process they take turns on the GIL: the check took twice as long
beside the rebuild as alone. A forked child has an interpreter of its own, so one of the two
runs on the other core; its result comes back pickled, with its progress lines. The rebuild
is the one forked where it can be (its scratch database is not this process's in-memory
SQLite): it streams its operations, so the child copies few of the parent's pages, while a
forked check held a second copy of everything Alembic reflects (about 45 MB at 1,000 tables).

Only on Linux (fork is the platform's own way to start a process there, and cheap), and only
before adopt starts its own threads: the child gets a copy of every lock, held or not. The child
never touches the connections it inherited (closing one would end the parent's session on
the socket they share): the work opens its own, and the child leaves with os._exit, which
runs no finaliser. Whatever cannot come back (an error that does not pickle, a child that
died) raises Rerun in the caller: a read-only check is then run again in this process, a
rebuild reports the failure. ADOPT_FORK=0 in the environment turns forking off (to debug the
work with --traceback in one process)."""

from __future__ import annotations

import gc
import importlib.machinery
import marshal
import os
import pickle
import select
import signal
import struct
import sys
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import suppress
from types import CodeType
from typing import Any
from typing import Generic
from typing import TypeVar

from adopt.errors import AdoptError

T = TypeVar("T")
Progress = Callable[[str], None]

_HEADER = struct.Struct("!I")  # the length of each pickled message

WORKER_PREFIX = "adopt-"  # the names of adopt's own threads (background.py, write_behind.py)


def available() -> bool:
    """Linux, and none of adopt's own worker threads running (their locks would be copied
    held into the child). Other threads (the terminal's spinner) go on in the parent only;
    the child touches nothing of theirs."""
    if not sys.platform.startswith("linux") or os.environ.get("ADOPT_FORK") == "0":
        return False
    return not any(t.name.startswith(WORKER_PREFIX) for t in threading.enumerate())


class Rerun(Exception):
    """The child's outcome cannot be used here: run the work in this process instead."""


class Child(Generic[T]):
    """The forked child running `work`: its progress relayed, then its result."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self._reader = reader
        self._buffer = b""
        self._ended = False

    def result(self, progress: Progress, tick: Callable[[], None], every: float = 1.0) -> T:
        """Relay the child's progress lines, calling `tick` every `every` seconds meanwhile;
        the child's result, or its error raised here. Raises Rerun when neither came back.
        Of the lines that queued up while the caller was busy, only the latest is shown."""
        while True:
            ready, _, _ = select.select([self._reader], [], [], every)
            if not ready:
                tick()
                continue
            latest = None
            for kind, value in self._messages():
                if kind == "progress":
                    latest = value
                    continue
                if latest is not None:
                    progress(latest)
                    latest = None
                if kind == "result":
                    return value  # type: ignore[no-any-return]
                if kind == "error":
                    raise value
                raise Rerun(value)
            if latest is not None:
                progress(latest)
            if self._ended:
                raise Rerun("the child process ended without an answer")

    def _messages(self) -> Iterator[tuple[str, Any]]:
        chunk = os.read(self._reader, 1 << 20)
        if not chunk:
            self._ended = True
        self._buffer += chunk
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            if len(self._buffer) < _HEADER.size + size:
                return
            body = self._buffer[_HEADER.size : _HEADER.size + size]
            self._buffer = self._buffer[_HEADER.size + size :]
            yield pickle.loads(body)

    def end(self) -> None:
        """Make sure the child is gone (killed if still running) and reaped."""
        os.close(self._reader)
        with suppress(ProcessLookupError):  # it has ended already
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


@contextmanager
def start(work: Callable[[Progress], T] | None) -> Iterator[Child[T] | None]:
    """Run `work(progress)` in a forked child; None where fork cannot be used, or without
    work (the caller then runs the work itself). On leaving, the child is killed if it still
    runs."""
    if work is None or not available():
        yield None
        return
    reader, writer = os.pipe()
    # Both processes leave what existed at the fork out of their collections while the child
    # runs: a collection writes to every object it scans, and each page written is copied.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        _child(work, writer)
    os.close(writer)
    child: Child[T] = Child(pid, reader)
    try:
        yield child
    finally:
        child.end()
        gc.unfreeze()


# Python source of this size or more is compiled in a child (see compiled_aside).
LARGE_SOURCE = 256 * 1024


@contextmanager
def compiled_aside(min_size: int = LARGE_SOURCE) -> Iterator[None]:
    """Within the block, a module of `min_size` bytes or more that Python loads from its source
    is compiled in a forked child, which sends back the code (marshal, as a .pyc holds it).
    Alembic loads the baseline it writes; at 1,000 tables that is 20,000 lines, whose compiler
    needs about 100 MB at once and leaves its fragments in the process for the rest of the run:
    in a child, that memory is gone with it. The code is the same (the compiler of the same
    interpreter, the same flags); any failure compiles here, raising what compile() raises."""
    loader = importlib.machinery.SourceFileLoader
    original = loader.source_to_code

    def source_to_code(self: Any, data: Any, path: Any, *, _optimize: int = -1) -> CodeType:
        if len(data) >= min_size:
            code = _compiled_in_child(data, path, _optimize)
            if code is not None:
                return code
        return original(self, data, path, _optimize=_optimize)  # type: ignore[call-arg]

    loader.source_to_code = source_to_code  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        loader.source_to_code = original  # type: ignore[method-assign]


def _compiled_in_child(data: Any, path: Any, optimize: int) -> CodeType | None:
    def work(_progress: Progress) -> bytes:
        return marshal.dumps(compile(data, path, "exec", dont_inherit=True, optimize=optimize))

    with start(work) as child:
        if child is None:
            return None
        try:
            code = marshal.loads(child.result(lambda _line: None, lambda: None))
        except Rerun:
            return None
    return code if isinstance(code, CodeType) else None


def _child(work: Callable[[Progress], Any], writer: int) -> None:
    code = 1
    try:
        # Ctrl-C reaches the whole process group: the parent handles it and kills the child.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            body = _packed(("result", work(lambda line: _progress(writer, line))))
        except AdoptError as exc:
            body = _packed(_error(exc))
        except BaseException as exc:  # the parent runs the work itself and gets it there
            body = _packed(("rerun", f"{type(exc).__name__}: {exc}"))
        _write(writer, body)
        code = 0
    finally:
        os._exit(code)


def _error(exc: AdoptError) -> tuple[str, Any]:
    """The error if it comes back as itself: one with more than its message (DriftError's
    report) must survive pickling whole, or the parent runs the work again."""
    try:
        copy = pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        copy = None
    if type(copy) is not type(exc) or copy.args != exc.args or vars(copy) != vars(exc):
        return ("rerun", f"the error could not be sent back ({type(exc).__name__})")
    return ("error", exc)


def _packed(message: tuple[str, Any]) -> bytes:
    """The message pickled once (the result of a check of 1,000 tables is about 1 MB); one
    that does not pickle asks the parent to run the work itself."""
    try:
        body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        body = pickle.dumps(
            ("rerun", f"the result could not be sent back ({type(exc).__name__})"),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    return _HEADER.pack(len(body)) + body


def _progress(writer: int, line: str) -> None:
    """Send a progress line unless the pipe is full (the parent busy with its own work for
    long): a line then is dropped rather than the child held up. A pipe reported writable has
    room for PIPE_BUF bytes, which one short line fits, so the write never blocks."""
    _, room, _ = select.select([], [writer], [], 0)
    if room:
        _write(writer, _packed(("progress", line[:500])))


def _write(writer: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(writer, view)
        view = view[written:]
