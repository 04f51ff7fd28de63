"""Database URL and engine helpers for the inventory sample."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import create_engine

SAMPLE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{SAMPLE_DIR / 'inventory.db'}"


def database_url() -> str:
    """$DATABASE_URL if set, else the SQLite file next to this package."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None) -> Engine:
    return create_engine(url or database_url())
