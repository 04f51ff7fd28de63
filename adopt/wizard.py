"""The interactive wizard: the pipeline, one question at a time, review included.

It asks through a small Prompter protocol (questionary on a terminal, a script in tests) and
shows through adopt.output; all the work is done by adopt.pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Protocol

from rich.console import Console
from rich.markup import escape

from adopt import audit
from adopt import config
from adopt import discovery
from adopt import output
from adopt import pipeline
from adopt import repository
from adopt import scratch
from adopt import targets
from adopt.errors import AdoptError
from adopt.errors import DriftError
from adopt.targets import Target


@dataclass(frozen=True)
class Choice:
    value: str
    title: str


class Prompter(Protocol):
    def confirm(self, message: str, default: bool = True) -> bool: ...
    def select(self, message: str, choices: list[Choice], default: str | None = None) -> str: ...
    def text(self, message: str, default: str = "") -> str: ...
    def edit(self, path: Path) -> None: ...


class Stopped(AdoptError):
    """The person chose to stop; what this run wrote has been removed."""

    exit_code = 1


class Wizard:
    def __init__(self, prompter: Prompter, console: Console, opts: dict[str, Any]) -> None:
        self.ask = prompter
        self.console = console
        self.opts = opts
        self.reference: Any = None  # the head schema the review's verification built

    def run(self) -> None:
        project = self.found()
        checked = self.check(project)
        choice = self.scratch_choice(project)
        adoption = self.review(project, checked, choice)
        self.reference = pipeline.head_reference(adoption)
        self.targets(project)
        self.next_steps(project, adoption)

    # 1. what was found ---------------------------------------------------------------------------

    def found(self) -> pipeline.Project:
        opts = dict(self.opts)
        while True:
            self.console.rule("1. What was found")
            project = self._locate(opts)
            for part in project.parts():
                output.found(self.console, part, self._directory(project))
            if (opts.get("app") or opts.get("models")) and opts.get("url"):
                return project  # both given as flags: nothing to confirm
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
                kind, spec = self._pick_models()
                opts.update(app=None, models=None)
                opts[kind] = spec
            else:
                opts["url"] = self.ask.text("Live database URL:").strip()

    def _pick_models(self) -> tuple[str, str]:
        """Choose among the apps and bases found in the source, or type one in."""
        found = discovery.candidates()
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

    def _locate(self, opts: dict[str, Any]) -> pipeline.Project:
        return pipeline.locate(
            app=opts.get("app"),
            models=opts.get("models"),
            url=opts.get("url"),
            imports=tuple(opts.get("imports") or ()),
            directory=opts.get("directory"),
            script_info=opts.get("script_info"),
            excluded_binds=tuple(opts.get("exclude_binds") or ()),
        )

    def _directory(self, project: pipeline.Project) -> str:
        return str(repository.directory_for(project.models, project.directory))

    # 2. the match check --------------------------------------------------------------------------

    def check(self, project: pipeline.Project) -> list[pipeline.Checked]:
        """The match check of every database (one without binds)."""
        self.console.rule("2. Does the live database match the models?")
        with output.progress(self.console) as step:
            choice = self.opts.get("scratch") or "auto"
            checks = [pipeline.check(part, step, scratch=choice) for part in project.parts()]
        for part, checked in zip(project.parts(), checks, strict=True):
            if part.bind_label:
                self.console.print(f"[bold]{escape(part.bind_label)}[/bold]")
            output.match_report(self.console, checked.report, verbose=False)
        if any(c.report.differences for c in checks) and not self.opts.get("accept_differences"):
            raise DriftError(
                "Stopped: the live database differs from the models. Fix the "
                "differences above, then run adopt again."
            )
        unmanaged = sorted({name for c in checks for name in c.report.unmanaged})
        self._unmanaged(unmanaged)
        return checks

    def _unmanaged(self, unmanaged: list[str]) -> None:
        """Tables without models: stop, or leave them out of migrations (env.py filter)."""
        if not unmanaged or self.opts.get("exclude_unmanaged"):
            return
        filter_line = repository.unmanaged_filter_text(unmanaged)
        answer = self.ask.select(
            "What now?",
            [
                Choice("stop", "Stop here (add models for these tables first)"),
                Choice(
                    "exclude",
                    f"Go on, leaving the {len(unmanaged)} unmanaged table(s) out of migrations",
                ),
            ],
            default="stop",
        )
        if answer != "exclude":
            raise Stopped("Stopped at the match check; nothing was written.")
        self.console.print("env.py will get this filter, so autogenerate never touches them:")
        self.console.print(f"  {escape(filter_line)}")
        self.opts["exclude_unmanaged"] = True

    # 3. the scratch database ---------------------------------------------------------------------

    def scratch_choice(self, project: pipeline.Project) -> str:
        self.console.rule("3. Scratch database")
        given = self.opts.get("scratch") or "auto"
        for part in project.parts():
            plan = scratch.plan(part.live.url, given)
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
            return self.ask.text("Empty scratch database URL:").strip()
        return answer

    # 4. review -----------------------------------------------------------------------------------

    def review(
        self, project: pipeline.Project, checked: list[pipeline.Checked], scratch_choice: str
    ) -> pipeline.Adoption:
        self.console.rule("4. Review the baseline")
        message = self.opts.get("message") or "baseline"
        adoption = self._generate(project, checked, scratch_choice, message)
        try:
            while True:
                output.script(self.console, adoption.baseline)
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
                        adoption = pipeline.reverify(project, adoption, step)
                elif answer == "regenerate":
                    message = self.ask.text("Message for the baseline:", default=message).strip()
                    pipeline.discard(adoption)
                    adoption = self._generate(
                        project, checked, scratch_choice, message or "baseline"
                    )
                else:
                    pipeline.discard(adoption)
                    raise Stopped(
                        "Aborted at review; the baseline (and any repository this run "
                        "created) was removed."
                    )
        except BaseException as exc:
            if not isinstance(exc, Stopped) and adoption.baseline.path.exists():
                pipeline.discard(adoption)
            raise

    def _generate(
        self,
        project: pipeline.Project,
        checked: list[pipeline.Checked],
        scratch_choice: str,
        message: str,
    ) -> pipeline.Adoption:
        with output.progress(self.console) as step:
            return pipeline.baseline(
                project,
                scratch=scratch_choice,
                message=message,
                rev_id=self.opts.get("rev_id"),
                accept_differences=bool(self.opts.get("accept_differences")),
                exclude_unmanaged=bool(self.opts.get("exclude_unmanaged")),
                checked=checked,
                progress=step,
            )

    # 5. targets ----------------------------------------------------------------------------------

    def targets(self, project: pipeline.Project) -> None:
        self.console.rule("5. Stamp the databases")
        urls: list[str | None] = []
        stamp_live = self.opts.get("stamp_live")
        flagged = stamp_live is not None  # --stamp/--no-stamp answered this step
        if stamp_live is None:
            what = (
                "live databases (every bind's)"
                if project.is_multi
                else f"live database ({project.live_url})"
            )
            stamp_live = self.ask.confirm(f"Stamp the {what} at head now?")
        if project.is_multi:
            # Other copies belong to one bind each: 'adopt stamp --bind NAME URL' says which.
            results = self._stamp(project, None) if stamp_live else []
            if results:
                output.target_results(self.console, results, "Stamping")
            return
        if stamp_live:
            urls.append(None)
        given = list(self.opts.get("extra_targets") or ())
        urls.extend(given)
        while not given and not flagged:
            more = self.ask.text(
                "Another database to check and stamp (URL, empty to finish):"
            ).strip()
            if not more:
                break
            urls.append(more)
        named = config.load().targets
        chosen = [
            pipeline.live_database_target(project) if url is None else targets.resolve(url, named)
            for url in urls
        ]
        if not chosen:
            return
        results = self._stamp(project, chosen)
        output.target_results(self.console, results, "Stamping")

    def _stamp(self, project: pipeline.Project, chosen: list[Target] | None) -> list[Any]:
        with output.progress(self.console) as step:
            return pipeline.stamp_targets(
                project,
                chosen,
                jobs=self.opts.get("jobs"),
                timeout=self.opts.get("timeout"),
                audit_choice=audit.validate(str(self.opts.get("audit") or audit.DEFAULT)),
                reference=self.reference,
                progress=step,
            )

    # 6. next steps -------------------------------------------------------------------------------

    def next_steps(self, project: pipeline.Project, adoption: pipeline.Adoption) -> None:
        self.console.rule("6. Next steps")
        directory = adoption.repository.directory
        where = "" if Path.cwd() == directory.parent else f" (in {directory.parent})"
        self.console.print(
            f"- Commit {escape(str(directory.name))}/{escape(where)}: it now holds the "
            "reviewed baseline."
        )
        self.console.print(
            "- Teammates: after pulling, run 'adopt stamp --upgrade': it stamps their local "
            "database at the revision whose schema it has, then applies the newer ones."
        )
        self.console.print(
            "- Production: 'adopt stamp --url URL' from a machine that reaches it "
            "(it checks before it writes), or hand a DBA the SQL of 'adopt stamp --sql'."
        )
        self.console.print(
            "- Deploy scripts: 'adopt run --yes' is safe on every deploy (it stamps a database "
            "that matches and writes nothing once adopted); then 'flask db upgrade'."
        )


def _looks_like_models(spec: str) -> bool:
    # module:Base / module:metadata name models; module:create_app() or module:app name an app.
    attr = spec.partition(":")[2]
    return bool(attr) and not attr.endswith(")") and attr not in ("app", "application")
