"""adopt on real open-source model sets: every combination of set and dialect adopted with the
public CLI as a new user would, and the result judged strictly by an independent comparison.

    .venv/bin/python corpus/run.py [--sets a,b] [--dialects sqlite,postgresql,mariadb] [--fast]
                                   [--jobs N] [--markdown PATH | --no-markdown]

Each set (corpus/sets/<name>.py) names the packages it needs, pinned (REQUIREMENTS), the
dialects its project supports (DIALECTS, with the reason for any left out in UNSUPPORTED), and
exposes the project's own models: `metadata`, or, for a Flask set (FLASK = True), a
`create_app()` factory. For each set a virtual environment of its own is made under
corpus/.venvs/<name> (the projects' pins clash), reused while its requirements and adopt's
pyproject.toml are unchanged, with the set's packages and adopt itself from this repository
(`pip install -e REPO[postgres,mysql]`). Then, on each dialect the set supports:

1. build: the legacy database is built with `create_all` from the project's models (in the
   set's environment, corpus/build.py) and given a few rows where the set has a `seed()`;
2. check: `adopt check --json` must report no difference (a database built from the very
   models matches them by construction, so any difference is a false alarm);
3. run: `adopt run --yes --json` in a fresh project folder must exit 0 (Flask sets: `--app
   'set:create_app()'`, the URL from the app; plain sets: `--models set:metadata --url URL`);
4. replay: the migrations adopt wrote are replayed into a new empty database of the same
   dialect with plain Alembic (`alembic upgrade head`, or `flask db upgrade` for Flask sets),
   and that database is compared with the live one strictly by corpus/judge.py, which reads
   the servers' catalogs itself;
5. drift: a second legacy database is changed by hand (corpus/drift.py: an index dropped, a
   column widened, a column added, a default set, a foreign key dropped) and `adopt check
   --json` must name each drifted object.

Every command's output is kept under corpus/.results/<set>/<dialect>/ (the project folder
with the migrations adopt wrote, check.json, run.json, replay.log, judge.json). Prints one
table and, for a run of every set, writes it into docs/corpus.md. Exits 1 when a combination
is not exact. PostgreSQL and MariaDB are expected on 127.0.0.1 (user root, no password), as for
the test suite; the databases made here are named corpus_<set>_<random> and dropped after."""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SETS = HERE / "sets"
RESULTS = HERE / ".results"
DOC = REPO / "docs" / "corpus.md"
MARK = "<!-- corpus table: written by corpus/run.py -->"
SERVERS = {
    "postgresql": "postgresql+psycopg://root@127.0.0.1:5432/postgres",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/mysql",
}
ALL_DIALECTS = ["sqlite", "postgresql", "mariadb"]
# The CI slice: light installs, a plain SQLAlchemy Core table, library column types, and a
# Flask app with Flask-Migrate, on the three dialects.
FAST = ["apscheduler_jobstore", "sqlalchemy_utils_types", "flask_dance_oauth"]
TIMEOUT = 900

_print_lock = threading.Lock()


@dataclass
class SetInfo:
    name: str
    requirements: list[str]
    dialects: list[str]
    kind: str
    flask: bool
    unsupported: dict[str, str]
    doc: str


@dataclass
class Outcome:
    set: str
    dialect: str
    tables: int | None = None
    rows: int | None = None
    check_exit: int | None = None
    check_differences: int | None = None
    run_exit: int | None = None
    replay_exit: int | None = None
    equal: bool | None = None
    drifts: int | None = None  # drifts made by hand on a second legacy database
    drifts_named: int | None = None  # of those, named with the right object by adopt check
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return (
            self.check_differences == 0
            and self.run_exit == 0
            and self.equal is True
            and self.drifts is not None  # the drift step ran to its end
            and self.drifts_named == self.drifts
        )


def log(message: str) -> None:
    with _print_lock:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def set_info(name: str) -> SetInfo:
    """A set's constants, read without importing it (its packages live in its own venv)."""
    path = SETS / f"{name}.py"
    tree = ast.parse(path.read_text())
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in (
            "REQUIREMENTS",
            "DIALECTS",
            "KIND",
            "FLASK",
            "UNSUPPORTED",
        ):
            found[target.id] = ast.literal_eval(value)
    requirements = found.get("REQUIREMENTS")
    dialects = found.get("DIALECTS")
    if not isinstance(requirements, list) or not isinstance(dialects, list):
        raise SystemExit(f"{path}: REQUIREMENTS and DIALECTS must be lists")
    unsupported = found.get("UNSUPPORTED", {})
    return SetInfo(
        name=name,
        requirements=[str(r) for r in requirements],
        dialects=[str(d) for d in dialects],
        kind=str(found.get("KIND", "")),
        flask=bool(found.get("FLASK", False)),
        unsupported=dict(unsupported) if isinstance(unsupported, dict) else {},
        doc=(ast.get_docstring(tree) or "").split("\n\n")[0].replace("\n", " "),
    )


def venv_for(info: SetInfo, venvs: Path) -> Path:
    """The set's own environment, made or reused (keyed by its requirements and adopt's
    pyproject.toml, whose dependencies it also holds)."""
    key = "\n".join([*info.requirements, (REPO / "pyproject.toml").read_text()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    venv = venvs / info.name
    stamp = venv / ".corpus-requirements"
    if stamp.is_file() and stamp.read_text() == digest:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    log(f"{info.name}: making its environment ({', '.join(info.requirements)})")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    done = subprocess.run(
        [*pip, *info.requirements, "-e", f"{REPO}[postgres,mysql]"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:  # pip's own account, without its warnings about local indexes
        errors = [line for line in done.stderr.splitlines() if not line.startswith("WARNING")]
        raise RuntimeError("pip failed: " + " / ".join(errors[-5:]))
    stamp.write_text(digest)
    log(f"{info.name}: environment made in {time.monotonic() - started:.0f} s")
    return venv


def new_database(dialect: str, folder: Path, set_name: str, role: str) -> tuple[str, str | None]:
    """A new empty database: (its URL, its name on the server, None for a SQLite file)."""
    if dialect == "sqlite":
        return f"sqlite:///{folder / (role + '.db')}", None
    name = f"corpus_{set_name}_{role}_{secrets.token_hex(4)}"[:63]
    engine = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            quote = '"' if dialect == "postgresql" else "`"
            conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    finally:
        engine.dispose()
    url = sa.make_url(SERVERS[dialect]).set(database=name)
    return url.render_as_string(hide_password=False), name


def drop_database(dialect: str, name: str) -> None:
    engine = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        engine.dispose()


def in_venv(
    venv: Path, args: list[str], cwd: Path, env: dict[str, str], log_to: Path
) -> subprocess.CompletedProcess[str]:
    """Run a command of the set's environment as a user would in their project folder; its
    output goes to `log_to` (stdout) and `log_to`.stderr."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("ADOPT_", "FLASK_"))}
    full.pop("DATABASE_URL", None)
    full.pop("VIRTUAL_ENV", None)
    full.update(
        env,
        PYTHONPATH=str(SETS),
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        NO_COLOR="1",
        COLUMNS="200",
        PYTHONWARNINGS="ignore",
    )
    try:
        done = subprocess.run(
            args, cwd=cwd, env=full, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        done = subprocess.CompletedProcess(args, 124, _text(exc.stdout), _text(exc.stderr))
        done.stderr += f"\n(timed out after {TIMEOUT} s)"
    log_to.write_text(done.stdout)
    log_to.with_name(log_to.name + ".stderr").write_text(done.stderr)
    return done


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def one(info: SetInfo, dialect: str, venv: Path) -> Outcome:
    outcome = Outcome(info.name, dialect)
    started = time.monotonic()
    folder = RESULTS / info.name / dialect
    shutil.rmtree(folder, ignore_errors=True)
    project = folder / "project"
    project.mkdir(parents=True)
    made: list[str] = []
    checks: list[list[str]] = []
    try:
        _one(info, dialect, venv, folder, project, outcome, made, checks)
    except Exception as exc:  # the harness's own failure: said, and the next combination runs
        outcome.notes.append(f"harness: {type(exc).__name__}: {exc}")
    try:
        if checks:
            _drift(info, dialect, venv, folder, project, outcome, made, checks[0])
    except Exception as exc:
        outcome.notes.append(f"harness: drift: {type(exc).__name__}: {exc}")
    finally:
        for name in made:
            try:
                drop_database(dialect, name)
            except Exception as exc:
                outcome.notes.append(f"harness: could not drop {name}: {exc}")
        outcome.seconds = time.monotonic() - started
    return outcome


def _one(
    info: SetInfo,
    dialect: str,
    venv: Path,
    folder: Path,
    project: Path,
    outcome: Outcome,
    made: list[str],
    checks: list[list[str]],
) -> None:
    python = str(venv / "bin" / "python")
    adopt = str(venv / "bin" / "adopt")
    live, live_name = new_database(dialect, folder, info.name, "live")
    if live_name:
        made.append(live_name)

    built = in_venv(
        venv, [python, str(HERE / "build.py"), info.name, live], project, {}, folder / "build.json"
    )
    if built.returncode != 0:
        outcome.notes.append("create_all failed: " + _last_line(built.stderr))
        return
    document = _json(built.stdout)
    rows, tables = document.get("rows"), document.get("tables")
    outcome.rows = sum(rows.values()) if isinstance(rows, dict) else None
    outcome.tables = tables if isinstance(tables, int) else None

    if info.flask:
        models = ["--app", f"{info.name}:create_app()"]
        env = {"CORPUS_DATABASE_URL": live}
    else:
        models = ["--models", f"{info.name}:metadata", "--url", live]
        env = {}

    checked = in_venv(
        venv, [adopt, "check", *models, "--json"], project, env, folder / "check.json"
    )
    outcome.check_exit = checked.returncode
    checks.append([adopt, "check", *models, "--json"])
    report = _json(checked.stdout).get("check")
    differences = report.get("differences") if isinstance(report, dict) else None
    if isinstance(differences, list):
        outcome.check_differences = len(differences)
        outcome.notes += [f"check: {_difference(d)}" for d in differences[:5]]
    else:
        outcome.notes.append(f"check exit {checked.returncode}: {_error(checked)}")

    ran = in_venv(
        venv, [adopt, "run", "--yes", *models, "--json"], project, env, folder / "run.json"
    )
    outcome.run_exit = ran.returncode
    if ran.returncode != 0:
        outcome.notes.append(f"run exit {ran.returncode}: {_error(ran)}")
        document = _json(ran.stdout)
        for key in ("check", "verification"):
            part = document.get(key)
            if not isinstance(part, dict):
                continue
            for group in ("differences", "against_live", "against_models"):
                found = part.get(group)
                if isinstance(found, list):
                    outcome.notes += [f"run {key} {group}: {_difference(d)}" for d in found[:5]]
        return

    replay, replay_name = new_database(dialect, folder, info.name, "replay")
    if replay_name:
        made.append(replay_name)
    if info.flask:
        command = [str(venv / "bin" / "flask"), "--app", f"{info.name}:create_app()"]
        upgraded = in_venv(
            venv,
            [*command, "db", "upgrade"],
            project,
            {"CORPUS_DATABASE_URL": replay, "CORPUS_REPLAY": "1"},
            folder / "replay.log",
        )
    else:
        upgraded = in_venv(
            venv,
            [python, "-m", "alembic", "-c", str(project / "alembic.ini"), "upgrade", "head"],
            project,
            {"DATABASE_URL": replay, "CORPUS_REPLAY": "1"},
            folder / "replay.log",
        )
    outcome.replay_exit = upgraded.returncode
    if upgraded.returncode != 0:
        outcome.equal = False
        outcome.notes.append("replay failed: " + _last_line(upgraded.stderr))
        return
    from judge import differences as judge  # the independent judge, beside this file

    found_lines = judge(live, replay)
    (folder / "judge.json").write_text(json.dumps({"differences": found_lines}, indent=1))
    outcome.equal = not found_lines
    outcome.notes += [f"replay: {line}" for line in found_lines[:6]]
    if len(found_lines) > 6:
        outcome.notes.append(f"replay: ... {len(found_lines) - 6} more lines in judge.json")


def _drift(
    info: SetInfo,
    dialect: str,
    venv: Path,
    folder: Path,
    project: Path,
    outcome: Outcome,
    made: list[str],
    check: list[str],
) -> None:
    """Step 5: a second legacy database, drifted by hand (corpus/drift.py), must be reported
    by `adopt check` with each drifted object named."""
    from drift import apply_all  # beside this file, in this environment

    url, name = new_database(dialect, folder, info.name, "drifted")
    if name:
        made.append(name)
    python = str(venv / "bin" / "python")
    built = in_venv(
        venv,
        [python, str(HERE / "build.py"), info.name, url],
        project,
        {},
        folder / "drift-build.json",
    )
    if built.returncode != 0:
        outcome.notes.append("drift: create_all failed: " + _last_line(built.stderr))
        return
    drifts = apply_all(url)
    if check[2] == "--models":
        check = [*check[:5], url, *check[6:]]  # --models set:metadata --url URL
    checked = in_venv(venv, check, project, {"CORPUS_DATABASE_URL": url}, folder / "drift.json")
    report = _json(checked.stdout).get("check")
    found = report.get("differences") if isinstance(report, dict) else None
    reported = [d for d in found if isinstance(d, dict)] if isinstance(found, list) else []
    outcome.drifts = len(drifts)
    outcome.drifts_named = 0
    for drift in drifts:
        if any(drift.named_by(d) for d in reported):
            outcome.drifts_named += 1
        else:
            outcome.notes.append(f"drift not named: {drift.what} {drift.table}.{drift.object}")
    (folder / "drifts.json").write_text(json.dumps([vars(d) for d in drifts], indent=1))


def _difference(found: object) -> str:
    if not isinstance(found, dict):
        return str(found)
    where = ".".join(str(found[k]) for k in ("table", "object") if found.get(k))
    return f"{found.get('kind', '?')} {where}: {found.get('detail', '')}".strip()


def _json(text: str) -> dict[str, object]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _error(result: subprocess.CompletedProcess[str]) -> str:
    message = _json(result.stdout).get("error")
    return str(message) if message else _last_line(result.stderr or result.stdout)


def _last_line(text: str) -> str:
    noise = ("(Background on this error", "[SQL:", "[parameters:")
    lines = [line for line in text.strip().splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(noise)] or lines
    errors = [line for line in lines if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit)\b", line)]
    return (errors or lines)[-1][:400] if lines else "(no output)"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _first(outcome: Outcome) -> str:
    if outcome.exact:
        return ""
    note = outcome.notes[0] if outcome.notes else "(no detail)"
    if outcome.run_exit and len(outcome.notes) > 1 and note.startswith("run exit"):
        note = f"run exit {outcome.run_exit}: {outcome.notes[1]}"  # the first reason given
    return _md(note if len(note) <= 160 else note[:157] + "...")


def table(outcomes: list[Outcome], infos: dict[str, SetInfo]) -> str:
    rows = [
        "| set | dialect | tables | rows | check: differences | run --yes: exit "
        "| replay equals live (strict) | drift named | first difference |",
        "|---|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for o in outcomes:
        equal = {True: "yes", False: "**no**", None: "-"}[o.equal]
        rows.append(
            f"| {o.set} | {o.dialect} | {_cell(o.tables)} | {_cell(o.rows)} | "
            f"{_cell(o.check_differences)} | "
            f"{_cell(o.run_exit)} | {equal} | {_drifts(o)} | {_first(o)} |"
        )
    exact = sum(o.exact for o in outcomes)
    rows += ["", f"{exact} of {len(outcomes)} combinations exact."]
    failing = [o for o in outcomes if not o.exact]
    if failing:
        rows += ["", "What the combinations that are not exact said (first lines):", ""]
        for o in failing:
            rows.append(f"- **{o.set} on {o.dialect}**")
            rows += [f"    - ``{_code(note)}``" for note in o.notes[:8] or ["(no detail)"]]
    skipped = [
        (info.name, dialect, reason)
        for info in infos.values()
        for dialect, reason in info.unsupported.items()
    ]
    if skipped:
        rows += ["", "Combinations not run (the project does not support the dialect):", ""]
        rows += [f"- {name} on {dialect}: {reason}" for name, dialect, reason in skipped]
    return "\n".join(rows) + "\n"


def _code(text: str) -> str:
    """A note as the inside of a ``...`` code span (which may hold single backticks)."""
    return f" {text.replace('``', '` `')} "


def _drifts(outcome: Outcome) -> str:
    if outcome.drifts is None:
        return "-"
    return f"{outcome.drifts_named}/{outcome.drifts}"


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def sets_table(infos: dict[str, SetInfo]) -> str:
    rows = ["| set | packages | dialects | what it is |", "|---|---|---|---|"]
    for info in infos.values():
        packages = ", ".join(f"`{r}`" for r in info.requirements) or "(adopt's own only)"
        rows.append(f"| {info.name} | {packages} | {', '.join(info.dialects)} | {_md(info.doc)} |")
    return "\n".join(rows) + "\n"


def write_markdown(path: Path, report: str, infos: dict[str, SetInfo], seconds: float) -> None:
    head = path.read_text().split(MARK)[0] if path.is_file() else "# The real-schema corpus\n\n"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path.write_text(
        f"{head}{MARK}\n\n### The sets\n\n{sets_table(infos)}\n"
        f"### The last run ({stamp}, {seconds:.0f} s)\n\n{report}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    parser.add_argument("--dialects", default=",".join(ALL_DIALECTS))
    parser.add_argument("--fast", action="store_true", help="the CI slice: " + ", ".join(FAST))
    parser.add_argument("--jobs", type=int, default=4, help="combinations run at once")
    parser.add_argument(
        "--venvs",
        type=Path,
        default=Path(os.environ.get("CORPUS_VENVS", HERE / ".venvs")),
        help="where the sets' environments are cached (default corpus/.venvs, or CORPUS_VENVS)",
    )
    parser.add_argument("--markdown", type=Path, default=None, help="write the table there")
    parser.add_argument("--no-markdown", action="store_true")
    args = parser.parse_args()

    every = sorted(p.stem for p in SETS.glob("*.py") if not p.stem.startswith("_"))
    names = FAST if args.fast else every
    if args.sets:
        names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(every))
    if unknown:
        parser.error(f"no such set: {', '.join(unknown)} (known: {', '.join(every)})")
    dialects = [d.strip() for d in args.dialects.split(",") if d.strip()]
    if set(dialects) - set(ALL_DIALECTS):
        parser.error(f"--dialects takes {', '.join(ALL_DIALECTS)}")
    markdown = args.markdown
    if markdown is None and not args.no_markdown and names == every and dialects == ALL_DIALECTS:
        markdown = DOC
    infos = {name: set_info(name) for name in names}

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="corpus-judge-") as folder:
        from judge import self_test

        self_test(folder)  # the judge sees column order, defaults and index names
    args.venvs.mkdir(parents=True, exist_ok=True)
    venvs: dict[str, Path | BaseException] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(args.jobs, len(names)))) as pool:
        futures = {name: pool.submit(venv_for, infos[name], args.venvs) for name in names}
        for name, future in futures.items():
            try:
                venvs[name] = future.result()
            except Exception as exc:
                venvs[name] = exc
                log(f"{name}: its environment could not be made: {exc}")
    log(f"environments ready in {time.monotonic() - started:.0f} s")

    combos = [
        (infos[name], dialect)
        for name in names
        for dialect in dialects
        if dialect in infos[name].dialects
    ]

    def run_one(combo: tuple[SetInfo, str]) -> Outcome:
        info, dialect = combo
        venv = venvs[info.name]
        if not isinstance(venv, Path):
            return Outcome(info.name, dialect, notes=[f"install failed: {venv}"])
        log(f"{info.name} on {dialect}")
        outcome = one(info, dialect, venv)
        verdict = "exact" if outcome.exact else "NOT exact: " + (outcome.notes or ["?"])[0]
        log(f"{info.name} on {dialect}: {verdict[:200]} ({outcome.seconds:.0f} s)")
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(run_one, combos))
    seconds = time.monotonic() - started
    report = table(outcomes, infos)
    print(report)
    print(f"({seconds:.0f} s; every command's output is under {RESULTS})")
    if markdown:
        write_markdown(markdown, report, infos, seconds)
    return 0 if all(o.exact for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
