"""Reporting data shared by the match check and the baseline verification."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from adopt.plain import fields


@dataclass(frozen=True)
class Difference:
    """One way two schemas differ, in words a person can act on."""

    kind: str  # e.g. "missing_table", "type", "nullable", "index_name"
    table: str
    object: str  # column, index or constraint the difference is about ("" for the table)
    detail: str  # what differs, e.g. "database VARCHAR(255), models VARCHAR(120)"
    fix: str = ""  # the likely way out

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class SetAside:
    """A difference Alembic reports that is not real drift, and why it was set aside."""

    table: str
    object: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class MatchReport:
    """The live database compared with the models."""

    database: str  # URL with the password hidden
    dialect: str
    model_tables: int
    live_tables: int
    differences: tuple[Difference, ...] = ()
    unmanaged: tuple[str, ...] = ()  # in the database, not in the models
    set_aside: tuple[SetAside, ...] = ()
    version_table: str = "absent"  # absent | empty | "<revision>" | "several rows"
    models: str = ""  # where the models came from, e.g. "Flask app 'microblog' (Flask-SQLAlchemy)"
    not_in_baseline: tuple[str, ...] = ()  # views, triggers... the baseline cannot create
    filtered_out: tuple[str, ...] = ()  # live tables env.py's include_* filters leave out
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def matches(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            **fields(self, "database", "models", "dialect", "matches"),
            **fields(self, "model_tables", "live_tables"),
            "differences": [d.as_dict() for d in self.differences],
            "unmanaged_tables": list(self.unmanaged),
            "not_in_baseline": list(self.not_in_baseline),
            "filtered_out": list(self.filtered_out),
            "set_aside": [s.as_dict() for s in self.set_aside],
            "alembic_version": self.version_table,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class SeveralReports:
    """The match reports of the databases of a project with binds, as one JSON payload."""

    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return self.payload
