"""The interactive wizard: the pipeline, one question at a time, review included.

It asks through a small Prompter protocol (questionary on a terminal, a script in tests) and
shows through adopt.ui.output; all the work is done by the verbs of adopt.api, with the same
`Options` the commands build."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.markup import escape

from adopt import api
from adopt.api import Adoption
from adopt.api import Checked
from adopt.api import Difference
from adopt.api import DriftedAdoption
from adopt.api import Project
from adopt.api import Target
from adopt.api import TargetResult
from adopt.errors import AdoptError
from adopt.errors import DriftError
from adopt.errors import UsageError
from adopt.options import Options
from adopt.ui import output
from adopt.urls import hide_password
from adopt.urls import parse_url
from adopt.wording import counted

TYPED = "what you typed"  # where a URL typed at a prompt came from ("from what you typed")


@dataclass(frozen=True)
class Choice:
    value: str
    title: str


class Prompter(Protocol):
    def confirm(self, message: str, default: bool = True) -> bool: ...
    def select(self, message: str, choices: list[Choice], default: str | None = None) -> str: ...
    def text(self, message: str, default: str = "") -> str: ...
    def edit(self, path: Path) -> None: ...
    def secret(self, message: str) -> str: ...


class Stopped(AdoptError):
    """The person chose to stop; what this run wrote has been removed."""

    exit_code = 1


class NotAllStamped(AdoptError):
    """The adoption is done, but a database was not stamped: the exit code is the stamp's
    (4 when one could not be reached)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


_ABORT_BOTH = "Abort (remove both and what this run created)"


class Wizard:
    def __init__(self, prompter: Prompter, console: Console, options: Options) -> None:
        self.ask = prompter
        self.console = console
        self.options = options  # as given, then as answered
        self.url_typed = False  # the live database's URL was typed at a prompt
        self.adoption: Adoption | None = None  # the accepted baseline and its verification
        self.chosen: dict[str, str] = {}  # what the person chose, for [tool.adopt]
        self.results: list[TargetResult] = []  # the stamp of every database
        self.revision: str | None = None  # stamped instead of head: a drifted database's baseline

    def run(self) -> None:
        project = self.found()
        checked = self.check(project)
        choice = self.scratch_choice(project)
        if self.options.from_database:
            adopted = self.review_drifted(project, checked[0], choice)
            self.revision = adopted.baseline.revision
            self.targets(project)
            self.remember(project)
            self.next_steps(
                project, adopted.repository.directory, catch_up=adopted.catch_up is not None
            )
            self.require_all_stamped()
            return
        adoption = self.review(project, checked, choice)
        self.adoption = adoption
        self.targets(project)
        self.remember(project)
        self.next_steps(project, adoption.repository.directory)
        self.require_all_stamped()

    # 1. what was found ---------------------------------------------------------------------------

    def found(self) -> Project:
        while True:
            self.console.rule("1. What was found")
            try:
                project = self._typed_origin(api.locate(self.options))
            except UsageError as exc:
                if not self._can_pick(exc):
                    raise
                # The source shows apps and bases that the usual places (app.py, FLASK_APP)
                # do not name: offer them rather than stop.
                self.console.print(f"[yellow]![/yellow] {escape(str(exc))}")
                self._use_models(*self._pick_models())
                continue
            for part in project.parts():
                output.found(self.console, part, self._directory(project))
            if (self.options.app or self.options.models) and self.options.url:
                return project  # both known (given as flags, or answered): nothing to confirm
            answer = self.ask.select(
                "Is this right?",
                [
                    Choice("yes", "Yes, go on"),
                    Choice("models", "Use other models (a Flask app or module:Base)"),
                    Choice("url", "Use another live database URL"),
                ],
                default="yes",
            )
            if answer == "yes":
                return project
            if answer == "models":
                self._use_models(*self._pick_models())
            else:
                url = self._ask_url()
                self.options = self.options.but(url=url)
                self.url_typed = True
                self.chosen["url"] = url

    def _can_pick(self, exc: UsageError) -> bool:
        given = self.options.app or self.options.models
        return not given and str(exc).startswith("No models found") and bool(api.candidates())

    def _use_models(self, kind: str, spec: str) -> None:
        self.options = self.options.but(app=None, models=None).but(**{kind: spec})
        self.chosen.pop("app", None)
        self.chosen.pop("models", None)
        self.chosen[kind] = spec

    def _ask_url(self) -> str:
        """A URL, its password asked apart and unseen: the scrollback never holds it."""
        typed = self.ask.text("Live database URL (without the password; it is asked next):")
        url = parse_url(typed.strip())
        if url.username and url.password is None:
            password = self.ask.secret(f"Password of {url.username} (empty for none):")
            if password:
                url = url.set(password=password)
        return url.render_as_string(hide_password=False)

    def _typed_origin(self, project: Project) -> Project:
        if not self.url_typed:
            return project
        return replace(project, live=replace(project.live, origin=TYPED))

    def _pick_models(self) -> tuple[str, str]:
        """Choose among the apps and bases found in the source, or type one in."""
        found = api.candidates()
        choices = [Choice(f"{c.kind} {c.spec}", f"{c.spec}  ({c.what})") for c in found]
        choices.append(Choice("type", "Type it in"))
        answer = self.ask.select("Which models?", choices, default=choices[0].value)
        if answer != "type":
            kind, spec = answer.split(" ", 1)
            return kind, spec
        spec = self.ask.text(
            "Flask app (module, module:app, module:create_app()) or "
            "module:Base for plain SQLAlchemy:"
        ).strip()
        return ("models" if _looks_like_models(spec) else "app"), spec

    def _directory(self, project: Project) -> str:
        return str(api.repository_directory(project))

    # 2. the match check --------------------------------------------------------------------------

    def check(self, project: Project) -> list[Checked]:
        """The match check of every database (one without binds)."""
        self.console.rule("2. Does the live database match the models?")
        with output.progress(self.console) as step:
            outcome = api.check(self.options, step, project=project)
        checks = outcome.checked
        for part, checked in outcome.checks:
            if part.bind_label:
                self.console.print(f"[bold]{escape(part.bind_label)}[/bold]")
            output.match_report(self.console, checked.report, verbose=False)
        drifted = any(c.report.differences for c in checks)
        if drifted and not self.options.accept_differences:
            self._drifted(project, [d for c in checks for d in c.report.differences])
        unmanaged = sorted({name for c in checks for name in c.report.unmanaged})
        self._unmanaged(unmanaged)
        return checks

    def _drifted(self, project: Project, differences: list[Difference]) -> None:
        """A database that differs from its models: stop, or adopt it as it is with a catch-up
        to the models, each difference decided one way or the other."""
        if not self.options.from_database:
            answer = "stop"
            if not project.is_multi:
                answer = self.ask.select(
                    "What now?",
                    [
                        Choice("stop", "Stop here (fix the differences, then run adopt again)"),
                        Choice(
                            "database",
                            "Adopt the database as it is: a baseline of what it has, and a "
                            "catch-up migration to the models for 'flask db upgrade'",
                        ),
                    ],
                    default="stop",
                )
            if answer == "stop":
                raise DriftError(
                    "Stopped: the live database differs from the models. Fix the "
                    "differences above, then run adopt again."
                )
        kept = list(self.options.accept_database)
        if not (self.options.accept_database or self.options.accept_models):
            for difference in differences:
                key = api.decision_key(difference)
                answer = self.ask.select(
                    f"{key}: {difference.detail}",
                    [
                        Choice("models", "As the models say (the catch-up changes the database)"),
                        Choice("database", "As the database has it (you change the model)"),
                    ],
                    default="models",
                )
                if answer == "database":
                    kept.append(key)
        self.options = self.options.but(from_database=True, accept_database=tuple(kept))

    def _unmanaged(self, unmanaged: list[str]) -> None:
        """Tables without models: stop, or leave them out of migrations (env.py filter)."""
        if not unmanaged or self.options.exclude_unmanaged:
            return
        filter_line = api.unmanaged_filter(unmanaged)
        answer = self.ask.select(
            "What now?",
            [
                Choice("stop", "Stop here (add models for these tables first)"),
                Choice(
                    "exclude",
                    f"Go on, leaving the {counted(len(unmanaged), 'unmanaged table')} out of "
                    "migrations",
                ),
            ],
            default="stop",
        )
        if answer != "exclude":
            raise Stopped("Stopped at the match check; nothing was written.")
        self.console.print("env.py will get this filter, so autogenerate never touches them:")
        self.console.print(f"  {escape(filter_line)}")
        self.options = self.options.but(exclude_unmanaged=True)

    # 3. the scratch database ---------------------------------------------------------------------

    def scratch_choice(self, project: Project) -> str:
        self.console.rule("3. Scratch database")
        given = self.options.scratch
        for part, plan in api.scratch_plan(project, given):
            where = f" for the {part.bind_label}" if part.bind_label else ""
            self.console.print(
                f"Generating{where} against {escape(plan.label)}: {escape(plan.reason)}."
            )
        if given != "auto" or project.is_multi:
            return str(given)
        options = [
            Choice("auto", f"{plan.label} (recommended)"),
            Choice("url", "An empty database I name (URL)"),
        ]
        answer = self.ask.select("Use it?", options, default="auto")
        if answer == "url":
            return self._ask_scratch_url()
        return answer

    def _ask_scratch_url(self) -> str:
        typed = self.ask.text("Empty scratch database URL (without the password):").strip()
        url = parse_url(typed)
        if url.username and url.password is None:
            password = self.ask.secret(f"Password of {url.username} (empty for none):")
            if password:
                url = url.set(password=password)
        return url.render_as_string(hide_password=False)

    # 4. review -----------------------------------------------------------------------------------

    def review(self, project: Project, checked: list[Checked], scratch_choice: str) -> Adoption:
        self.console.rule("4. Review the baseline")
        message = self.options.message
        adoption = self._generate(project, checked, scratch_choice, message)
        try:
            while True:
                output.script(self.console, adoption.baseline.text)
                output.baseline_summary(self.console, adoption)
                answer = self.ask.select(
                    "Your verdict on the baseline?",
                    [
                        Choice("accept", "Accept it"),
                        Choice("edit", "Open it in $EDITOR, then verify again"),
                        Choice("regenerate", "Regenerate it with another message"),
                        Choice("abort", "Abort (remove the baseline and what this run created)"),
                    ],
                    default="accept",
                )
                if answer == "accept":
                    if adoption.passed or self.ask.confirm(
                        "The verification found differences. Keep this baseline anyway?",
                        default=False,
                    ):
                        return adoption
                elif answer == "edit":
                    self.ask.edit(adoption.baseline.path)
                    with output.progress(self.console) as step:
                        adoption = api.reverify(project, adoption, step)
                elif answer == "regenerate":
                    message = self.ask.text("Message for the baseline:", default=message).strip()
                    api.discard(adoption)
                    adoption = self._generate(
                        project, checked, scratch_choice, message or "baseline"
                    )
                else:
                    api.discard(adoption)
                    raise Stopped(
                        "Aborted at review; the baseline (and any repository this run "
                        "created) was removed."
                    )
        except BaseException as exc:
            if not isinstance(exc, Stopped) and adoption.baseline.path.exists():
                api.discard(adoption)
            raise

    def _generate(
        self,
        project: Project,
        checked: list[Checked],
        scratch_choice: str,
        message: str,
    ) -> Adoption:
        options = self.options.but(scratch=scratch_choice, message=message)
        with output.progress(self.console) as step:
            return api.baseline(options, step, project=project, checked=checked)

    def review_drifted(
        self, project: Project, checked: Checked, scratch_choice: str
    ) -> DriftedAdoption:
        """Both revisions of a drifted database, written and proven, then accepted or removed."""
        self.console.rule("4. Review the baseline and the catch-up")
        options = self.options.but(scratch=scratch_choice)
        with output.progress(self.console) as step:
            adopted = api.baseline_from_database(options, step, project=project, checked=checked)
        try:
            for revision in (adopted.baseline, adopted.catch_up):
                if revision is not None:
                    output.script(self.console, revision.text)
            output.drifted_summary(self.console, adopted)
            verdict = [Choice("accept", "Accept them"), Choice("abort", _ABORT_BOTH)]
            answer = self.ask.select("Your verdict on the two revisions?", verdict, "accept")
        except BaseException:
            api.discard_drifted(adopted)
            raise
        if answer != "accept":
            api.discard_drifted(adopted)
            raise Stopped(
                "Aborted at review; both revisions (and any repository this run created) were "
                "removed."
            )
        return adopted

    # 5. targets ----------------------------------------------------------------------------------

    def targets(self, project: Project) -> None:
        self.console.rule("5. Stamp the databases")
        urls: list[str | None] = []
        stamp_live = self.options.stamp_live
        flagged = stamp_live is not None  # --stamp/--no-stamp answered this step
        if stamp_live is None:
            what = (
                "live databases (every bind's)"
                if project.is_multi
                else f"live database ({hide_password(project.live_url)})"
            )
            at = f"the baseline {self.revision}" if self.revision else "head"
            stamp_live = self.ask.confirm(f"Stamp the {what} at {at} now?")
        if project.is_multi:
            # Other copies belong to one bind each: 'adopt stamp --bind NAME URL' says which.
            results = self._stamp(project, None) if stamp_live else []
            if results:
                output.target_results(self.console, results, "Stamping")
            self.results = results
            return
        if stamp_live:
            urls.append(None)
        given = list(self.options.extra_targets)
        urls.extend(given)
        while not given and not flagged:
            more = self.ask.text(
                "Another database to check and stamp (URL, empty to finish):"
            ).strip()
            if not more:
                break
            urls.append(more)
        chosen = [
            api.live_target(project) if url is None else api.resolve_target(url) for url in urls
        ]
        if not chosen:
            return
        results = self._stamp(project, chosen)
        output.target_results(self.console, results, "Stamping")
        self.results = results

    def _stamp(self, project: Project, chosen: list[Target] | None) -> list[TargetResult]:
        # The wizard stamps at the head it just proved, without --force: with the schema its
        # verification built (no scratch database needed), on the live database's server.
        options = self.options.but(
            scratch="auto", force=False, upgrade=False, revision=self.revision
        )
        with output.progress(self.console) as step:
            return api.stamp(
                options, step, project=project, chosen=chosen or [], adoption=self.adoption
            )

    # 6. what was chosen, remembered -----------------------------------------------------------

    def remember(self, project: Project) -> None:
        """Write the choices into [tool.adopt], and show them, so the next steps work as printed.
        A URL with a password is never written: the person is told to export it instead."""
        values = dict(self.chosen)
        given = {"app": self.options.app, "models": self.options.models}
        named = next((k for k, v in given.items() if v), None)
        if named and not ({"app", "models"} & set(values)):
            values[named] = str(given[named])  # named on the command line: kept too
        if self.options.directory:
            values["directory"] = str(self.options.directory)
        url = values.pop("url", None)
        if url and parse_url(url).password is None:
            values["url"] = url
        if not values:
            return
        path = Path("pyproject.toml")
        self.console.print(f"Saved in [tool.adopt] of {escape(str(path.resolve()))}:")
        self.console.print(escape(api.remember(path, values)))

    def require_all_stamped(self) -> None:
        code = api.exit_code(self.results) if self.results else 0
        if code:
            left = [r.target for r in self.results if not r.ok]
            raise NotAllStamped("Not stamped: " + "; ".join(left) + ".", code)

    # 7. next steps -------------------------------------------------------------------------------

    def next_steps(self, project: Project, directory: Path, *, catch_up: bool = False) -> None:
        self.console.rule("7. Next steps")
        where = "" if Path.cwd() == directory.parent else f" (in {directory.parent})"
        self.console.print(
            f"- Commit {escape(str(directory.name))}/{escape(where)}: it now holds the "
            "reviewed baseline" + (" and the catch-up." if catch_up else ".")
        )
        if catch_up:
            self.console.print(
                "- Once the live database is stamped at the baseline, 'flask db upgrade' "
                "applies the catch-up, when you are ready (after the data work the review "
                "listed, if any)."
            )
        self.console.print(
            "- Teammates: after pulling, run 'adopt stamp --upgrade': it stamps their local "
            "database at the revision whose schema it has, then applies the newer ones."
        )
        self.console.print(
            "- Production: 'adopt stamp --url URL' from a machine that reaches it "
            "(it checks before it writes), or hand a DBA the SQL of 'adopt stamp --sql'."
        )
        # Flask finds app.py and wsgi.py on its own; an app picked here needs naming.
        app = self.chosen.get("app")
        upgrade = f"flask --app '{app}' db upgrade" if app else "flask db upgrade"
        self.console.print(
            "- Deploy scripts: 'adopt run --yes' is safe on every deploy (it stamps a database "
            f"that matches and writes nothing once adopted); then {escape(repr(upgrade))}."
        )
        url = self.chosen.get("url")
        if url and parse_url(url).password is not None:
            self.console.print(
                "- The URL you typed holds a password, so it was not saved: export it as "
                "ADOPT_URL before the commands above."
            )
        self.console.print(
            "- Commit adopt-stamps.jsonl (the audit of each stamp: who, when, what was there "
            "before; 'adopt unstamp' reads it), or choose audit = 'table' in [tool.adopt]."
        )
        for r in self.results:
            if not r.ok:
                self.console.print(
                    f"- Not stamped: {escape(r.target)} ({escape(r.outcome)}); once it is "
                    "fixed, run 'adopt stamp' with its URL."
                )


def _looks_like_models(spec: str) -> bool:
    # module:Base / module:metadata name models; module:create_app() or module:app name an app.
    attr = spec.partition(":")[2]
    return bool(attr) and not attr.endswith(")") and attr not in ("app", "application")
