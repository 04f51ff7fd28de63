"""Results as plain data: what `--json` prints is built from these dictionaries."""

from __future__ import annotations

from typing import Any


def fields(record: object, *names: str) -> dict[str, Any]:
    """The named attributes of `record`, in the order given (the order JSON shows them in)."""
    return {name: getattr(record, name) for name in names}
