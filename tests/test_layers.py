"""Architecture rules that import-linter cannot express."""

from __future__ import annotations

import ast
import itertools
import re
import sys
from pathlib import Path

import pytest

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


# ------------------------------------------------------------------ import cycles

KNOWN_CYCLES: dict[frozenset[str], str] = {}
"""Cycles allowed for now (their modules, as paths below oci_interpreter/) and why."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Every module of the package -> {module of the package it imports: line}, and each
    module's path below oci_interpreter/.

    Every import statement counts, wherever it is: at the top, inside a function (a lazy
    import hides a cycle, it does not remove it), under ``TYPE_CHECKING``. ``from a import
    b`` depends on ``a`` and, when ``b`` is a module, on ``a.b``; relative imports are
    resolved from the importing module.
    """
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    shown = {name: str(path.relative_to(PACKAGE)) for name, path in files.items()}
    graph: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
            for target in targets:
                if target in files and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph, shown


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that import each other (two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def cycle_in(group: set[str], graph: dict[str, dict[str, int]],
             shown: dict[str, str]) -> str:
    """One shortest cycle through the group's first module, in words: each step names
    the importing file and the line of its import."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for other in sorted(graph[node]):
            if other == start:
                path = [*paths[node], start]
                return " -> ".join(f"{shown[a]}:{graph[a][b]}"
                                   for a, b in itertools.pairwise(path)) + f" -> {shown[start]}"
            if other in group and other not in paths:
                paths[other] = [*paths[node], other]
                queue.append(other)
    raise AssertionError(f"no cycle through {start}")  # a group always has one


def test_no_import_cycles() -> None:
    graph, shown = import_graph()
    found = {frozenset(shown[m] for m in group): cycle_in(group, graph, shown)
             for group in strongly_connected(graph)}
    new = [f"  {cycle}" for group, cycle in sorted(found.items(), key=lambda kv: kv[1])
           if group not in KNOWN_CYCLES]
    assert not new, (
        "modules import each other (file:line of each import; move what both need into a "
        "third module, or invert one dependency):\n" + "\n".join(new))
    gone = [", ".join(sorted(group)) for group in KNOWN_CYCLES if group not in found]
    assert not gone, ("no longer a cycle, remove it from KNOWN_CYCLES: "
                      + "; ".join(gone))


def test_cycle_check_sees_lazy_and_relative_imports(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "oci_interpreter"
    (package / "bench").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bench" / "__init__.py").write_text("")
    (package / "bench" / "column.py").write_text(
        "def solve():\n    from oci_interpreter.bench.vote import solve_vote\n")
    (package / "bench" / "vote.py").write_text("from . import column\n")
    (package / "bench" / "suite.py").write_text("from .column import solve\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    graph, shown = import_graph()
    groups = strongly_connected(graph)
    assert groups == [{"oci_interpreter.bench.column", "oci_interpreter.bench.vote"}]
    assert cycle_in(groups[0], graph, shown) == (
        "bench/column.py:2 -> bench/vote.py:1 -> bench/column.py")


# ------------------------------------------------- every module in docs/design.md

DESIGN = PACKAGE.parent / "docs" / "design.md"


def package_modules() -> set[str]:
    """Every module and package of oci_interpreter/, as a path below it (``agent/``,
    ``agent/verify.py``), read from the file system: not the ``__init__.py`` files, nor
    the sandbox's underscore modules, which run inside the sandbox (``_inside/``,
    ``_assertinfo/``, ...)."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*"):
        rel = path.relative_to(PACKAGE)
        if "__pycache__" in rel.parts:
            continue
        if rel.parts[0] == "sandbox" and any(part.startswith("_") for part in rel.parts[1:]):
            continue
        if path.is_dir() and (path / "__init__.py").is_file():
            found.add(f"{rel.as_posix()}/")
        elif path.suffix == ".py" and path.name != "__init__.py":
            found.add(rel.as_posix())
    return found


def layer_table() -> set[str]:
    """The paths named in the first column of docs/design.md's layer table (the table in
    its ``## Layers`` section)."""
    text = DESIGN.read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            first = line.split("|")[1]
            named.update(re.findall(r"`([^`]+)`", first))
    return named


def test_every_module_is_in_the_design_layer_table() -> None:
    missing = sorted(package_modules() - layer_table())
    assert not missing, (
        "docs/design.md's layer table (## Layers) does not name these modules; add a row "
        "for each, with one line on what it is for:\n  " + "\n  ".join(missing))


def test_the_design_layer_table_names_no_module_that_is_gone() -> None:
    gone = sorted(name for name in layer_table() if not (PACKAGE / name).exists())
    assert not gone, "docs/design.md's layer table names modules that do not exist: " + (
        ", ".join(gone))


def test_the_layer_table_reads_the_tree() -> None:
    modules = package_modules()
    assert {"__main__.py", "agent/", "agent/verify.py", "sandbox/writeback.py"} <= modules
    assert not any(name.startswith("sandbox/_") or name.endswith("__init__.py")
                   for name in modules)
    assert "bench/run.py" not in layer_table()
