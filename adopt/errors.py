"""One exception family; the CLI maps each class to its documented exit code."""

from __future__ import annotations

from typing import Any


class AdoptError(Exception):
    """An expected failure: the message names the cause and the way out."""

    exit_code = 1


class UsageError(AdoptError):
    """Bad input: a flag, a path, a URL, or a project in the wrong state."""

    exit_code = 2


class DriftError(AdoptError):
    """The live database differs from the models, or the baseline does not rebuild it."""

    exit_code = 3

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report  # the MatchReport or Verification that shows the differences


class UnreachableError(AdoptError):
    """A database could not be reached (network, credentials, driver)."""

    exit_code = 4


class Interrupted(AdoptError):
    """The person pressed Ctrl-C; everything this run started has been undone."""

    exit_code = 130


class InterruptedAfterChanges(AdoptError):
    """The person pressed Ctrl-C after changes that stay were made (the message lists them)."""

    exit_code = 5


def connection_failed(exc: Any) -> UnreachableError:
    """The one line for a database connection that failed after it was opened (a server
    stopped or a network gone mid-run): `exc` is SQLAlchemy's OperationalError."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    problem = lines[0] if lines else type(orig if orig is not None else exc).__name__
    return UnreachableError(
        f"The database connection failed mid-run ({problem}); check the server and run the "
        "command again."
    )


EXIT_CODES = {
    0: "success",
    1: "an operation failed",
    2: "usage error or bad input",
    3: "drift found or the baseline verification failed",
    4: "a database could not be reached",
    5: "interrupted (Ctrl-C or SIGTERM) after a change that stays; the message lists it",
    130: "interrupted (Ctrl-C or SIGTERM); nothing was changed",
}
