"""The pure helpers under the commands, tested without a server: how defaults are compared, where
the scratch database goes, how targets and options are read."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from adopt.build import scratch
from adopt.compare.drift_text import impl_of
from adopt.errors import UsageError
from adopt.options import Options
from adopt.reading.schema import normalise_default
from adopt.stamping import targets
from adopt.urls import parse_url


@pytest.mark.parametrize(
    ("text", "boolean", "expected"),
    [
        ("'abc'", False, "abc"),
        ("('abc'::character varying)", False, "abc"),
        ("(0)", False, "0"),
        ("CURRENT_TIMESTAMP", False, "current_timestamp"),
        ("now()", False, "current_timestamp"),
        ("current_timestamp(0)", False, "current_timestamp"),
        ("current_timestamp(6)", False, "current_timestamp(6)"),
        ("true", True, "1"),
        ("'t'", True, "1"),
        ("false", True, "0"),
        ("'1'", False, "1"),
        ("true", False, "true"),  # only a boolean column makes true and 1 one value
    ],
)
def test_normalise_default_gives_one_spelling_per_meaning(
    text: str, boolean: bool, expected: str
) -> None:
    assert normalise_default(text, boolean) == expected


def test_normalise_default_keeps_what_differs() -> None:
    assert normalise_default("'a'", False) != normalise_default("'b'", False)
    assert normalise_default("1", False) != normalise_default("0", False)
    assert normalise_default("(1) + (2)", False) == "(1) + (2)"  # not one pair of parentheses


SQLITE = parse_url("sqlite:////tmp/app.db")
POSTGRES = parse_url("postgresql+psycopg://u:secret@db/app")


@pytest.mark.parametrize(
    ("live", "choice", "strategy"),
    [
        (SQLITE, "auto", "memory"),
        (SQLITE, "server", "memory"),
        (SQLITE, "memory", "memory"),
        (POSTGRES, "auto", "server"),
        (POSTGRES, "server", "server"),
        (POSTGRES, "postgresql://u@other/empty", "url"),
    ],
)
def test_scratch_plan(live: object, choice: str, strategy: str) -> None:
    assert scratch.plan(live, choice).strategy == strategy  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("choice", "says"),
    [("memory", "cannot stand in"), ("mysql://u@h/x", "the live database is postgresql")],
)
def test_scratch_plan_refuses_another_dialect(choice: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        scratch.plan(POSTGRES, choice)


def test_targets_resolve_names_urls_and_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGING_URL", "postgresql://u:pw@staging/app")
    named = {"staging": "env:STAGING_URL", "local": "sqlite:///local.db"}
    staging = targets.resolve("staging", named)
    assert staging.name == "staging" and staging.url.host == "staging"
    assert targets.resolve("local", named).url.database == "local.db"
    assert targets.resolve("env:STAGING_URL", named).url.password == "pw"
    plain = targets.resolve("postgresql://u:pw@h/db", named)
    assert "pw" not in plain.name and plain.url.password == "pw"


def test_targets_resolve_refuses_without_echoing_a_secret() -> None:
    with pytest.raises(UsageError) as caught:
        targets.resolve("postgresql:/user:hunter2@host/db", {"prod": "sqlite:///x.db"})
    assert "hunter2" not in str(caught.value) and "prod" in str(caught.value)
    with pytest.raises(UsageError, match="UNSET_VARIABLE_FOR_TEST"):
        targets.resolve("env:UNSET_VARIABLE_FOR_TEST", {})


def test_targets_file_skips_comments_and_names_the_bad_line(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("# fleet\nsqlite:///a.db\n\nsqlite:///b.db  # second\nnot a url\n")
    with pytest.raises(UsageError, match="line 5"):
        targets.from_file(listing, {})
    listing.write_text("# fleet\nsqlite:///a.db\n\nsqlite:///b.db  # second\n")
    found = targets.from_file(listing, {})
    assert [t.url.database for t in found] == ["a.db", "b.db"]


@pytest.fixture
def project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("ADOPT_URL", "ADOPT_MODELS", "ADOPT_SCRATCH", "ADOPT_JOBS", "ADOPT_AUDIT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_options_flags_then_environment_then_pyproject_then_defaults(
    project_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project_folder / "pyproject.toml").write_text(
        '[tool.adopt]\nmodels = "shop:Base"\nurl = "sqlite:///file.db"\njobs = 3\n'
    )
    monkeypatch.setenv("ADOPT_URL", "sqlite:///env.db")
    options = Options.resolve({"url": None, "models": None, "jobs": 5})
    assert options.url == "sqlite:///env.db" and options.sources["url"].source == "ADOPT_URL"
    assert options.models == "shop:Base" and options.sources["models"].source == "pyproject.toml"
    assert options.jobs == 5 and options.sources["jobs"].source == "flag"
    assert options.scratch == "auto" and options.sources["scratch"].source == "default"
    assert options.audit == "file:adopt-stamps.jsonl"


def test_options_fall_back_to_the_group_and_are_frozen(project_folder: Path) -> None:
    options = Options.resolve({"models": None, "verbose": True}, {"models": "m:Base"})
    assert options.models == "m:Base" and options.verbose is True
    with pytest.raises(AttributeError):
        options.models = "other:Base"  # type: ignore[misc]
    assert options.but(models="other:Base").models == "other:Base"
    assert options.models == "m:Base"


@pytest.mark.parametrize(
    ("pyproject", "says"),
    [
        ('[tool.adopt]\nurll = "sqlite:///x.db"\n', "did you mean 'url'"),
        ("[tool.adopt]\njobs = 0\n", "outside 1..64"),
        ('[tool.adopt]\naudit = "elsewhere"\n', "is not one of"),
        ("[tool.adopt]\nimport = 3\n", "wrong type"),
    ],
)
def test_options_refuse_a_bad_setting(project_folder: Path, pyproject: str, says: str) -> None:
    (project_folder / "pyproject.toml").write_text(pyproject)
    with pytest.raises(UsageError, match=says):
        Options.resolve({})


def test_concurrent_stamps_never_lose_an_audit_record(tmp_path: Path) -> None:
    """Each stamp checks the audit file before it writes, while others append to it: the
    check must never take another's record along (the file is new to all of them)."""
    import threading

    from adopt.stamping import audit

    path = tmp_path / "adopt-stamps.jsonl"
    start = threading.Barrier(8)

    def stamp(worker: int) -> None:
        start.wait()
        for n in range(40):
            audit.require_writable(path)
            item = audit.entry(f"sqlite:///{worker}-{n}.db", None, "abc", "print", before="absent")
            audit.record_in_file(path, item)

    threads = [threading.Thread(target=stamp, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(path.read_text().splitlines()) == 8 * 40
    assert [p.name for p in tmp_path.iterdir()] == ["adopt-stamps.jsonl"]  # no probe left


def test_an_audit_file_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    from adopt.stamping import audit

    with pytest.raises(UsageError, match="cannot be written"):
        audit.require_writable(tmp_path / "missing" / "adopt-stamps.jsonl")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql", "mysql"])
def test_the_dialect_type_of_a_column_is_what_sqlalchemy_adapts_it_to(dialect_name: str) -> None:
    dialect = importlib.import_module(f"sqlalchemy.dialects.{dialect_name}").dialect()
    types = [
        sa.String(32),
        sa.String(32, collation="utf8mb4_bin"),
        sa.Numeric(12, 2),
        sa.Float(),
        sa.DateTime(timezone=True),
        sa.Integer().with_variant(sa.BigInteger(), dialect_name),
        sa.Enum("a", "b", name="ab"),
        sa.Boolean(),
    ]
    for type_ in types:
        expected = type_._unwrapped_dialect_impl(dialect)
        for _ in range(2):  # the second time from the memo, where there is one
            found = impl_of(type_, dialect)
            assert type(found) is type(expected)
            assert repr(found) == repr(expected)
    # Two equal plain types share one adaptation; a length apart, they do not.
    assert impl_of(sa.String(32), dialect) is impl_of(sa.String(32), dialect)
    assert impl_of(sa.String(32), dialect) is not impl_of(sa.String(33), dialect)
