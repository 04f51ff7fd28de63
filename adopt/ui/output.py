"""Showing results to a person: rich tables, colour and progress on a terminal, plain text
otherwise (rich itself honours NO_COLOR and stays plain when output is not a terminal)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from adopt import interrupts
from adopt.build.baseline import Baseline
from adopt.build.verify import Verification
from adopt.compare.differences import Difference
from adopt.compare.differences import MatchReport
from adopt.drifted import DriftedAdoption
from adopt.pipeline import Adoption
from adopt.pipeline import Project
from adopt.urls import hide_password
from adopt.wording import counted


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


@contextmanager
def progress(console: Console) -> Iterator[Any]:
    """A progress callback: a spinner line on a terminal, one line per step otherwise."""
    if console.is_terminal:
        with console.status("Starting") as status:

            def show(message: str) -> None:
                interrupts.check()
                status.update(escape(message) + " …")

            yield show
    else:
        err = Console(stderr=True, highlight=False, soft_wrap=True)

        def say(message: str) -> None:
            interrupts.check()
            err.print(escape(message) + " …")

        yield say


def found(console: Console, project: Project, directory: str) -> None:
    models = project.models
    table = Table.grid(padding=(0, 2))
    if project.bind_label:
        table.add_row("Database", f"[bold]{escape(project.bind_label)}[/bold]")
    table.add_row("Models", f"{escape(models.source)}: {len(models.metadata.tables)} tables")
    table.add_row(
        "Live database",
        f"{escape(project.live_label)} [dim]({escape(project.live_url)}, "
        f"from {project.live.origin})[/dim]",
    )
    table.add_row("Dialect", project.dialect)
    table.add_row("Migrations", escape(directory))
    console.print(table)


def match_report(console: Console, report: MatchReport, verbose: bool = False) -> None:
    if report.matches and not report.unmanaged:
        console.print(
            f"[green]✓[/green] The live database matches the models ({report.model_tables} tables)."
        )
    elif report.matches:
        console.print(
            f"[green]✓[/green] The {report.model_tables} model tables match the database."
        )
    else:
        console.print(
            f"[red]✗[/red] The live database differs from the models in "
            f"{counted(len(report.differences), 'way')}:"
        )
        differences(console, report.differences)
    if report.unmanaged:
        console.print(
            "[yellow]![/yellow] Not in the models (unmanaged): "
            f"{counted(len(report.unmanaged), 'table')} in the database, "
            + escape(", ".join(report.unmanaged))
        )
    if report.filtered_out:
        console.print(
            f"Left out by env.py's include filters ({len(report.filtered_out)}): "
            + escape(", ".join(report.filtered_out))
        )
    for note in report.notes:
        console.print(f"[yellow]![/yellow] {escape(note)}")
    if report.not_in_baseline:
        console.print(
            f"[yellow]![/yellow] Not in the baseline ({len(report.not_in_baseline)}): the models "
            "cannot describe these, so a database built from migrations will lack them until "
            "a migration creates them with op.execute(): "
            + escape(", ".join(report.not_in_baseline))
        )
    if verbose and report.set_aside:
        console.print(f"Set aside as not real drift ({len(report.set_aside)}):")
        for item in report.set_aside:
            where = f"{item.table}.{item.object}" if item.object else item.table
            console.print(f"  - {escape(where)}: {escape(item.reason)}")
    elif report.set_aside:
        console.print(
            f"[dim]Set aside as not real: {counted(len(report.set_aside), 'difference')} "
            "reported by Alembic; --verbose lists them.[/dim]"
        )


def differences(console: Console, items: Iterable[Difference]) -> None:
    by_table: dict[str, list[Difference]] = {}
    for item in items:
        by_table.setdefault(item.table, []).append(item)
    for table_name in sorted(by_table):
        console.print(f"  [bold]{escape(table_name)}[/bold]")
        for item in by_table[table_name]:
            subject = f"{item.object}: " if item.object else ""
            console.print(
                f"    - {escape(subject)}{escape(item.kind.replace('_', ' '))}: "
                f"{escape(item.detail)}"
            )
            if item.fix:
                console.print(f"      [dim]fix: {escape(item.fix)}[/dim]")


def verification(console: Console, result: Verification) -> None:
    if result.passed:
        console.print(
            f"[green]✓[/green] Verified: the baseline rebuilds the live schema exactly "
            f"({result.tables} tables) and matches the models."
        )
        return
    console.print("[red]✗[/red] The baseline does not rebuild the live schema exactly:")
    differences(console, result.against_live + result.against_models)


def baseline_summary(console: Console, adoption: Adoption) -> None:
    made: Baseline = adoption.baseline
    s = made.summary
    console.print(
        f"Baseline [bold]{made.revision}[/bold] ({escape(str(made.path))}): "
        f"{s.tables} tables, {s.indexes} indexes, {s.foreign_keys} foreign keys."
    )
    for part in adoption.parts:
        if part.bind_label:
            console.print(f"[bold]{escape(part.bind_label)}[/bold]")
        _part_summary(console, part)


def drifted_summary(console: Console, adopted: DriftedAdoption) -> None:
    """The two revisions of a drifted database, each difference's decision, and the proofs."""
    made = adopted.baseline
    console.print(
        f"Baseline [bold]{made.revision}[/bold] ({escape(str(made.path))}): the database as it "
        f"is, {made.summary.tables} tables."
    )
    steps = adopted.steps
    if adopted.catch_up:
        console.print(
            f"Catch-up [bold]{adopted.catch_up.revision}[/bold] "
            f"({escape(str(adopted.catch_up.path))}): to the models, for 'flask db upgrade'."
        )
    table = Table(show_header=True, header_style="bold", box=None)
    for heading in ("Difference", "Decided", "Note"):
        table.add_column(heading)
    for step in steps:
        note = step.model_change if step.keep_database else step.data_work
        decided = "as the database has it" if step.keep_database else "as the models say"
        style = "yellow" if step.data_work else ""
        table.add_row(
            escape(step.key),
            decided,
            f"[{style}]{escape(note)}[/{style}]" if style else escape(note),
        )
    if steps:
        console.print(table)
    if any(step.data_work for step in steps):
        console.print(
            "[yellow]![/yellow] Steps marked above need data work first: the catch-up would "
            "fail on those rows."
        )
    if adopted.passed:
        kept = sum(step.keep_database for step in steps)
        rest = (
            f", except the {counted(kept, 'difference')} kept as the database has them"
            if kept
            else ""
        )
        second = (
            f"baseline plus catch-up rebuild the models' schema{rest}"
            if adopted.catch_up
            else f"it is the models' schema{rest}"
        )
        console.print(
            f"[green]✓ Verified[/green]: the baseline rebuilds the live schema exactly, and "
            f"{second}."
        )
    else:
        verification(console, adopted.verification)


def _part_summary(console: Console, adoption: Adoption) -> None:
    s = adoption.baseline.summary
    console.print(
        f"Scratch database: {escape(adoption.scratch.label)} ({escape(adoption.scratch.reason)})."
    )
    if s.dialect_types:
        console.print("Types that needed the live dialect: " + escape(", ".join(s.dialect_types)))
    if s.custom_types:
        console.print("Project or library types: " + escape(", ".join(s.custom_types)))
    for note in adoption.report.notes:
        console.print(f"[yellow]![/yellow] {escape(note)}")
    if adoption.report.not_in_baseline:
        console.print(
            "[yellow]Not in the baseline[/yellow] (add them with op.execute() if new databases "
            "need them): " + escape(", ".join(adoption.report.not_in_baseline))
        )
    if adoption.excluded:
        console.print(
            "Left out as unmanaged (filter written to env.py): "
            + escape(", ".join(adoption.excluded))
        )
    verification(console, adoption.verification)


def script(console: Console, text: str) -> None:
    """A revision's Python, paged when it is longer than the terminal."""
    syntax = Syntax(text, "python", line_numbers=True, word_wrap=False)
    if console.is_terminal and text.count("\n") > console.height - 5:
        # less shows colours only with -R; -F quits at once when the script fits after all.
        os.environ.setdefault("LESS", "-FRX")
        with console.pager(styles=True):
            console.print(syntax)
        # Ctrl-C in the pager quits the pager (Python's pager waits it out): what comes next
        # is decided by the next explicit answer, not by that signal.
        interrupts.forget()
    else:
        console.print(syntax)


_OUTCOME_STYLE = {
    "at head": "green",
    "stamped": "green",
    "would stamp": "cyan",
    "behind head": "cyan",
    "unstamped": "green",
}


def target_results(console: Console, results: Iterable[Any], title: str) -> None:
    """One row per target, then the differences and reasons of those that need attention."""
    results = list(results)
    table = Table(title=title, title_justify="left")
    table.add_column("Target", overflow="fold")
    table.add_column("Before")
    table.add_column("Now")
    table.add_column("Outcome")
    for r in results:
        style = _OUTCOME_STYLE.get(r.outcome, "red")
        table.add_row(
            escape(r.target),
            escape(r.before),
            escape(r.after),
            f"[{style}]{escape(r.outcome)}[/{style}]",
        )
    console.print(table)
    for r in results:
        if r.reason:
            console.print(f"[bold]{escape(r.target)}[/bold]: {escape(r.reason)}")
        if r.differences:
            differences(console, r.differences)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    if len(results) > 1:
        console.print(", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))


def settings_table(
    console: Console,
    items: Iterable[Any],
    targets: dict[str, str],
    binds: dict[str, tuple[str, str]] | None = None,
) -> None:
    table = Table(title="Effective settings", title_justify="left")
    table.add_column("Setting")
    table.add_column("Value", overflow="fold")
    table.add_column("From")
    for item in items:
        table.add_row(item.key, escape(item.shown), item.source)
    console.print(table)
    if targets:
        console.print(escape("Targets ([tool.adopt.targets]):"))
        for name, value in sorted(targets.items()):
            shown = hide_password(value) if "://" in value else value
            console.print(f"  {escape(name)} = {escape(shown)}")
    if binds:
        console.print(escape("Other databases ([tool.adopt.binds]):"))
        for name, (models, url) in sorted(binds.items()):
            shown = hide_password(url) if "://" in url else url
            console.print(f"  {escape(name)}: models {escape(models)}, url {escape(shown)}")


def error(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[red]Error:[/red] {escape(message)}"
    )
    sys.stderr.flush()


def note(message: str) -> None:
    """A remark on stderr, after the report: what a library warned of, in adopt's words."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[yellow]Note:[/yellow] {escape(message)}"
    )
    sys.stderr.flush()
