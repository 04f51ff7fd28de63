"""The command line: a thin click layer over adopt.pipeline and adopt.wizard.

Exit codes: 0 success; 1 an operation failed; 2 usage error or bad input; 3 drift found or the
baseline verification failed; 4 a database could not be reached; 130 interrupted."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from typing import TypeVar

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError

from adopt import __version__
from adopt import api
from adopt import committed
from adopt import interrupts
from adopt import library_warnings
from adopt._speedups import process
from adopt.errors import EXIT_CODES
from adopt.errors import AdoptError
from adopt.errors import Interrupted
from adopt.errors import InterruptedAfterChanges
from adopt.errors import UsageError as AdoptUsageError
from adopt.errors import connection_failed
from adopt.options import Options
from adopt.ui import json_output
from adopt.ui import output
from adopt.urls import scrub
from adopt.wording import counted

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code:>3}  {text}" for code, text in EXIT_CODES.items()
)


def _remember_traceback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(dict)["traceback"] = True


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
            "--exclude-bind",
            "exclude_binds",
            metavar="NAME",
            multiple=True,
            help="Flask-SQLAlchemy bind to leave out of migrations: not checked, baselined "
            "or stamped (repeatable).",
        ),
        click.option(
            "--traceback",
            is_flag=True,
            expose_value=False,
            callback=_remember_traceback,
            help="Show the full traceback of an error.",
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
            metavar="auto|memory|server|URL",
            help="Where to generate and verify: in-memory SQLite, a temporary database "
            "on the live server (adopt_scratch_*), or an empty database URL.",
        ),
        click.option(
            "-m",
            "--message",
            help="Message of the baseline revision [default: baseline].",
        ),
        click.option("--rev-id", help="Revision id (at most 32 characters)."),
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
        click.option(
            "--from-database",
            is_flag=True,
            help="A database that drifted from its models: write a baseline of the database "
            "as it is, then a catch-up revision to the models; the live database is stamped "
            "at the baseline and 'flask db upgrade' applies the catch-up.",
        ),
        click.option(
            "--accept-database",
            multiple=True,
            metavar="KIND/TABLE.OBJECT",
            help="With --from-database: keep this difference as the database has it (out of "
            "the catch-up; adopt prints the model change that agrees). Repeatable.",
        ),
        click.option(
            "--accept-models",
            multiple=True,
            metavar="KIND/TABLE.OBJECT",
            help="With --from-database: the catch-up takes this difference to the models. "
            "Once given, every difference must be decided by one of the two flags, so a drift "
            "nobody reviewed is refused. Repeatable.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _emit_json(command: str, exit_code: int, error: str | None = None, **payload: Any) -> None:
    click.echo(json_output.dumps(json_output.document(command, exit_code, error, **payload)))


def _command_in(args: list[str]) -> str:
    """The command a command line names, for a JSON document written before it runs."""
    for arg in args:
        if arg in cli.commands:
            return arg
    return "adopt"


def _wants_json(args: list[str]) -> bool:
    """--json among the options (not after '--', where it would be an argument)."""
    options = args[: args.index("--")] if "--" in args else args
    return "--json" in options


class AdoptGroup(click.Group):
    """Translates expected errors into one line and the documented exit code, in one place."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or not _wants_json(argv):
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        # --json promises one document on stdout, also when click refuses the command line
        # (an unknown option, --jobs 0) before any command runs; and errors of adopt's own
        # raised before the options are merged (an unknown setting) are in JSON too.
        obj = extra.setdefault("obj", {})
        if isinstance(obj, dict):
            obj["json"] = True
        try:
            code = super().main(argv, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            error = scrub(exc.format_message())
            _emit_json(_command_in(argv), exc.exit_code, error)
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            _emit_json(_command_in(argv), 130, "Interrupted; nothing was changed.")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        interrupts.install()  # SIGTERM unwinds like Ctrl-C: scratch dropped, files removed
        # Both entry points (adopt, flask adopt) come through here.
        with process.tuned(), library_warnings.held() as held:
            try:
                return self._invoke(ctx)
            finally:
                for message in held.messages:
                    output.note(message)

    def _invoke(self, ctx: click.Context) -> Any:
        committed.reset()
        try:
            return super().invoke(ctx)
        except AdoptError as exc:
            ctx.exit(_fail(ctx, exc))
        except (KeyboardInterrupt, click.Abort):
            ctx.exit(_fail(ctx, _interrupted()))
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except OperationalError as exc:
            ctx.exit(_fail(ctx, connection_failed(exc)))
        except Exception as exc:
            if (ctx.obj or {}).get("traceback"):
                traceback.print_exception(exc)
            first = str(exc).splitlines()[0] if str(exc) else ""
            message = scrub(
                f"Unexpected {type(exc).__name__}: {first}; rerun with --traceback and report it."
            )
            if (ctx.obj or {}).get("json"):
                _emit_json(_command_name(ctx), 1, message)
            output.error(message)
            ctx.exit(1)


def _interrupted() -> AdoptError:
    """What an interrupt left: nothing, or the changes that stay (adopt.committed)."""
    changes = committed.changes()
    if not changes:
        return Interrupted("Interrupted; nothing was changed.")
    return InterruptedAfterChanges("Interrupted after: " + "; ".join(changes) + ".")


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
    "--stamp/--no-stamp",
    "stamp_live",
    default=None,
    help="Wizard: stamp the live database at the end (or not) without asking.",
)
@click.option(
    "--target",
    "extra_targets",
    multiple=True,
    metavar="URL",
    help="Wizard: also check and stamp this database at the end (repeatable).",
)
@project_options
@baseline_options
@click.version_option(__version__, prog_name="adopt")
@click.pass_context
def cli(ctx: click.Context, /, project_dir: str | None, **opts: Any) -> None:
    """Bring a database that was built without migrations under Alembic / Flask-Migrate.

    Run without a command in a terminal for the guided wizard; use the commands below
    for scripts and CI."""
    if project_dir:
        os.chdir(project_dir)
    ctx.ensure_object(dict)
    ctx.obj["group_opts"] = opts
    if ctx.invoked_subcommand is not None:
        return
    if opts.get("as_json"):
        raise AdoptUsageError("--json needs a command (check, baseline, stamp, run, status...).")
    from adopt import wizard

    prompter = ctx.obj.get("prompter")
    if prompter is None:
        if not sys.stdin.isatty():
            raise click.UsageError(
                "The wizard needs a terminal; for scripts and CI use 'adopt run --yes' "
                "(see 'adopt --help')."
            )
        from adopt.ui.prompter import QuestionaryPrompter

        prompter = QuestionaryPrompter()
    wizard.Wizard(prompter, output.make_console(), _options(ctx, opts)).run()


def _options(ctx: click.Context, /, flags: dict[str, Any]) -> Options:
    """The command's options: its flags, else those given before the command, else ADOPT_*
    variables, else [tool.adopt] in pyproject.toml, else the defaults (adopt.options)."""
    group = (ctx.obj or {}).get("group_opts", {})
    # Under `flask adopt`, Flask's ScriptInfo knows the app (--app, FLASK_APP, .flaskenv); Flask
    # has imported it then, and otherwise there is none to find: `adopt` itself does not import
    # Flask, a tenth of its start-up, unless the models are a Flask app's.
    flask_cli = sys.modules.get("flask.cli")
    found = ctx.find_object(flask_cli.ScriptInfo) if flask_cli is not None else None
    flags = dict(flags, script_info=found)
    options = Options.resolve(flags, group)
    ctx.obj["json"] = options.as_json
    ctx.obj["verbose"] = options.verbose
    return options


@cli.command(epilog=EXIT_HELP)
@project_options
@click.option("-v", "--verbose", is_flag=True, help="Also list what was set aside as not drift.")
@click.option(
    "--exclude-unmanaged",
    is_flag=True,
    help="Accept database tables that have no model (they stay out of migrations).",
)
@click.option(
    "--scratch",
    metavar="auto|memory|server|URL|none",
    help="Where the tables Alembic's comparison cannot settle are built from the models, "
    "to compare like with like: in-memory SQLite, a temporary database on the live server "
    "(adopt_scratch_*), an empty database URL, or none (a weaker check, said in the report).",
)
@click.pass_context
def check(ctx: click.Context, /, **flags: Any) -> None:
    """Check that the live database matches the models (read-only)."""
    options = _options(ctx, flags)
    project = api.locate(options)
    # Drift (and unmanaged tables, unless accepted) fail the check the way they fail baseline,
    # so a CI gate on 'adopt check' and 'adopt run' agree.
    console, outcome = _in_steps(lambda step: api.check(options, step, project=project))
    failure = outcome.failure
    if failure is not None and not project.is_multi:
        raise failure  # its report is shown with the error
    if options.as_json:
        reports = [(p.bind, c.report.as_dict()) for p, c in outcome.checks]
        payload = json_output.check_payload(reports, project.is_multi)
        if failure is not None:
            failure.report = api.SeveralReports(payload)
            raise failure
        _emit_json("check", 0, **payload)
        return
    directory = str(api.repository_directory(project))
    for part, checked in outcome.checks:
        output.found(console, part, directory)
        output.match_report(console, checked.report, options.verbose)
    if failure is not None:
        raise failure


@cli.command(epilog=EXIT_HELP)
@project_options
@baseline_options
@click.pass_context
def baseline(ctx: click.Context, /, **flags: Any) -> None:
    """Write the baseline revision and prove that it rebuilds the live schema."""
    options = _options(ctx, flags)
    project = api.locate(options)
    if options.from_database:
        console, drifted = _in_steps(
            lambda step: api.baseline_from_database(options, step, project=project)
        )
        if options.as_json:
            _emit_json("baseline", 0, **drifted.as_dict())
            return
        output.drifted_summary(console, drifted)
        console.print(
            f"Review {'both' if drifted.catch_up else 'it'}, then run 'adopt stamp --revision "
            f"{drifted.baseline.revision}' to mark "
            f"{project.live_url} as at the baseline"
            + ("; 'flask db upgrade' then applies the catch-up." if drifted.catch_up else ".")
        )
        return
    console, adoption = _in_steps(lambda step: api.baseline(options, step, project=project))
    if options.as_json:
        _emit_json("baseline", 0, **adoption.as_dict())
        return
    output.baseline_summary(console, adoption)
    where = "each bind's database" if project.is_multi else project.live_url
    console.print(f"Review it, then run 'adopt stamp' to mark {where} as at head.")


def target_options(func: F) -> F:
    """Options that choose the databases to check (and stamp)."""
    decorators = [
        click.argument("target_specs", metavar="[TARGET|URL|env:VAR]...", nargs=-1),
        click.option(
            "--all",
            "all_targets",
            is_flag=True,
            help="Every target under [tool.adopt.targets] in pyproject.toml.",
        ),
        click.option(
            "--targets-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A file with one URL, env:VAR or target name a line.",
        ),
        click.option(
            "--schema",
            "schemas",
            multiple=True,
            metavar="NAME",
            help="PostgreSQL: the tenant schema to check (repeatable).",
        ),
        click.option(
            "--schemas-like",
            metavar="PATTERN",
            help="PostgreSQL: every schema whose name matches this LIKE pattern.",
        ),
        click.option(
            "--bind",
            metavar="NAME",
            help="Project with Flask-SQLAlchemy binds: the bind whose schema the named targets "
            "are checked against ('default' for the default database).",
        ),
        click.option(
            "--jobs",
            type=click.IntRange(1, 64),
            help="Targets handled at once (default: fits the machine).",
        ),
        click.option(
            "--scratch",
            metavar="auto|memory|URL",
            help="Where to build the head schema the targets are checked against: a temporary "
            "database on each target's server (auto), or an empty database of the same dialect "
            "(URL), so production needs no CREATE DATABASE right.",
        ),
        click.option(
            "--timeout",
            type=click.IntRange(1, 3600),
            metavar="SECONDS",
            help="Give up on a target that takes longer to connect or answer.",
        ),
        click.option(
            "--shard",
            metavar="K/N",
            help="Only this job's share of the targets, the K-th of N: the same target always "
            "falls in the same share, and the N shares hold every target once.",
        ),
        click.option(
            "--reference",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Check the targets against the head schema in FILE (written once by 'adopt "
            "reference --out') instead of building it.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@cli.command(epilog=EXIT_HELP)
@project_options
@target_options
@click.option(
    "--force",
    is_flag=True,
    help="Stamp targets that differ from the head schema, after listing the differences.",
)
@click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="Print the SQL that stamping would run, for a DBA; connects to nothing.",
)
@click.option(
    "--upgrade",
    is_flag=True,
    help="After stamping a target at the older revision its schema matches (or finding it "
    "stamped there), run the pending revisions on it through env.py, up to head.",
)
@click.option(
    "--revision",
    metavar="REV",
    help="Stamp this revision instead of the one found, after checking the target against "
    "its schema (for revisions whose schemas are alike).",
)
@click.pass_context
def stamp(ctx: click.Context, /, as_sql: bool, **flags: Any) -> None:
    """Stamp databases, each at the revision whose schema it has, checked first.

    With no TARGET, the live database (the app's configuration or DATABASE_URL): what a
    teammate runs after pulling. A target that matches head is stamped at head; one that
    matches an older revision is stamped there, and --upgrade then applies the rest. Targets
    that match no revision, several alike, or cannot be reached are reported, never stamped;
    the others are stamped concurrently. Exits 0 only if every target ends at head, or
    stamped at a revision it matches."""
    options = _options(ctx, flags)
    if as_sql:
        sql = api.stamp_sql(options)
        if options.as_json:
            _emit_json("stamp", 0, sql=sql)
        else:
            click.echo(sql, nl=False)
        return
    _, results = _in_steps(lambda step: api.stamp(options, step))
    _show_targets(ctx, options, results, "stamp")


def _in_steps(work: Callable[[Callable[[str], None]], T]) -> tuple[Console, T]:
    """Run a verb with its progress shown on a new console; that console and the result."""
    console = output.make_console()
    with output.progress(console) as step:
        return console, work(step)


def _show_targets(
    ctx: click.Context, options: Options, results: list[api.TargetResult], command: str
) -> None:
    code = api.exit_code(results)
    if options.as_json:
        _emit_json(
            command,
            code,
            json_output.targets_error(results),
            targets=json_output.target_results(results),
        )
    else:
        title = {"stamp": "Stamping", "status": "Status", "unstamp": "Unstamping"}[command]
        output.target_results(output.make_console(), results, title)
    ctx.exit(code)


@cli.command("reference", epilog=EXIT_HELP)
@project_options
@target_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Where to write the head schema.",
)
@click.pass_context
def write_reference(ctx: click.Context, /, out: Path, **flags: Any) -> None:
    """Build the head schema once and write it to a file, for the jobs of a fleet.

    It is built in a scratch database on the server of the live database, or of the first
    TARGET (as 'adopt stamp' builds it), then each job of the fleet reads it with 'adopt stamp
    --reference FILE --shard K/N' instead of building it again. Writes nothing to any
    target."""
    options = _options(ctx, flags)
    _, (head, dialect) = _in_steps(lambda step: api.reference(options, out, step))
    if options.as_json:
        _emit_json("reference", 0, path=str(out), head=head, dialect=dialect)
    else:
        click.echo(f"Wrote the head schema ({head}, {dialect}) to {out}.")


@cli.command(epilog=EXIT_HELP)
@project_options
@baseline_options
@click.option("--yes", is_flag=True, help="Required: run every step without asking.")
@click.pass_context
def run(ctx: click.Context, /, yes: bool, **flags: Any) -> None:
    """Check, write and verify the baseline, and stamp the live database: no prompts."""
    options = _options(ctx, flags)
    if not yes:
        raise AdoptUsageError(
            "'adopt run' changes files and the live database's alembic_version; "
            "pass --yes to confirm (or run 'adopt' for the wizard)."
        )
    console = output.make_console()
    announce = (lambda _line: None) if options.as_json else console.print
    with output.progress(console) as step:  # the announcement goes to this console too
        outcome = api.run(options, step, announce=announce)
    code = api.exit_code(outcome.results)
    if options.as_json:  # one document, once the run has ended
        found = (
            outcome.adoption.as_dict()
            if outcome.adoption
            else outcome.drifted.as_dict()
            if outcome.drifted
            else dict(
                repository=str(outcome.repository.directory),
                check=None,
                baseline=None,
                verification=None,
            )
        )
        _emit_json(
            "run",
            code,
            json_output.targets_error(outcome.results),
            **found,
            stamp=json_output.target_results(outcome.results),
        )
    else:
        if outcome.adoption:
            output.baseline_summary(console, outcome.adoption)
        if outcome.drifted:
            output.drifted_summary(console, outcome.drifted)
        output.target_results(console, outcome.results, "Stamping")
    ctx.exit(code)


@cli.command(epilog=EXIT_HELP)
@project_options
@target_options
@click.pass_context
def status(ctx: click.Context, /, **flags: Any) -> None:
    """Show each target's revision and whether it matches the head schema.

    Writes nothing to a target's tables or alembic_version, but builds the schema of the
    revisions in a scratch database: by default a temporary adopt_scratch_* database created
    on each target's server (CREATE DATABASE there) and dropped at the end; --scratch URL
    (an empty database elsewhere) or --scratch memory (SQLite) keeps it off that server.

    Each stamped target is compared with its own revision's schema: pending revisions are
    listed, not drift. Exits 0 only if every target is at head, or behind it at a revision
    whose schema it has."""
    options = _options(ctx, flags)
    _, results = _in_steps(lambda step: api.status(options, step))
    _show_targets(ctx, options, results, "status")


@cli.command(epilog=EXIT_HELP)
@project_options
@click.argument("target_specs", metavar="[TARGET|URL|env:VAR]...", nargs=-1)
@click.option(
    "--all",
    "all_targets",
    is_flag=True,
    help="Every target under [tool.adopt.targets] in pyproject.toml.",
)
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    metavar="NAME",
    help="PostgreSQL: the tenant schema to unstamp (repeatable).",
)
@click.option(
    "--timeout",
    type=click.IntRange(1, 3600),
    metavar="SECONDS",
    help="Give up on a target that takes longer to connect or answer.",
)
@click.pass_context
def unstamp(ctx: click.Context, /, **flags: Any) -> None:
    """Undo adopt's stamp: put back what alembic_version held before it.

    With no TARGET, the live database. Only a stamp that the audit trail ([tool.adopt] audit:
    adopt-stamps.jsonl or the adopt_stamp_log table) shows adopt wrote is undone, and only
    while alembic_version still reads the revision it wrote: a database that moved on since
    (migrated, stamped by hand) is refused. Under the stamp's lock; recorded in the audit.
    Writes only alembic_version (and the audit)."""
    options = _options(ctx, flags)
    _show_targets(ctx, options, api.unstamp(options), "unstamp")


@cli.command(epilog=EXIT_HELP)
@project_options
@click.option("--dry-run", is_flag=True, help="Only list what would be dropped.")
@click.pass_context
def clean(ctx: click.Context, /, dry_run: bool, **flags: Any) -> None:
    """Drop scratch databases (adopt_scratch_*) that a killed run left on the live server.

    Only databases carrying adopt's name prefix and marker, and whose run is gone, are
    dropped: a running adopt holds a lock on its scratch database. Every run also drops
    abandoned ones by itself."""
    options = _options(ctx, flags)
    names, busy = api.clean(options, dry_run=dry_run)
    if options.as_json:
        _emit_json("clean", 0, dry_run=dry_run, databases=names, in_use=busy)
        return
    verb = "Would drop" if dry_run else "Dropped"
    if names:
        click.echo(f"{verb} {counted(len(names), 'scratch database')}: " + ", ".join(names))
    else:
        click.echo("No scratch database left behind on this server.")
    if busy:
        click.echo(f"Left alone, in use by a running adopt: {', '.join(busy)}")


@cli.command("config", epilog=EXIT_HELP)
@project_options
@baseline_options
@click.pass_context
def show_config(ctx: click.Context, /, **flags: Any) -> None:
    """Show the effective settings and where each came from (passwords hidden).

    Precedence: command-line flags, then ADOPT_* environment variables (ADOPT_APP,
    ADOPT_MODELS, ADOPT_URL, ADOPT_DIRECTORY, ADOPT_IMPORT, ADOPT_SCRATCH, ADOPT_MESSAGE,
    ADOPT_JOBS, ADOPT_TIMEOUT, ADOPT_AUDIT), then [tool.adopt] in pyproject.toml, then the
    defaults. Named targets come from [tool.adopt.targets]."""
    options = _options(ctx, flags)
    resolved = options.sources
    project_config = api.project_config()
    targets, binds = project_config.targets, project_config.binds
    if options.as_json:
        _emit_json(
            "config",
            0,
            settings={
                k: {"value": json_output.setting_value(k, s.value), "source": s.source}
                for k, s in resolved.items()
            },
            targets={name: json_output.shown_spec(v) for name, v in targets.items()},
            binds={
                name: {"models": m, "url": json_output.shown_spec(u)}
                for name, (m, u) in binds.items()
            },
        )
        return
    output.settings_table(output.make_console(), resolved.values(), targets, binds)


def main() -> None:
    """Entry point for the console script and python -m adopt."""
    try:
        cli(prog_name="adopt")
    except SystemExit as done:
        _exit_despite_threads(done)
        raise


def _exit_despite_threads(done: SystemExit) -> None:
    """End the process now if the project's code left threads running: Python would wait for
    every non-daemon thread before exiting, and one that never ends (a scheduler started at
    import) would hang the command after its verdict. The atexit handlers still run; only
    the wait for those threads is skipped."""
    left = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not left:
        return
    code = done.code
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")  # sys.exit("message") prints it and exits 1
        code = 1
    names = ", ".join(sorted(t.name for t in left))
    output.note(
        f"The project's code left {counted(len(left), 'thread')} running ({names}): adopt has "
        "finished and exits without waiting for them."
    )
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code or 0)


def _fail(ctx: click.Context, /, exc: AdoptError) -> int:
    obj = ctx.obj or {}
    if obj.get("traceback"):
        traceback.print_exception(exc)
    report = getattr(exc, "report", None)
    message = scrub(str(exc))  # the last guard: no secret in any message, whatever raised it
    if obj.get("json"):
        payload = json_output.report_payload(report) if report is not None else {}
        _emit_json(_command_name(ctx), exc.exit_code, message, **payload)
    elif report is not None:
        console = output.make_console()
        if isinstance(report, api.Verification):
            output.verification(console, report)
        elif isinstance(report, api.MatchReport):
            output.match_report(console, report, verbose=bool(obj.get("verbose")))
    output.error(message)
    return exc.exit_code


def _command_name(ctx: click.Context) -> str:
    """The command that ran under the group's context (the group's own name without one)."""
    return ctx.invoked_subcommand or "adopt"
