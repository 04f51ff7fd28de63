"""The architecture, as a contract the code is held to: front ends -> adopt.api -> the core.

- The core (everything but the front ends and adopt.ui) imports no user-interface library and
  no front-end module, so a library caller gets no terminal code.
- The front ends (cli, wizard) reach the core only through adopt.api and adopt.options (plus the
  leaf modules every layer may use), so the command line and the wizard cannot drift apart.
- A speed-up (adopt._speedups) is imported only at its call sites, listed here.
- No module imports another module's private name (`from adopt.x import _y`, `x._y`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "adopt"
FRONT_ENDS = {"adopt.cli", "adopt.wizard", "adopt.__main__"}
UI_LIBRARIES = {"click", "questionary", "rich", "prompt_toolkit"}
# What every layer may import: no behaviour of the flow, only words, errors and process state.
LEAVES = {
    "adopt",
    "adopt.errors",
    "adopt.urls",
    "adopt.wording",
    "adopt.interrupts",
    "adopt.committed",
    "adopt.library_warnings",
}
# Each speed-up and the only modules that may enter it.
SPEEDUP_CALL_SITES = {
    "adopt._speedups.background": {"adopt.pipeline", "adopt.build.scratch"},
    "adopt._speedups.memory": {"adopt.pipeline", "adopt.build.baseline"},
    "adopt._speedups.process": {"adopt.cli", "adopt.api"},
    "adopt._speedups.pg_compare": {"adopt.compare.alembic_comparison"},
    "adopt._speedups.sqlite_catalog": {"adopt.pipeline", "adopt.build.verify"},
    "adopt._speedups.write_behind": {"adopt.build.verify"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "templates" not in path.parts:
            found[module_name(path)] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def imports(tree: ast.Module) -> list[tuple[str, str | None]]:
    """(module, name) for every import: name is None for `import x`."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                # `from adopt.build import verify` imports the module adopt.build.verify
                found.append((node.module, alias.name))
    return found


def targets(tree: ast.Module) -> set[str]:
    """The modules (or packages) an import statement reaches, dotted."""
    found = set()
    for module, name in imports(tree):
        found.add(module)
        if name is not None:
            found.add(f"{module}.{name}")
    return found


MODULES = modules()


def is_ui(name: str) -> bool:
    return name in FRONT_ENDS or name == "adopt.ui" or name.startswith("adopt.ui.")


def test_the_contract_sees_the_whole_package() -> None:
    assert {"adopt.api", "adopt.options", "adopt.cli", "adopt.wizard"} <= set(MODULES)
    assert len(MODULES) >= 40


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not is_ui(n)))
def test_the_core_imports_no_user_interface(name: str) -> None:
    for target in targets(MODULES[name]):
        assert not any(target == lib or target.startswith(lib + ".") for lib in UI_LIBRARIES), (
            f"{name} imports {target}"
        )
        assert not is_ui(target), f"{name} imports the front end {target}"


@pytest.mark.parametrize("name", sorted(FRONT_ENDS & set(MODULES)))
def test_front_ends_reach_the_core_only_through_the_api(name: str) -> None:
    allowed = LEAVES | {"adopt.api", "adopt.options", "adopt._speedups.process"}
    for module, imported in imports(MODULES[name]):
        if not module.startswith("adopt"):
            continue
        target = (
            f"{module}.{imported}" if imported and f"{module}.{imported}" in MODULES else module
        )
        assert target in allowed or is_ui(target), f"{name} imports {target}"


def test_speedups_are_entered_only_at_their_call_sites() -> None:
    for name, tree in MODULES.items():
        for target in targets(tree):
            if target.startswith("adopt._speedups.") and target in SPEEDUP_CALL_SITES:
                assert name in SPEEDUP_CALL_SITES[target] or name.startswith("adopt._speedups"), (
                    f"{name} imports {target}"
                )


def test_no_private_name_crosses_a_module() -> None:
    for name, tree in MODULES.items():
        for module, imported in imports(tree):
            if module.startswith("adopt") and imported and imported.startswith("_"):
                assert imported == "__version__", f"{name} imports {module}.{imported}"
        aliases = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("adopt")
            for alias in node.names
            if f"{node.module}.{alias.name}" in MODULES
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                raise AssertionError(f"{name} uses {node.value.id}.{node.attr}")


def test_only_the_prompter_imports_questionary() -> None:
    for name, tree in MODULES.items():
        if name != "adopt.ui.prompter":
            assert "questionary" not in {t.split(".")[0] for t in targets(tree)}, name
