"""The verification spares its second comparison with the models only when it is implied: the
check found no difference and the rebuilt schema equals the live one, details included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adopt import pipeline
from adopt.build import baseline as baseline_mod
from adopt.build import scratch as scratch_mod
from adopt.build import verify as verify_mod
from adopt.compare import drift

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
item = sa.Table(
    "item",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, comment="shown to customers"),
    sa.Column("code", sa.String(20)),
    comment="things for sale",
)
"""
# SQLite's reflection skips expression indexes (with a warning): PostgreSQL only.
EXPRESSION_INDEX = 'sa.Index("ix_item_lower_name", sa.func.lower(item.c.name))\n'


@pytest.fixture(params=["sqlite", "postgresql"])
def adopted(
    request: pytest.FixtureRequest,
    make_database: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[pipeline.Project, pipeline.Checked, Any]:
    url = make_database(request.param)
    module = "shortcut_models_" + request.param
    source = MODELS + (EXPRESSION_INDEX if request.param == "postgresql" else "")
    (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        namespace["metadata"].create_all(conn)
    engine.dispose()
    project = pipeline.locate(models=f"{module}:metadata", url=url)
    checked = pipeline.check(project)
    assert not checked.report.differences, checked.report
    repo = pipeline.prepare_repository(project)
    plan = scratch_mod.plan(project.live.url, "auto")
    with scratch_mod.open_scratch(project.live.url, plan) as scratch:
        made = baseline_mod.generate(repo, project.models, scratch)
    return project, checked, made


def _verify(
    project: pipeline.Project, checked: pipeline.Checked, made: Any, **kw: Any
) -> verify_mod.Verification:
    plan = scratch_mod.plan(project.live.url, "auto")
    with scratch_mod.open_scratch(project.live.url, plan) as scratch:
        verify_mod.upgrade(_repo(project), project.models, scratch)
        return verify_mod.examine(
            project.models,
            scratch,
            checked.snapshot,
            checked.report.unmanaged,
            **kw,
        )


def _repo(project: pipeline.Project) -> Any:
    from adopt.build import repository

    found = repository.find(project.models, project.directory)
    assert found is not None
    return found


def _count_comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = drift.raw_differences

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(drift, "raw_differences", counted)
    return calls


def test_implied_comparison_is_skipped(
    adopted: tuple[pipeline.Project, pipeline.Checked, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, checked, made = adopted
    calls = _count_comparisons(monkeypatch)
    result = _verify(project, checked, made, check=checked.report)
    assert result.passed, result
    assert calls == []
    # Without the check's report, the comparison is made, and agrees.
    again = _verify(project, checked, made)
    assert again.passed, again
    assert calls == [1]


def test_a_lost_comment_is_still_caught(
    adopted: tuple[pipeline.Project, pipeline.Checked, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot's comparison does not look at comments: the details do, so an edit that
    drops one still gets the comparison with the models, which reports it."""
    project, checked, made = adopted
    if project.dialect == "sqlite":
        pytest.skip("SQLite keeps no comments")
    text = made.path.read_text(encoding="utf-8")
    edited = text.replace("comment='shown to customers'", "comment=None")
    assert edited != text
    made.path.write_text(edited, encoding="utf-8")
    calls = _count_comparisons(monkeypatch)
    result = _verify(project, checked, made, check=checked.report)
    assert calls == [1]
    assert not result.passed
    assert any(d.object == "name" for d in result.against_models), result


def test_a_lost_expression_index_is_still_caught(
    adopted: tuple[pipeline.Project, pipeline.Checked, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, checked, made = adopted
    if project.dialect == "sqlite":
        pytest.skip("SQLite's reflection skips expression indexes")
    text = made.path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "ix_item_lower_name" not in line]
    assert len(lines) < len(text.splitlines())
    made.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls = _count_comparisons(monkeypatch)
    result = _verify(project, checked, made, check=checked.report)
    assert calls == [1]
    assert not result.passed, result


def test_accepted_differences_get_the_comparison(
    adopted: tuple[pipeline.Project, pipeline.Checked, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from adopt.compare.differences import Difference

    project, checked, made = adopted
    drifted = replace(
        checked.report, differences=(Difference("nullable", "item", "code", "accepted"),)
    )
    calls = _count_comparisons(monkeypatch)
    result = _verify(project, checked, made, check=drifted)
    assert calls == [1]
    assert result.passed, result
