"""The command line: a thin click layer over adopt.pipeline and adopt.wizard.

Exit codes: 0 success; 1 an operation failed; 2 usage error or bad input; 3 drift found or the
baseline verification failed; 4 a database could not be reached; 130 interrupted."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

import click
from sqlalchemy.exc import OperationalError

from adopt import __version__
from adopt import output
from adopt import pipeline
from adopt import repository
from adopt.errors import EXIT_CODES
from adopt.errors import AdoptError
from adopt.errors import DriftError
from adopt.errors import Interrupted
from adopt.errors import UnreachableError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code:>3}  {text}" for code, text in EXIT_CODES.items()
)


@dataclass
class Settings:
    """Options given on the group, used by the wizard and as fallbacks for subcommands."""

    traceback: bool = False
    json: bool = False


def project_options(func: F) -> F:
    """Options that say where the models, the live database and the migrations are."""
    decorators = [
        click.option(
            "--app",
            "app",
            metavar="IMPORT",
            help="Flask app or factory, as for 'flask --app' (module, module:app, "
            "module:create_app()). FLASK_APP is honoured.",
        ),
        click.option(
            "--models",
            "models",
            metavar="MODULE:ATTR",
            help="Plain SQLAlchemy models: a MetaData, a declarative base or a "
            "Flask-SQLAlchemy object.",
        ),
        click.option(
            "--url",
            "url",
            metavar="URL",
            help="Live database URL (default: the app's SQLALCHEMY_DATABASE_URI, "
            "else DATABASE_URL).",
        ),
        click.option(
            "--directory",
            "directory",
            metavar="DIR",
            help="Migration repository (default: Flask-Migrate's, else migrations/).",
        ),
        click.option(
            "--import",
            "imports",
            metavar="MODULE",
            multiple=True,
            help="Import this module too before reading the metadata (repeatable).",
        ),
        click.option(
            "--json",
            "as_json",
            is_flag=True,
            help="Print one JSON document on stdout and nothing else.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def baseline_options(func: F) -> F:
    decorators = [
        click.option(
            "--scratch",
            default="auto",
            metavar="auto|memory|server|URL",
            help="Where to generate and verify: in-memory SQLite, a temporary database "
            "on the live server (adopt_scratch_*), or an empty database URL.",
        ),
        click.option(
            "-m",
            "--message",
            default="baseline",
            show_default=True,
            help="Message of the baseline revision.",
        ),
        click.option("--rev-id", default=None, help="Revision id (at most 32 characters)."),
        click.option(
            "--accept-differences",
            is_flag=True,
            help="Go on although the database differs from the models or the "
            "baseline does not rebuild it exactly.",
        ),
        click.option(
            "--exclude-unmanaged",
            is_flag=True,
            help="Leave database tables that have no model out of migrations (writes "
            "an include_name filter into env.py).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _locate(opts: dict[str, Any]) -> pipeline.Project:
    return pipeline.locate(
        app=opts.get("app"),
        models=opts.get("models"),
        url=opts.get("url"),
        imports=tuple(opts.get("imports") or ()),
        directory=opts.get("directory"),
    )


def _emit_json(document: dict[str, Any]) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


class AdoptGroup(click.Group):
    """Translates expected errors into one line and the documented exit code, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AdoptError as exc:
            ctx.exit(_fail(ctx, exc))
        except (KeyboardInterrupt, click.Abort):
            ctx.exit(_fail(ctx, Interrupted("Interrupted; nothing was left half-done.")))
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except OperationalError as exc:
            problem = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            ctx.exit(
                _fail(
                    ctx,
                    UnreachableError(
                        f"The database connection failed mid-run ({problem}); check the server and "
                        "run the command again."
                    ),
                )
            )
        except Exception as exc:
            if (ctx.obj or {}).get("traceback"):
                traceback.print_exception(exc)
            output.error(
                f"Unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
                "rerun with --traceback and report it."
            )
            ctx.exit(1)


@click.group(
    cls=AdoptGroup,
    invoke_without_command=True,
    epilog=EXIT_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-C",
    "--project-dir",
    type=click.Path(file_okay=False, exists=True),
    help="Run as if started in this folder.",
)
@click.option(
    "--traceback", "show_traceback", is_flag=True, help="Show the full traceback of an error."
)
@project_options
@baseline_options
@click.version_option(__version__, prog_name="adopt")
@click.pass_context
def cli(ctx: click.Context, /, project_dir: str | None, show_traceback: bool, **opts: Any) -> None:
    """Bring a database that was built without migrations under Alembic / Flask-Migrate.

    Run without a command in a terminal for the guided wizard; use the commands below
    for scripts and CI."""
    if project_dir:
        os.chdir(project_dir)
    ctx.ensure_object(dict)
    ctx.obj["traceback"] = show_traceback
    ctx.obj["group_opts"] = opts
    if ctx.invoked_subcommand is not None:
        return
    from adopt import wizard

    prompter = ctx.obj.get("prompter")
    if prompter is None:
        if not sys.stdin.isatty():
            raise click.UsageError(
                "The wizard needs a terminal; for scripts and CI use 'adopt run --yes' "
                "(see 'adopt --help')."
            )
        from adopt.prompter import QuestionaryPrompter

        prompter = QuestionaryPrompter()
    wizard.Wizard(prompter, output.make_console(), opts).run()


def _merged(ctx: click.Context, /, opts: dict[str, Any]) -> dict[str, Any]:
    """Subcommand options, falling back to the ones given before the subcommand."""
    group = (ctx.obj or {}).get("group_opts", {})
    ctx.obj["json"] = bool(opts.get("as_json") or group.get("as_json"))
    return {k: (v if v not in (None, (), False) else group.get(k, v)) for k, v in opts.items()}


@cli.command(epilog=EXIT_HELP)
@project_options
@click.option("-v", "--verbose", is_flag=True, help="Also list what was set aside as not drift.")
@click.pass_context
def check(ctx: click.Context, /, verbose: bool, **opts: Any) -> None:
    """Check that the live database matches the models (read-only)."""
    opts = _merged(ctx, opts)
    project = _locate(opts)
    console = output.make_console()
    with output.progress(console) as step:
        checked = pipeline.check(project, step)
    report = checked.report
    if opts["as_json"]:
        _emit_json(report.as_dict())
    else:
        output.found(
            console, project, str(repository.directory_for(project.models, project.directory))
        )
        output.match_report(console, report, verbose)
    if not report.matches:
        ctx.exit(DriftError.exit_code)


@cli.command(epilog=EXIT_HELP)
@project_options
@baseline_options
@click.pass_context
def baseline(ctx: click.Context, /, **opts: Any) -> None:
    """Write the baseline revision and prove that it rebuilds the live schema."""
    opts = _merged(ctx, opts)
    project = _locate(opts)
    adoption = _baseline(project, opts)
    if opts["as_json"]:
        _emit_json(adoption.as_dict())
        return
    console = output.make_console()
    output.baseline_summary(console, adoption)
    console.print(f"Review it, then run 'adopt stamp' to mark {project.live_url} as at head.")


def _baseline(project: pipeline.Project, opts: dict[str, Any]) -> pipeline.Adoption:
    console = output.make_console()
    with output.progress(console) as step:
        return pipeline.baseline(
            project,
            scratch=opts["scratch"],
            message=opts["message"],
            rev_id=opts["rev_id"],
            accept_differences=opts["accept_differences"],
            exclude_unmanaged=opts["exclude_unmanaged"],
            progress=step,
        )


@cli.command(epilog=EXIT_HELP)
@project_options
@click.option("--force", is_flag=True, help="Stamp even if the database differs from the models.")
@click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="Print the SQL that stamping would run, for a DBA; connects to nothing.",
)
@click.pass_context
def stamp(ctx: click.Context, /, force: bool, as_sql: bool, **opts: Any) -> None:
    """Stamp the live database at head, after checking that it matches the models."""
    opts = _merged(ctx, opts)
    project = _locate(opts)
    if as_sql:
        click.echo(pipeline.stamp_sql(project), nl=False)
        return
    console = output.make_console()
    with output.progress(console) as step:
        result = pipeline.stamp(project, force=force, progress=step)
    if opts["as_json"]:
        _emit_json(result.as_dict())
    else:
        output.stamp_results(console, [(result.database, result, "")])


@cli.command(epilog=EXIT_HELP)
@project_options
@baseline_options
@click.option("--yes", is_flag=True, help="Required: run every step without asking.")
@click.pass_context
def run(ctx: click.Context, /, yes: bool, **opts: Any) -> None:
    """Check, write and verify the baseline, and stamp the live database: no prompts."""
    if not yes:
        raise click.UsageError(
            "'adopt run' changes files and the live database's alembic_version; "
            "pass --yes to confirm (or run 'adopt' for the wizard)."
        )
    opts = _merged(ctx, opts)
    project = _locate(opts)
    adoption = _baseline(project, opts)
    console = output.make_console()
    with output.progress(console) as step:
        result = pipeline.stamp(project, force=opts["accept_differences"], progress=step)
    if opts["as_json"]:
        _emit_json(dict(adoption.as_dict(), stamp=result.as_dict()))
        return
    output.baseline_summary(console, adoption)
    output.stamp_results(console, [(result.database, result, "")])


@cli.command(epilog=EXIT_HELP)
@project_options
@click.pass_context
def status(ctx: click.Context, /, **opts: Any) -> None:
    """Show the live database's revision and whether it matches the models (read-only).

    Exits 0 when the database is at head and matches, 3 when it differs from the models,
    1 when it is not at head."""
    opts = _merged(ctx, opts)
    project = _locate(opts)
    console = output.make_console()
    with output.progress(console) as step:
        result = pipeline.status(project, step)
    if opts["as_json"]:
        _emit_json(result.as_dict())
    else:
        output.status(console, result)
    if not result.matches:
        ctx.exit(DriftError.exit_code)
    if not result.at_head:
        ctx.exit(1)


def main() -> None:
    """Entry point for the console script and python -m adopt."""
    cli(prog_name="adopt")


def _fail(ctx: click.Context, /, exc: AdoptError) -> int:
    obj = ctx.obj or {}
    if obj.get("traceback"):
        traceback.print_exception(exc)
    report = getattr(exc, "report", None)
    if obj.get("json"):
        document: dict[str, Any] = {"ok": False, "error": str(exc), "exit_code": exc.exit_code}
        if report is not None:
            document["details"] = report.as_dict()
        _emit_json(document)
    elif report is not None:
        console = output.make_console()
        if hasattr(report, "against_live"):
            output.verification(console, report)
        else:
            output.match_report(console, report)
    output.error(str(exc))
    return exc.exit_code
