"""The wizard never leaves a person stuck: in a factory project that nothing names it offers the
factories it sees; what was chosen lands in [tool.adopt] so the printed next steps work as
printed; a database it could not reach makes it exit 4; a typed URL's password is asked apart,
never shown, never saved; the URL is labelled as typed."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import ENTER
from helpers import WIZARD_STEPS
from helpers import Scripted
from helpers import adopt
from helpers import in_a_terminal
from helpers import revision_files
from helpers import version_rows


class WithSecret(Scripted):
    def secret(self, message: str) -> str:
        return str(self._answer(message))


@pytest.fixture
def factory_project(
    make_database: Callable[[str], str],
    sample: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, str]:
    """The microblog sample as a package 'blog' with create_app() and no app.py, microblog.py
    or FLASK_APP: adopt's usual search finds nothing."""
    url = make_database("sqlite")
    project = sample("microblog", url)
    (project / "app").rename(project / "blog")
    (project / "microblog.py").unlink()
    for module in (project / "blog").glob("*.py"):
        module.write_text(module.read_text().replace("from app ", "from blog "))
    monkeypatch.delenv("FLASK_APP", raising=False)
    return project, url


def run_wizard(prompter: Any, *args: str) -> Any:
    return adopt(*args, obj={"prompter": prompter})


def saved(project: Path) -> dict[str, Any]:
    settings: dict[str, Any] = tomllib.loads((project / "pyproject.toml").read_text())
    return dict(settings["tool"]["adopt"])


def test_no_models_found_offers_the_factory_and_saves_it(
    factory_project: tuple[Path, str],
) -> None:
    project, _url = factory_project
    prompter = Scripted(
        ("which models", "app blog:create_app()"),
        ("is this right", "yes"),
        ("use it", "auto"),
        ("verdict", "accept"),
        ("stamp the live database", True),
        ("another database", ""),
    )
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    assert "No models found" in result.output  # said, then the picker instead of an exit
    assert saved(project) == {"app": "blog:create_app()"}
    # The next steps' commands, run as printed, find the same app.
    assert "adopt stamp --upgrade" in result.output
    status = adopt("status")
    assert status.exit_code == 0, status.output
    again = adopt("stamp", "--upgrade")
    assert again.exit_code == 0, again.output


def test_typed_url_password_is_asked_apart_never_shown_nor_saved(
    factory_project: tuple[Path, str], tmp_path: Path
) -> None:
    project, url = factory_project
    (project / "pyproject.toml").write_text('[project]\nname = "blog"\n')
    prompter = WithSecret(
        ("which models", "app blog:create_app()"),
        ("is this right", "url"),
        ("live database url", "postgresql+psycopg://deploy@127.0.0.1:1/shop"),
        ("password of deploy", "s3cretpw"),
    )
    result = run_wizard(prompter)
    assert result.exit_code == 4, result.output  # the typed database cannot be reached
    assert "s3cretpw" not in result.output

    prompter = Scripted(  # the failed run saved nothing: the models are picked again
        ("which models", "app blog:create_app()"),
        ("is this right", "url"),
        ("live database url", url),
        ("use it", "auto"),
        ("verdict", "accept"),
        ("stamp the live database", True),
        ("another database", ""),
    )
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    assert "from what you typed" in result.output and "from --url" not in result.output
    assert saved(project) == {"app": "blog:create_app()", "url": url}
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"] == "blog"


def test_an_unreachable_extra_target_makes_the_wizard_exit_4(
    factory_project: tuple[Path, str],
) -> None:
    project, url = factory_project
    prompter = Scripted(
        ("which models", "app blog:create_app()"),
        ("is this right", "yes"),
        ("use it", "auto"),
        ("verdict", "accept"),
        ("stamp the live database", True),
    )
    result = run_wizard(prompter, "--target", "postgresql+psycopg://deploy:pw@127.0.0.1:1/shop")
    assert result.exit_code == 4, result.output
    assert "Not stamped: postgresql+psycopg://deploy:***@127.0.0.1:1/shop" in result.output
    [baseline] = revision_files(project)
    assert version_rows(url) == [baseline.name.split("_")[0]]  # the live one was stamped


def test_factory_project_in_a_pseudo_terminal(factory_project: tuple[Path, str]) -> None:
    pytest.importorskip("pexpect")
    project, url = factory_project
    steps = [("Which models", None), ("create_app", ENTER), *WIZARD_STEPS]
    talk = in_a_terminal("adopt", [], project, steps)
    assert talk.exit_status == 0, talk.text
    assert saved(project)["app"] == "blog:create_app()"
    [baseline] = revision_files(project)
    assert version_rows(url) == [baseline.name.split("_")[0]]
    status = adopt("status")
    assert status.exit_code == 0, status.output
    # The commands the next steps print, run as printed, in the project folder.
    printed = " ".join(talk.text.split())
    for command in ("adopt stamp --upgrade", "adopt stamp --sql", "adopt run --yes"):
        assert f"'{command}'" in printed, printed
        result = adopt(*command.split()[1:])
        assert result.exit_code == 0, (command, result.output)
    assert version_rows(url) == [baseline.name.split("_")[0]]
    [upgrade] = re.findall(r'"(flask --app [^"]+ db upgrade)"', printed)
    done = subprocess.run(
        shlex.split(upgrade.replace("flask", str(Path(sys.executable).parent / "flask"), 1)),
        cwd=project,
        env={k: v for k, v in os.environ.items() if k != "FLASK_APP"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
