"""Read test cells as text: which checks a cell makes, and which of them are hidden.

The grader takes the list of checks from the instructor's copy of each test cell (never from the
student's kernel), so test cells call `check` with literal arguments only.
"""
from __future__ import annotations

import ast
import re

from cnn_student.source import python_text

HIDDEN_RE = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                       re.S | re.M)


def visible_source(source: str) -> str:
    """The cell as students see it: the hidden region removed (as nbgrader's release does)."""
    return HIDDEN_RE.sub("", source)


def parse_checks(source: str, calls: tuple[str, ...] = ("check",)) -> list[tuple[str, dict]]:
    """Every (function name, case) that `check(...)` calls (or the named calls) in this source make."""
    tree = ast.parse(python_text(source))  # IPython magics (%matplotlib, !pip) are not Python
    found: list[tuple[str, dict]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in calls:
            continue
        if not node.args or not isinstance(node.args[0], ast.Constant):
            raise ValueError(f"check() needs the function name as a literal string (line {node.lineno})")
        fn = node.args[0].value
        cases_node = node.args[2] if len(node.args) > 2 else next(
            (k.value for k in node.keywords if k.arg in ("cases", "case")), None)
        if cases_node is None:
            raise ValueError(f"check({fn!r}, ...) needs cases=[...] (line {node.lineno})")
        cases = ast.literal_eval(cases_node)
        if isinstance(cases, dict):  # show_example(fn, student, case): one case
            cases = [cases]
        found.extend((fn, dict(c)) for c in cases)
    return found


def hidden_checks(source: str) -> list[tuple[str, dict]]:
    visible = parse_checks(visible_source(source))
    return [c for c in parse_checks(source) if c not in visible]


def test_title(source: str) -> str:
    """The first line of a test cell's docstring (what it checks): how feedback and the report name a test."""
    try:
        doc = ast.get_docstring(ast.parse(source)) or ""
    except SyntaxError:  # an instructor's cell always parses; a title is not worth failing for
        doc = ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
