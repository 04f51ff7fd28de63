"""The main job on the embedded default: adopt sample (a), the microblog app on SQLite.

Copies samples/microblog to .demo/microblog (fresh each time), builds its legacy database
without migrations, then runs the adopt wizard there when this is a terminal, or
'adopt run --yes' when it is not. Afterwards `flask db current` shows the baseline at head."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    demo = ROOT / ".demo" / "microblog"
    shutil.rmtree(demo, ignore_errors=True)
    shutil.copytree(
        ROOT / "samples" / "microblog",
        demo,
        ignore=shutil.ignore_patterns("*.db", "migrations", "__pycache__"),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    subprocess.run([sys.executable, "build_legacy_db.py"], cwd=demo, env=env, check=True)
    print(f"Adopting {demo} (a Flask app whose database never had migrations).\n")
    if sys.stdin.isatty() and sys.stdout.isatty():
        command = [str(BIN / "adopt"), "--app", "microblog"]
    else:
        print("Not a terminal: running the non-interactive 'adopt run --yes'.\n")
        command = [str(BIN / "adopt"), "run", "--yes", "--app", "microblog"]
    code = subprocess.run(command, cwd=demo, env=env).returncode
    if code == 0:
        print("\nflask db current:")
        subprocess.run(
            [str(BIN / "flask"), "--app", "microblog", "db", "current"], cwd=demo, env=env
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
