"""A schema fingerprint: one hash that is equal exactly when two snapshots of the same dialect
describe the same schema (columns, keys, indexes, uniques, foreign keys, checks), names the
server made up for unnamed constraints aside."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import astuple
from typing import Any

from adopt.schema import Snapshot
from adopt.schema import is_generated_name


def of(snapshot: Snapshot, exclude: Iterable[str] = ()) -> str:
    skipped = set(exclude)
    canonical = [
        _table(name, snapshot.tables[name])
        for name in sorted(snapshot.tables)
        if name not in skipped
    ]
    digest = hashlib.sha256(json.dumps(canonical, default=str, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _table(name: str, table: Any) -> list[Any]:
    return [
        name,
        sorted(astuple(c) for c in table.columns),
        list(table.primary_key),
        _named(table.indexes),
        _named(table.uniques),
        _named(table.foreign_keys),
        _named(table.checks),
    ]


def _named(items: dict[Any, str | None]) -> list[Any]:
    return sorted(
        [key, None if name is None or is_generated_name(name) else name]
        for key, name in items.items()
    )
