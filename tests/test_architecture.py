"""The house's shape beyond what lint-imports checks: no two modules of one folder import
each other, at the top or inside a function (lint-imports' layers contract sees stages,
not the modules within one)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "auditor"


def _module_name(package: Path, path: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: str) -> set[str]:
    """Every module of `root` that path imports anywhere in it, `from x import y`
    counted as both x and x.y (y may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith(f"{root}.")}


def circles(package: Path) -> list[tuple[str, str]]:
    """Pairs of modules of one folder that import each other."""
    modules = {_module_name(package, path): path for path in package.rglob("*.py")}
    imports = {name: _imports(path, package.name) & modules.keys()
               for name, path in modules.items()}
    return sorted(
        (first, second)
        for first, targets in imports.items()
        for second in targets
        if first < second
        and first.rpartition(".")[0] == second.rpartition(".")[0]
        and first in imports[second]
    )


def test_no_module_imports_one_of_its_folder_that_imports_it_back() -> None:
    assert circles(PACKAGE) == []


def test_a_circle_inside_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "house"
    (package / "floor").mkdir(parents=True)
    (package / "floor" / "one.py").write_text("from house.floor.two import X\n")
    (package / "floor" / "two.py").write_text("def f():\n    from house.floor import one\n")
    (package / "floor" / "three.py").write_text("import house.floor.one\n")
    assert circles(package) == [("house.floor.one", "house.floor.two")]
