"""Ctrl-C and SIGTERM, delivered reliably.

Python raises KeyboardInterrupt wherever the main thread happens to be; when that is inside a
garbage-collection callback the exception is printed and swallowed, and the run would go on.
So the signal is also remembered, and every progress step checks it: a swallowed interrupt
still stops the run at the next step, through the same cleanup as any other."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

_received = threading.Event()


def install() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    _received.clear()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    sys.unraisablehook = _quiet_about_interrupts


_default_hook = sys.unraisablehook


def _quiet_about_interrupts(unraisable: Any) -> None:
    # An interrupt swallowed in a finaliser is expected here (see above): no traceback for it.
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    _default_hook(unraisable)


def _interrupt(_signum: int, _frame: Any) -> None:
    _received.set()
    raise KeyboardInterrupt


def forget() -> None:
    """An interrupt that a child program took as its own (the pager quits on Ctrl-C): the run
    goes on with the next explicit answer, not with this signal."""
    _received.clear()


def received() -> bool:
    """Whether Ctrl-C or SIGTERM arrived in this run (also one a finaliser swallowed)."""
    return _received.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if a signal arrived (even one that was swallowed)."""
    if _received.is_set():
        raise KeyboardInterrupt
