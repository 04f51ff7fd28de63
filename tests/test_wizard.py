"""The wizard driven three ways: a scripted prompter (the flow's logic), questionary on
prompt_toolkit pipe input through CliRunner, and the installed program in a pseudo-terminal."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import DOWN
from helpers import ENTER
from helpers import WIZARD_STEPS
from helpers import Scripted
from helpers import adopt
from helpers import in_a_terminal
from helpers import revision_files
from helpers import row_checksums
from helpers import version_rows
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from adopt.ui.prompter import QuestionaryPrompter

CTRL_C = "\x03"


HAPPY = (
    ("is this right", "yes"),
    ("use it", "auto"),
    ("verdict", "accept"),
    ("stamp the live database", True),
    ("another database", ""),
)


@pytest.fixture
def legacy(make_database: Callable[[str], str], sample: Callable[..., Path]) -> tuple[Path, str]:
    url = make_database("sqlite")
    return sample("microblog", url), url


def run_wizard(prompter: Any, *args: str) -> Any:
    return adopt(*args, obj={"prompter": prompter})


def assert_nothing_left(project: Path, url: str, rows: dict[str, str]) -> None:
    assert not (project / "migrations").exists()
    assert version_rows(url) is None
    assert row_checksums(url) == rows


def test_accept_stamps_the_live_database(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    prompter = Scripted(*HAPPY)
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project)
    assert version_rows(url) == [baseline.name.split("_")[0]]
    assert "Verified: the baseline rebuilds the live schema" in result.output
    assert "op.create_table('user'" in result.output  # the script was shown for review
    assert "Next steps" in result.output and "adopt stamp" in result.output


def test_flags_skip_their_questions(legacy: tuple[Path, str]) -> None:
    _project, url = legacy
    prompter = Scripted(
        ("verdict", "accept"), ("stamp the live database", True), ("another database", "")
    )
    result = run_wizard(prompter, "--app", "microblog", "--url", url, "--scratch", "memory")
    assert result.exit_code == 0, result.output
    assert len(prompter.asked) == 3


def test_edit_then_accept_reverifies(legacy: tuple[Path, str]) -> None:
    project, url = legacy

    def add_comment(path: Path) -> None:
        path.write_text(
            path.read_text().replace("def upgrade():", "def upgrade():\n    # reviewed")
        )

    prompter = Scripted(
        ("is this right", "yes"),
        ("use it", "auto"),
        ("verdict", "edit"),
        ("edit", None),
        ("verdict", "accept"),
        ("stamp the live", True),
        ("another database", ""),
        edit=add_comment,
    )
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project)
    assert "# reviewed" in baseline.read_text()
    assert result.output.count("Verified: the baseline rebuilds") == 2
    assert version_rows(url) == [baseline.name.split("_")[0]]


def test_edit_that_breaks_the_baseline_is_caught(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    rows = row_checksums(url)

    def drop_a_table(path: Path) -> None:
        text = path.read_text()
        start = text.index("    op.create_table('task'")
        end = text.index("    # ### end Alembic commands ###")
        path.write_text(text[:start] + text[end:])

    prompter = Scripted(
        ("is this right", "yes"),
        ("use it", "auto"),
        ("verdict", "edit"),
        ("edit", None),
        ("verdict", "accept"),
        ("keep this baseline anyway", False),
        ("verdict", "abort"),
        edit=drop_a_table,
    )
    result = run_wizard(prompter)
    assert result.exit_code == 1, result.output
    assert "does not rebuild the live schema" in result.output
    assert "task" in result.output
    assert_nothing_left(project, url, rows)


def test_regenerate_with_another_message(legacy: tuple[Path, str]) -> None:
    project, _url = legacy
    prompter = Scripted(
        ("is this right", "yes"),
        ("use it", "auto"),
        ("verdict", "regenerate"),
        ("message", "initial schema"),
        ("verdict", "accept"),
        ("stamp the live", True),
        ("another database", ""),
    )
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project)
    assert baseline.name.endswith("_initial_schema.py")
    assert '"""initial schema' in baseline.read_text()


def test_abort_leaves_nothing_behind(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    rows = row_checksums(url)
    prompter = Scripted(("is this right", "yes"), ("use it", "auto"), ("verdict", "abort"))
    result = run_wizard(prompter)
    assert result.exit_code == 1
    assert "Aborted at review" in result.stderr
    assert_nothing_left(project, url, rows)


def test_drift_stops_before_writing(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("ALTER TABLE post ADD COLUMN mood VARCHAR(20)")
    rows = row_checksums(url)
    prompter = Scripted(("is this right", "yes"), ("what now", "stop"))
    result = run_wizard(prompter)
    assert result.exit_code == 3, result.output
    assert "post" in result.output and "mood" in result.output
    assert "add mood to the model" in result.output  # the likely fix is shown
    assert_nothing_left(project, url, rows)


def test_drift_exclude_unmanaged_writes_the_filter(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("CREATE TABLE legacy_audit (id INTEGER PRIMARY KEY, note TEXT)")
        conn.execute("INSERT INTO legacy_audit (note) VALUES ('kept')")
    rows = row_checksums(url)
    prompter = Scripted(
        ("is this right", "yes"),
        ("what now", "exclude"),
        ("use it", "auto"),
        ("verdict", "accept"),
        ("stamp the live", True),
        ("another database", ""),
    )
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    assert "UNMANAGED_TABLES = {'legacy_audit'}" in result.output  # shown before it is written
    env = (project / "migrations" / "env.py").read_text()
    assert "UNMANAGED_TABLES = {'legacy_audit'}" in env
    [baseline] = revision_files(project)
    assert "legacy_audit" not in baseline.read_text()
    assert version_rows(url) == [baseline.name.split("_")[0]]
    assert row_checksums(url) == rows


def test_drift_stop_on_unmanaged_tables(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("CREATE TABLE legacy_audit (id INTEGER PRIMARY KEY)")
    rows = row_checksums(url)
    result = run_wizard(Scripted(("is this right", "yes"), ("what now", "stop")))
    assert result.exit_code == 1
    assert_nothing_left(project, url, rows)


@pytest.mark.parametrize("at", ["is this right", "use it", "verdict", "stamp the live"])
def test_ctrl_c_at_a_prompt_says_what_stays(legacy: tuple[Path, str], at: str) -> None:
    project, url = legacy
    rows = row_checksums(url)
    answers = []
    for question, answer in HAPPY:
        if question.startswith(at):
            answers.append((question, KeyboardInterrupt()))
            break
        answers.append((question, answer))
    result = run_wizard(Scripted(*answers))
    if at == "stamp the live":
        # The baseline was accepted before Ctrl-C: it stays, and the message says so (exit 5);
        # the database is not stamped.
        assert result.exit_code == 5, result.output
        assert "Interrupted after: baseline" in result.stderr
        assert len(revision_files(project)) == 1
        assert version_rows(url) is None
        assert row_checksums(url) == rows
    else:
        assert result.exit_code == 130, result.output
        assert "Interrupted; nothing was changed" in result.stderr
        assert_nothing_left(project, url, rows)


# --- questionary on prompt_toolkit pipe input -----------------------------------------------


def run_with_keys(keys: str, *args: str) -> Any:
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # an under-fed flow ends (EOF) instead of waiting forever
        prompter = QuestionaryPrompter(input=pipe, output=DummyOutput())
        return adopt(*args, obj={"prompter": prompter})


def test_questionary_happy_path(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    result = run_with_keys(ENTER + ENTER + ENTER + "y" + ENTER)
    assert result.exit_code == 0, result.output
    [baseline] = revision_files(project)
    assert version_rows(url) == [baseline.name.split("_")[0]]


def test_questionary_abort_by_arrow_keys(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    rows = row_checksums(url)
    result = run_with_keys(ENTER + ENTER + DOWN + DOWN + DOWN + ENTER)
    assert result.exit_code == 1, result.output
    assert_nothing_left(project, url, rows)


def test_questionary_ctrl_c(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    rows = row_checksums(url)
    result = run_with_keys(ENTER + ENTER + CTRL_C)
    assert result.exit_code == 130, result.output
    assert_nothing_left(project, url, rows)


def test_questionary_under_fed_input_stops_cleanly(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    rows = row_checksums(url)
    result = run_with_keys(ENTER + ENTER)  # no verdict: the input ends at review
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert_nothing_left(project, url, rows)


# --- the installed program in a real pseudo-terminal -------------------------------------------


def test_installed_program_in_a_pseudo_terminal(legacy: tuple[Path, str]) -> None:
    pytest.importorskip("pexpect")
    project, url = legacy
    talk = in_a_terminal("adopt", ["--app", "microblog"], project, WIZARD_STEPS)
    assert talk.exit_status == 0, talk.text
    [baseline] = revision_files(project)
    assert version_rows(url) == [baseline.name.split("_")[0]]


def test_flask_adopt_wizard_finds_the_app_flask_finds(legacy: tuple[Path, str]) -> None:
    """`flask --app microblog adopt`: the wizard takes the app from Flask's own --app (the
    sample has no app.py, so nothing else would find it)."""
    pytest.importorskip("pexpect")
    project, url = legacy
    # The package is named so that adopt's own search (app.py, wsgi.py, an `app` package)
    # finds nothing: only Flask's --app leads to the app.
    (project / "app").rename(project / "blog")
    for module in [project / "microblog.py", *(project / "blog").glob("*.py")]:
        module.write_text(module.read_text().replace("from app ", "from blog "))
    talk = in_a_terminal("flask", ["--app", "microblog", "adopt"], project, WIZARD_STEPS)
    assert talk.exit_status == 0, talk.text
    [baseline] = revision_files(project)
    assert version_rows(url) == [baseline.name.split("_")[0]]


def test_pick_other_models_among_those_found(legacy: tuple[Path, str]) -> None:
    project, url = legacy
    prompter = Scripted(
        ("is this right", "models"),
        ("which models", "app app:create_app()"),
        ("is this right", "yes"),
        ("use it", "auto"),
        ("verdict", "accept"),
        ("stamp the live", True),
        ("another database", ""),
    )
    result = run_wizard(prompter)
    assert result.exit_code == 0, result.output
    assert "Flask app 'app:create_app()'" in result.output
    assert version_rows(url) == [revision_files(project)[0].name.split("_")[0]]


def test_stamp_flags_answer_the_last_step(
    legacy: tuple[Path, str], make_database: Callable[[str], str]
) -> None:
    from helpers import build

    project, url = legacy
    other = make_database("sqlite")
    build(project, other)
    prompter = Scripted(("is this right", "yes"), ("use it", "auto"), ("verdict", "accept"))
    result = run_wizard(prompter, "--no-stamp", "--target", other)
    assert result.exit_code == 0, result.output
    head = revision_files(project)[0].name.split("_")[0]
    assert version_rows(url) is None
    assert version_rows(other) == [head]
