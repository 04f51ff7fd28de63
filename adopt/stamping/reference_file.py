"""The head schema written to a file once and read by every job of a fleet
(`adopt reference --out FILE`, then `adopt stamp --reference FILE`).

The file is JSON: what identifies the schema (the head revision, the dialect, the bind, the
fingerprint) and the schema itself, with each object written as its kind and fields. Reading
builds only the kinds listed here: a file from elsewhere can hold data, never code."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from adopt import __version__
from adopt.errors import UsageError
from adopt.reading import catalog
from adopt.reading import fingerprint
from adopt.reading import schema
from adopt.stamping.fleet import Reference

FORMAT = 1
KINDS: dict[str, type[Any]] = {
    "Reference": Reference,
    "Snapshot": schema.Snapshot,
    "TableShape": schema.TableShape,
    "ColumnShape": schema.ColumnShape,
    "Definition": catalog.Definition,
}


def write(path: Path, reference: Reference, *, head: str, dialect: str, bind: str | None) -> None:
    document = {
        "adopt_reference": FORMAT,
        "adopt_version": __version__,
        "head": head,
        "dialect": dialect,
        "bind": bind,
        "fingerprint": print_of(reference),
        "schema": _encoded(reference),
    }
    try:
        path.write_text(json.dumps(document, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write the reference file {path} ({exc.strerror}).") from None


def read(path: Path, *, head: str, dialect: str, bind: str | None) -> Reference:
    """The head schema in `path`, refused unless it is of this head, dialect and bind."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read the reference file {path} ({exc.strerror}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(
            f"{path} is not a reference file; write one with 'adopt reference --out'."
        ) from None
    if not isinstance(document, dict) or document.get("adopt_reference") != FORMAT:
        raise UsageError(f"{path} is not a reference file; write one with 'adopt reference --out'.")
    wanted = {"head": head, "dialect": dialect, "bind": bind}
    for key, value in wanted.items():
        if document.get(key) != value:
            raise UsageError(
                f"{path} holds the schema of {key} {document.get(key)!r}, not {value!r}; write "
                "it again with 'adopt reference --out' for this head and these targets."
            )
    try:
        reference = _decoded(document["schema"])
    except (KeyError, TypeError, ValueError):
        raise UsageError(
            f"{path} is damaged; write it again with 'adopt reference --out'."
        ) from None
    if not isinstance(reference, Reference) or print_of(reference) != document.get("fingerprint"):
        raise UsageError(f"{path} is damaged; write it again with 'adopt reference --out'.")
    return reference


def print_of(reference: Reference) -> str:
    if reference.catalog is not None:
        return fingerprint.of_lines(reference.catalog)
    return fingerprint.of(reference.snapshot, ())


def _encoded(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value).__name__
        if KINDS.get(kind) is not type(value):
            raise TypeError(f"no reference file kind for {kind}")
        fields = {f.name: _encoded(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"kind": kind, "fields": fields}
    if isinstance(value, dict):
        return {"dict": [[_encoded(k), _encoded(v)] for k, v in value.items()]}
    if isinstance(value, (tuple, list)):
        return {"tuple" if isinstance(value, tuple) else "list": [_encoded(v) for v in value]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot write {type(value).__name__} into a reference file")


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if "kind" in value:
            cls = KINDS[value["kind"]]
            return cls(**{k: _decoded(v) for k, v in value["fields"].items()})
        if "dict" in value:
            return {_decoded(k): _decoded(v) for k, v in value["dict"]}
        if "tuple" in value:
            return tuple(_decoded(v) for v in value["tuple"])
        if "list" in value:
            return [_decoded(v) for v in value["list"]]
        raise ValueError("unknown object")
    return value
