"""The core library stays free of user-interface code: the CLI and the wizard sit on top."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "adopt"
UI_MODULES = {"cli", "wizard", "prompter", "output", "__main__"}
UI_IMPORTS = {"click", "questionary", "rich", "prompt_toolkit"}


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_import_no_ui_library() -> None:
    core = [p for p in PACKAGE.glob("*.py") if p.stem not in UI_MODULES]
    assert len(core) >= 10
    for path in core:
        for name in imported_names(path):
            top = name.split(".")[0]
            assert top not in UI_IMPORTS, f"{path.name} imports {name}"
            assert name.removeprefix("adopt.") not in UI_MODULES, f"{path.name} imports {name}"


def test_only_the_prompter_imports_questionary() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.stem != "prompter":
            assert "questionary" not in {n.split(".")[0] for n in imported_names(path)}, path.name
