"""A fleet of SQLite databases at mixed revisions, stamped each at its own revision.

    .venv/bin/python bench/behind.py [--targets 200] [--jobs 8]

Builds a project adopted by `adopt run --yes`, adds five revisions to its chain (a column, a
data-only change, a table, an index, a column), then builds N databases spread over the six
revisions with plain Alembic (alembic_version dropped, as if built by create_all), except
those of the data-only pair, which are ambiguous by design (one in six). Then it times one
`adopt stamp --targets-file` over all of them and prints: the seconds, how many times the
chain was replayed (the progress line says so; it must be once), and how many databases ended
at the revision they were built at."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

BIN = Path(sys.executable).parent
MODELS = """
    import sqlalchemy as sa

    metadata = sa.MetaData()
    sa.Table(
        "thing", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
    )
"""
STEPS = [
    ("r1", "op.add_column('thing', sa.Column('color', sa.String(20)))"),
    ("r2", "op.execute(\"UPDATE thing SET color = 'red'\")"),
    ("r3", "op.create_table('tag', sa.Column('id', sa.Integer, primary_key=True))"),
    ("r4", "op.create_index('ix_thing_color', 'thing', ['color'])"),
    ("r5", "op.add_column('thing', sa.Column('size', sa.Integer))"),
]
REVISION = (
    "revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n"
    "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n    {up}\n\n\n"
    "def downgrade():\n    pass\n"
)


def project(root: Path) -> list[str]:
    (root / "things.py").write_text(textwrap.dedent(MODELS))
    live = root / "live.db"
    namespace: dict[str, object] = {}
    exec(textwrap.dedent(MODELS), namespace)
    engine = sa.create_engine(f"sqlite:///{live}")
    namespace["metadata"].create_all(engine)  # type: ignore[attr-defined]
    engine.dispose()
    env = dict(os.environ, PYTHONPATH=str(root), NO_COLOR="1")
    subprocess.run(
        [
            BIN / "adopt",
            "run",
            "--yes",
            "--models",
            "things:metadata",
            "--url",
            f"sqlite:///{live}",
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    [baseline] = (root / "migrations" / "versions").glob("*.py")
    order = [baseline.name.split("_")[0]]
    for rev, up in STEPS:
        text = REVISION.format(rev=rev, down=order[-1], up=up)
        (root / "migrations" / "versions" / f"{rev}.py").write_text(text)
        order.append(rev)
    return order


def databases(root: Path, order: list[str], count: int) -> dict[Path, str]:
    """`count` databases built at the revisions in turn (alembic_version dropped)."""
    made: dict[Path, str] = {}
    templates: dict[str, Path] = {}
    sys.path.insert(0, str(root))
    for rev in order:
        path = root / f"at_{rev}.db"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        command.upgrade(Config(str(root / "alembic.ini")), rev)
        engine = sa.create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
        engine.dispose()
        templates[rev] = path
    for n in range(count):
        rev = order[n % len(order)]
        path = root / "fleet" / f"db{n:04d}.db"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(templates[rev].read_bytes())
        made[path] = rev
    return made


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        order = project(root)
        fleet = databases(root, order, args.targets)
        listing = root / "targets.txt"
        listing.write_text("".join(f"sqlite:///{p}\n" for p in fleet))
        env = dict(os.environ, PYTHONPATH=str(root), NO_COLOR="1")
        env.pop("DATABASE_URL", None)
        start = time.perf_counter()
        done = subprocess.run(
            [BIN / "adopt", "stamp", "--models", "things:metadata", "--targets-file", str(listing),
             "--jobs", str(args.jobs)],
            cwd=root, env=env, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        replays = done.stderr.count("Replaying the")
        right = ambiguous = 0
        for path, rev in fleet.items():
            engine = sa.create_engine(f"sqlite:///{path}")
            with engine.connect() as conn:
                stamped = (
                    conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                    if sa.inspect(conn).has_table("alembic_version")
                    else None
                )
            engine.dispose()
            right += stamped == rev
            ambiguous += stamped is None and rev in ("r1", "r2")
        print(f"{args.targets} SQLite targets at {len(order)} revisions, --jobs {args.jobs}")
        print(f"adopt stamp: {seconds:.1f} s, exit {done.returncode}, chain replayed {replays}x")
        print(f"stamped at their own revision: {right}; left unstamped as ambiguous: {ambiguous}")
        print(f"unexpected: {args.targets - right - ambiguous}")
        return 0 if right + ambiguous == args.targets and replays == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
