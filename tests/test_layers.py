"""Architecture rules that import-linter cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "oci_interpreter"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_exactly_one_module_imports_llama_cpp() -> None:
    importers = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if any(m == "llama_cpp" or m.startswith("llama_cpp.") for m in imported_modules(p))
    )
    assert importers == ["backend/llama.py"]


def test_llama_cpp_is_imported_lazily() -> None:
    tree = ast.parse((PACKAGE / "backend" / "llama.py").read_text(encoding="utf-8"))
    top_level = {
        alias.name
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    } | {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.startswith("llama_cpp") for name in top_level)
