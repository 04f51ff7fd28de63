"""Build one set's legacy database, as the project itself would: `create_all` from its models.

    <set venv>/bin/python corpus/build.py SET URL

Runs inside the set's own environment (corpus/sets on PYTHONPATH). A plain SQLAlchemy set
exposes `metadata`; a Flask set (`FLASK = True`) exposes `create_app()`, whose app reads its
database URL from CORPUS_DATABASE_URL and builds its tables with Flask-SQLAlchemy's
`db.create_all()`. Then the set's `seed(connection)`, if it has one, inserts a few rows in one
transaction. Prints the number of tables and the rows in each, as JSON."""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import sqlalchemy as sa


def build(name: str, url: str) -> tuple[int, dict[str, int]]:
    """Build the set's tables at `url` and seed them: (the number of tables, rows by table)."""
    os.environ["CORPUS_DATABASE_URL"] = url
    module: Any = importlib.import_module(name)
    seed = getattr(module, "seed", None)
    if getattr(module, "FLASK", False):
        app = module.create_app()
        with app.app_context():
            db = app.extensions["sqlalchemy"]
            db.create_all()
            if seed is not None:
                with db.engine.begin() as conn:
                    seed(conn)
            return len(db.metadata.tables), _counts(db.engine, db.metadata)
    engine = sa.create_engine(url)
    try:
        module.metadata.create_all(engine)
        if seed is not None:
            with engine.begin() as conn:
                seed(conn)
        return len(module.metadata.tables), _counts(engine, module.metadata)
    finally:
        engine.dispose()


def _counts(engine: sa.Engine, metadata: sa.MetaData) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            found = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            if found:
                counts[table.name] = int(found)
    return counts


if __name__ == "__main__":
    tables, rows = build(sys.argv[1], sys.argv[2])
    print(json.dumps({"tables": tables, "rows": rows}))
