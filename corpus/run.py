"""adopt on real open-source model sets: every combination of set and dialect, adopted as a new
user would, and the result judged strictly by an independent comparison.

    .venv/bin/python corpus/run.py [--sets a,b] [--dialects sqlite,postgresql,mariadb]
                                   [--fast] [--markdown docs/corpus.md]

Each set (corpus/sets/<name>.py) names the packages it needs, pinned, and exposes the
project's own `metadata`. For each set a virtual environment of its own is made under
corpus/.venvs/<name> (their pins clash), reused while its requirements are unchanged, with the
set's packages and adopt itself from this repository. Then, on each dialect the set supports:

1. the legacy database is built with `create_all` from the project's models, and given a row
   where the set says how;
2. `adopt check --json` must report no difference (a database built from the very models
   matches them by construction);
3. `adopt run --yes --json` in a fresh project folder must exit 0;
4. the migrations adopt wrote are replayed into a new empty database with plain Alembic
   (`alembic upgrade head`), and that database is compared with the live one strictly, by
   `corpus/judge.py`, reading the servers' catalogs itself: tables, columns in order with
   their types, nullability and defaults, indexes and constraints with their names,
   sequences.

Prints one table (and writes it as Markdown with --markdown). PostgreSQL and MariaDB are
expected on 127.0.0.1 (user root, no password), as for the test suite; databases made here
are named corpus_<random> and dropped at the end."""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SETS = HERE / "sets"
VENVS = HERE / ".venvs"
SERVERS = {
    "postgresql": "postgresql+psycopg://root@127.0.0.1:5432/postgres",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}
FAST = ["apscheduler_jobstore", "celery_results", "sqlalchemy_utils_types"]


@dataclass
class Outcome:
    set: str
    dialect: str
    check_differences: int | None = None
    run_exit: int | None = None
    equal: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.check_differences == 0 and self.run_exit == 0 and bool(self.equal)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def set_info(name: str) -> dict[str, object]:
    """REQUIREMENTS, DIALECTS and KIND of a set, read without importing it."""
    tree = ast.parse((SETS / f"{name}.py").read_text())
    found: dict[str, object] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in ("REQUIREMENTS", "DIALECTS", "KIND"):
            found[target.id] = ast.literal_eval(node.value)  # type: ignore[union-attr]
    return found


def venv_for(name: str, requirements: list[str]) -> Path:
    """The set's own environment, made or reused (keyed by its requirements)."""
    wanted = [*requirements, f"-e {REPO}[postgres,mysql]"]
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    venv = VENVS / name
    stamp = venv / ".corpus-requirements"
    if stamp.is_file() and stamp.read_text() == digest:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    log(f"{name}: making its environment ({', '.join(requirements)})")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, *requirements, "-e", f"{REPO}[postgres,mysql]"], capture_output=True, text=True
    )
    if done.returncode != 0:  # pip's own account, without its warnings about local indexes
        errors = [line for line in done.stderr.splitlines() if not line.startswith("WARNING")]
        log(f"{name}: pip failed:\n" + "\n".join(errors[-15:]))
        raise subprocess.CalledProcessError(done.returncode, pip)
    stamp.write_text(digest)
    return venv


def new_database(dialect: str, folder: Path, role: str) -> tuple[str, str | None]:
    if dialect == "sqlite":
        return f"sqlite:///{folder / (role + '.db')}", None
    name = "corpus_" + secrets.token_hex(5)
    engine = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        quote = '"' if dialect == "postgresql" else "`"
        conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    engine.dispose()
    url = sa.make_url(SERVERS[dialect]).set(database=name)
    return url.render_as_string(hide_password=False), name


def drop_database(dialect: str, name: str | None) -> None:
    if name is None:
        return
    engine = sa.create_engine(SERVERS[dialect], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    engine.dispose()


def in_venv(
    venv: Path, args: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, **env, PYTHONPATH=str(SETS), NO_COLOR="1", COLUMNS="200")
    for var in ("FLASK_APP", "DATABASE_URL", "ADOPT_URL"):
        if var not in env:
            full.pop(var, None)
    return subprocess.run(args, cwd=cwd, env=full, capture_output=True, text=True, timeout=900)


BUILD = """
import sys, sqlalchemy as sa, importlib
module = importlib.import_module(sys.argv[1])
engine = sa.create_engine(sys.argv[2])
module.metadata.create_all(engine)
engine.dispose()
"""


def one(name: str, dialect: str, venv: Path, work: Path) -> Outcome:
    outcome = Outcome(name, dialect)
    folder = work / f"{name}-{dialect}"
    folder.mkdir(parents=True)
    made: list[str | None] = []
    python = str(venv / "bin" / "python")
    adopt = str(venv / "bin" / "adopt")
    try:
        live, live_name = new_database(dialect, folder, "live")
        made.append(live_name)
        built = in_venv(venv, [python, "-c", BUILD, name, live], folder, {})
        if built.returncode != 0:
            outcome.notes.append("create_all failed: " + _last_line(built.stderr))
            return outcome
        models = ["--models", f"{name}:metadata", "--url", live]
        checked = in_venv(venv, [adopt, "check", *models, "--json"], folder, {})
        document = _json(checked.stdout)
        report = document.get("check") or {}
        differences = report.get("differences") if isinstance(report, dict) else None
        outcome.check_differences = len(differences) if isinstance(differences, list) else None
        for difference in (differences or [])[:3]:
            outcome.notes.append(
                f"check: {difference['kind']} {difference['table']}.{difference['object']}: "
                f"{difference['detail']}"
            )
        if outcome.check_differences is None:
            outcome.notes.append(f"check exit {checked.returncode}: " + _error(checked))
        ran = in_venv(venv, [adopt, "run", "--yes", *models, "--json"], folder, {})
        outcome.run_exit = ran.returncode
        if ran.returncode != 0:
            outcome.notes.append(f"run exit {ran.returncode}: " + _error(ran))
            return outcome
        replay, replay_name = new_database(dialect, folder, "replay")
        made.append(replay_name)
        upgraded = in_venv(
            venv,
            [python, "-m", "alembic", "-c", str(folder / "alembic.ini"), "upgrade", "head"],
            folder,
            {"DATABASE_URL": replay},
        )
        if upgraded.returncode != 0:
            outcome.notes.append("alembic upgrade head failed: " + _last_line(upgraded.stderr))
            outcome.equal = False
            return outcome
        judged = in_venv(venv, [python, str(HERE / "judge.py"), live, replay], folder, {})
        found = _json(judged.stdout).get("differences")
        outcome.equal = judged.returncode == 0 and found == []
        for line in (found or [])[:3]:
            outcome.notes.append(f"replay: {line}")
        return outcome
    finally:
        for database in made:
            drop_database(dialect, database)


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
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def table(outcomes: list[Outcome], infos: dict[str, dict[str, object]]) -> str:
    rows = [
        "| set | kind | dialect | check: differences | run --yes: exit | replay equals live "
        "(strict) | exact |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for o in outcomes:
        rows.append(
            f"| {o.set} | {infos[o.set].get('KIND', '')} | {o.dialect} | "
            f"{_cell(o.check_differences)} | {_cell(o.run_exit)} | "
            f"{'yes' if o.equal else ('no' if o.equal is False else '-')} | "
            f"{'yes' if o.exact else '**no**'} |"
        )
    failing = [o for o in outcomes if not o.exact]
    if failing:
        rows += ["", "What the combinations that are not exact said:", ""]
        for o in failing:
            for note in o.notes or ["(no detail)"]:
                rows.append(f"- {o.set} on {o.dialect}: {note.replace('|', '/')}")
    return "\n".join(rows) + "\n"


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="")
    parser.add_argument("--dialects", default="sqlite,postgresql,mariadb")
    parser.add_argument("--fast", action="store_true", help="the CI slice: " + ", ".join(FAST))
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    names = sorted(p.stem for p in SETS.glob("*.py") if not p.stem.startswith("_"))
    if args.fast:
        names = FAST
    if args.sets:
        names = [n.strip() for n in args.sets.split(",") if n.strip()]
    dialects = [d.strip() for d in args.dialects.split(",") if d.strip()]
    infos = {name: set_info(name) for name in names}
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="adopt-corpus-") as tmp:
        for name in names:
            info = infos[name]
            try:
                venv = venv_for(name, list(info["REQUIREMENTS"]))  # type: ignore[call-overload]
            except subprocess.CalledProcessError as exc:
                log(f"{name}: its environment could not be made ({exc})")
                outcomes += [Outcome(name, d, notes=["install failed"]) for d in dialects]
                continue
            for dialect in dialects:
                if dialect not in info.get("DIALECTS", []):  # type: ignore[operator]
                    continue
                log(f"{name} on {dialect}")
                outcomes.append(one(name, dialect, venv, Path(tmp)))
    report = table(outcomes, infos)
    print(report)
    if args.markdown:
        args.markdown.write_text(args.markdown.read_text().split("<!-- corpus -->")[0]
                                 + "<!-- corpus -->\n\n" + report)  # fmt: skip
    return 0 if all(o.exact for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
