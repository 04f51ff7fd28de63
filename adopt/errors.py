"""One exception family; the CLI maps each class to its documented exit code."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from adopt.build.verify import Verification
    from adopt.compare.differences import MatchReport
    from adopt.compare.differences import SeveralReports


class AdoptError(Exception):
    """An expected failure: the message names the cause and the way out."""

    exit_code = 1


class PrivilegeError(AdoptError):
    """The database user lacks a privilege the command needs (the message names it)."""


class UsageError(AdoptError):
    """Bad input: a flag, a path, a URL, or a project in the wrong state."""

    exit_code = 2


class DriftError(AdoptError):
    """The live database differs from the models, or the baseline does not rebuild it.

    `report` holds the differences, for the terminal and for --json."""

    exit_code = 3

    def __init__(
        self, message: str, report: MatchReport | Verification | SeveralReports | None = None
    ) -> None:
        super().__init__(message)
        self.report = report


class UnreachableError(AdoptError):
    """A database could not be reached (network, credentials, driver)."""

    exit_code = 4


class InterruptedAfterChanges(AdoptError):
    """The person pressed Ctrl-C after changes that stay were made (the message lists them)."""

    exit_code = 5


class Interrupted(AdoptError):
    """The person pressed Ctrl-C; everything this run started has been undone.

    130 is what a shell reports for a process ended by SIGINT (128 + 2), so scripts that
    already look for it keep working."""

    exit_code = 130


# PostgreSQL's SQLSTATE for a missing privilege; MySQL/MariaDB's error numbers for a command,
# a column or a database the user may not use.
_PG_INSUFFICIENT_PRIVILEGE = "42501"
_MYSQL_DENIED = {1142, 1143, 1044}
_DENIED_COMMAND = re.compile(r"^(\w+) command denied", re.IGNORECASE)
_DENIED_TABLE = re.compile(
    r"(?:for table|for relation)\s+[`'\"]?(?:[^`'\".\s]+[`'\"]?\.[`'\"]?)?([^`'\"\s]+)",
    re.IGNORECASE,
)
_VERBS = {"SELECT": "read", "INSERT": "insert into", "UPDATE": "update", "DELETE": "delete from"}


def privilege_missing(exc: Any, command: str | None = None) -> PrivilegeError | None:
    """The missing privilege behind a driver error (SQLAlchemy's DBAPIError), named with the
    grant that gives it; None when `exc` is about something else. `command` is the statement's
    kind when the server does not say it (PostgreSQL)."""
    orig = getattr(exc, "orig", None)
    if orig is None or not _is_privilege_error(orig):
        return None
    problem = _first_line(orig)
    said = _DENIED_COMMAND.search(problem)
    command = (said.group(1) if said else command or "").upper()
    table = _DENIED_TABLE.search(problem)
    if not (command and table):
        return PrivilegeError(
            f"This user lacks a privilege the command needs ({problem}); grant it and run the "
            "command again."
        )
    verb = _VERBS.get(command, command.lower())
    return PrivilegeError(
        f"This user cannot {verb} {table.group(1)}: grant {command} on it ({problem})."
    )


def _is_privilege_error(orig: Any) -> bool:
    if getattr(orig, "sqlstate", None) == _PG_INSUFFICIENT_PRIVILEGE:  # psycopg 3
        return True
    if getattr(orig, "pgcode", None) == _PG_INSUFFICIENT_PRIVILEGE:  # psycopg2
        return True
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    return bool(args) and args[0] in _MYSQL_DENIED  # PyMySQL, MySQLdb: (errno, message)


def _first_line(error: Any) -> str:
    args: tuple[Any, ...] = tuple(getattr(error, "args", ()))
    text = args[1] if len(args) > 1 and isinstance(args[1], str) else str(error)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(error).__name__


def connection_failed(exc: Any) -> AdoptError:
    """The one line for a database connection that failed after it was opened (a server
    stopped or a network gone mid-run): `exc` is SQLAlchemy's OperationalError. A privilege
    the user lacks (MySQL reports it as operational) is named as such instead."""
    missing = privilege_missing(exc)
    if missing is not None:
        return missing
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
