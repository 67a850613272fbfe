"""Applying a model's edit to a file: what a reply replaces, and the file that results.

Today: a reply holding only the definitions it changed is spliced into the original by
name (:func:`merge_partial`); anything else is the whole file.
"""

from __future__ import annotations

import ast


def merge_partial(original: str, candidate: str) -> str:
    """The whole file when the model answered with only the functions it changed.

    When every top-level statement of ``candidate`` is an import or a function/class
    definition, every definition also exists at the top level of ``original``, and the
    candidate is missing other top-level code the original has, the original's
    definitions are replaced by the candidate's and its new imports go on top.
    Otherwise ``candidate`` is taken as the whole file.
    """
    try:
        old_tree = ast.parse(original)
        new_tree = ast.parse(candidate)
    except SyntaxError:
        return candidate
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    imports = (ast.Import, ast.ImportFrom)
    new_defs = [n for n in new_tree.body if isinstance(n, defs)]
    if not new_defs or not all(isinstance(n, (*defs, *imports)) for n in new_tree.body):
        return candidate
    old_defs = {n.name: n for n in old_tree.body if isinstance(n, defs)}
    if not all(n.name in old_defs for n in new_defs):
        return candidate
    others = [n for n in old_tree.body if not isinstance(n, (*defs, *imports))]
    if not others and len(new_defs) == len(old_defs):
        return candidate  # the original is only these definitions: the candidate is whole
    lines = original.split("\n")
    new_lines = candidate.split("\n")
    # Replace from the bottom up so earlier line numbers stay valid.
    for node in sorted(new_defs, key=lambda n: old_defs[n.name].lineno, reverse=True):
        old = old_defs[node.name]
        start = min([old.lineno, *(d.lineno for d in old.decorator_list)]) - 1
        end = old.end_lineno or old.lineno
        body_start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        body = new_lines[body_start:node.end_lineno or node.lineno]
        lines[start:end] = body
    have = {ast.unparse(n) for n in old_tree.body if isinstance(n, imports)}
    added = [ast.unparse(n) for n in new_tree.body
             if isinstance(n, imports) and ast.unparse(n) not in have]
    if added:
        insert = _import_position(old_tree)
        lines[insert:insert] = added
    return "\n".join(lines)


def _import_position(tree: ast.Module) -> int:
    """Line index after the module docstring, ``__future__`` imports and leading imports."""
    position = 0
    for node in tree.body:
        is_doc = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str) and node is tree.body[0])
        if is_doc or isinstance(node, (ast.Import, ast.ImportFrom)):
            position = node.end_lineno or node.lineno
            continue
        break
    return position
