"""Proving the baseline: upgrade an empty scratch database with it, then compare that schema
with the live database and with the models."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from adopt._speedups import sqlite_catalog
from adopt._speedups import write_behind
from adopt.build import envrun
from adopt.build.repository import Repository
from adopt.compare import confirmation
from adopt.compare import drift
from adopt.compare.differences import Difference
from adopt.compare.differences import MatchReport
from adopt.compare.differences import SetAside
from adopt.discovery import Models
from adopt.reading import connect
from adopt.reading import fingerprint
from adopt.reading import schema


@dataclass(frozen=True)
class Verification:
    against_live: tuple[Difference, ...]  # rebuilt schema vs live schema
    against_models: tuple[Difference, ...]  # rebuilt schema vs the models
    tables: int
    set_aside: tuple[SetAside, ...] = ()
    rebuilt: schema.Snapshot | None = field(default=None, repr=False, compare=False)
    catalog: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return not self.against_live and not self.against_models

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "tables": self.tables,
            "against_live": [d.as_dict() for d in self.against_live],
            "against_models": [d.as_dict() for d in self.against_models],
            "set_aside": [s.as_dict() for s in self.set_aside],
        }


_UPGRADE_FAILED = (
    "Upgrading an empty scratch database with the baseline failed with {detail}; the "
    "baseline cannot rebuild the schema, fix it or the models."
)


def upgrade(
    repo: Repository,
    models: Models,
    engine: Engine,
    destination: str = "heads",
    *,
    in_transaction: bool = True,
) -> None:
    """Run the repository's revisions up to `destination` on `engine` through env.py. Without
    `in_transaction`, env.py begins the transaction itself, as `alembic upgrade` does, so that a
    revision's autocommit block (CREATE INDEX CONCURRENTLY) can end it."""
    if not in_transaction or _ends_transactions(repo):
        with connect.connection(engine) as conn:
            _upgraded(repo, models, conn, destination, _UPGRADE_FAILED)
        return
    with connect.connection(engine) as conn, conn.begin(), write_behind.ddl_behind(conn):
        _upgraded(
            repo,
            models,
            conn,
            destination,
            _UPGRADE_FAILED,
        )


def _ends_transactions(repo: Repository) -> bool:
    """Whether a revision runs statements in an autocommit block (CREATE INDEX CONCURRENTLY in
    a catch-up): it ends the transaction it runs in, so env.py must own that transaction."""
    script = repo.script()
    return any(
        "autocommit_block" in Path(revision.path).read_text(encoding="utf-8")
        for revision in script.walk_revisions()
    )


def _upgraded(repo: Repository, models: Models, conn: Any, destination: str, failure: str) -> None:
    """The revisions up to `destination` run on `conn` through the project's env.py, as
    `alembic upgrade` runs them. With binds, only this bind's database is upgraded; the other
    binds' calls migrate nothing."""
    config, script = repo.config(), repo.script()

    def apply(rev: Any, context: Any) -> Any:
        return script._upgrade_revs(destination, rev)

    envrun.run(
        config,
        script,
        {models.bind: conn},
        apply,
        flask_app=models.flask_app,
        only_listed=models.is_multi,
        as_sql=False,
        destination_rev=destination,
        failure=failure,
    )


def upgrade_live(repo: Repository, models: Models, target: Any, timeout: int | None) -> None:
    """Run the pending revisions on a real database (a target stamped at an older revision)
    through env.py, in one transaction where the server has transactional DDL."""
    engine = connect.create(target.url, timeout=timeout)
    try:
        with connect.connection(engine) as conn, conn.begin():
            _upgraded(
                repo,
                models,
                conn,
                "heads",
                f"Upgrading {target.label} failed with {{detail}}; it stays stamped where it "
                "was; run 'flask db upgrade' to see the whole error.",
            )
    finally:
        engine.dispose()


def rebuilt_against(
    conn: Any, models: Models, expected: schema.Snapshot
) -> tuple[schema.Snapshot, list[Difference], list[Difference]]:
    """The schema built in the scratch database on `conn`, and how it differs from `expected`
    (the live schema, tables without models left out): the differences, then apart those in
    the names the server generated for unnamed constraints, which depend on creation order and
    are not part of what the models say (kept visible, not blocking)."""
    rebuilt = schema.take_all(conn, models.schemas)
    found = schema.compare(
        expected, rebuilt, expected_label="live database", actual_label="rebuilt database"
    ) + schema.missing_sequences(
        confirmation.declared_sequences(models.metadata.tables.values()),
        expected,
        rebuilt,
        "live database",
        "rebuilt database",
    )
    generated = [d for d in found if d.kind.endswith("_generated_name")]
    return rebuilt, [d for d in found if d not in generated], generated


def examine(
    models: Models,
    scratch: Engine,
    live: schema.Snapshot,
    unmanaged: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
    *,
    check: MatchReport | None = None,
    opener: confirmation.ScratchOpener | None = None,
) -> Verification:
    """Compare the schema `upgrade` built with `live`, then with the models.

    `check` is the match check of the live database that `live` was taken in. When it found no
    difference with the models and the rebuilt schema equals the live one, also in the details
    the snapshot's comparison leaves out (comments, generated columns, expression indexes),
    the comparison with the models is implied (rebuilt = live = models) and is not made again:
    it is a quarter of the verification on a large schema. What the check set aside is then
    what this comparison would set aside; accepted differences always get the comparison.

    Where that comparison is made and Alembic finds differences, `opener` (an empty scratch
    database of the same server) builds those model tables so that they are confirmed like
    with like, as the check confirms its own (adopt.compare.confirmation); without it
    Alembic's view stands."""
    expected = live.only(k for k in live.tables if k not in set(unmanaged))
    # Nothing changes the scratch database while it is read here: its statements are read once.
    with connect.connection(scratch) as conn, sqlite_catalog.read_once(conn):
        rebuilt, against_live, generated = rebuilt_against(conn, models, expected)
        # The catalog print covers the default schema only: none when the models use others.
        catalog = None if models.schemas else fingerprint.catalog_lines(conn, None, unmanaged)
        implied = (
            check is not None
            and not check.differences
            and not against_live
            and schema.same_details(expected, rebuilt)
        )
        if check is not None and implied:
            classified: list[Any] = list(check.set_aside)
        else:
            classified = drift.classify(
                drift.raw_differences(
                    conn, models.metadata, drift.comparison_options(options, models.metadata)
                ),
                conn.dialect,
            )
    if not implied and opener is not None:
        compared = [k for k in models.metadata.tables if k in rebuilt.tables]
        tables = confirmation.needing_review(
            classified, rebuilt, models.metadata, compared, scratch.dialect.name
        )
        if tables:
            built = confirmation.built(opener, models.metadata, tables)
            classified = confirmation.confirm(classified, rebuilt, built, tables)
    against_models = [c for c in classified if isinstance(c, Difference)]
    set_aside = [c for c in classified if isinstance(c, SetAside)]
    set_aside += [
        SetAside(
            d.table,
            d.object,
            "server-generated names differ ("
            + d.detail
            + "); a naming_convention in the models pins them",
        )
        for d in generated
    ]
    return Verification(
        tuple(against_live),
        tuple(against_models),
        len(rebuilt.tables),
        tuple(set_aside),
        rebuilt,
        catalog,
    )
