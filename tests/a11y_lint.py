"""Static accessibility checks of what students and instructors read, without a kernel: the notebooks'
structure (one top-level heading, no skipped level, descriptive links) and every figure's source (each
goes through show_figure with a text alternative, colour maps and colours from the safe lists).
Each function returns the problems it finds, as sentences naming the file and place."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from cnn_student.visuals._common import SAFE_CMAPS, SAFE_COLOURS

# matplotlib calls that draw or show a figure: in a notebook cell they would make a figure the inline
# backend shows with no text alternative; in the package, only show_figure may send one
DRAWING = {"show", "plot", "imshow", "bar", "barh", "hist", "scatter", "figure", "subplots", "matshow", "pcolormesh",
           "contour", "contourf", "pie", "step", "fill_between", "errorbar"}
COLOUR_KEYWORDS = {"color", "c", "edgecolor", "edgecolors", "facecolor", "facecolors", "colors", "ecolor"}
VAGUE_LINKS = {"here", "click here", "this", "link", "this link", "more", "read more"}
FENCE = re.compile(r"^\s*(```|~~~)")


def heading_problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """One level-1 heading, first; no level skipped on the way down; links that say where they lead."""
    problems, levels = [], []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if FENCE.match(line):
                fenced = not fenced
                continue
            heading = re.match(r"^(#{1,6})\s+\S", line)
            if heading and not fenced:
                level = len(heading.group(1))
                if levels and level > levels[-1] + 1:
                    problems.append(f"{name} cell {k}: heading level {level} follows level {levels[-1]}: "
                                    f"{line.strip()[:60]!r}")
                if not levels and level != 1:
                    problems.append(f"{name} cell {k}: the first heading is level {level}, not 1")
                levels.append(level)
        for text in re.findall(r"\[([^\]]+)\]\([^)]+\)", cell.source):
            if text.strip().lower() in VAGUE_LINKS:
                problems.append(f"{name} cell {k}: link text {text!r} does not say where it leads")
    if levels.count(1) != 1:
        problems.append(f"{name}: {levels.count(1)} top-level headings, not 1")
    return problems


def _constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def source_problems(source: str, name: str, notebook: bool) -> list[str]:
    """Figure calls without a text alternative, drawing outside show_figure (in a notebook), and colour
    maps or colours outside SAFE_CMAPS and SAFE_COLOURS."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # a student stub or an exercise: not a figure call
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "cm" \
                and node.attr not in SAFE_CMAPS:
            problems.append(f"{name} line {node.lineno}: colour map plt.cm.{node.attr} is not in SAFE_CMAPS")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if called == "show_figure":
            alt = keywords.get("alt", node.args[1] if len(node.args) > 1 else None)
            if alt is None or _constant(alt) is not None and not _constant(alt).strip():
                problems.append(f"{name} line {node.lineno}: show_figure without a text alternative (alt)")
        elif owner == "plt" and called == "show":
            problems.append(f"{name} line {node.lineno}: plt.show() sends a figure without a text alternative: "
                            "use show_figure(fig, alt)")
        elif notebook and owner == "plt" and called in DRAWING:
            problems.append(f"{name} line {node.lineno}: plt.{called} in a notebook draws a figure without a text "
                            "alternative: draw it in cnn_student.visuals and send it with show_figure(fig, alt)")
        if called == "get_cmap" and node.args and _constant(node.args[0]) not in SAFE_CMAPS:
            problems.append(f"{name} line {node.lineno}: colour map {_constant(node.args[0])!r} is not in SAFE_CMAPS")
        cmap = _constant(keywords.get("cmap", ast.Constant(None)))
        if cmap is not None and cmap not in SAFE_CMAPS:
            problems.append(f"{name} line {node.lineno}: colour map {cmap!r} is not in SAFE_CMAPS")
        for key in COLOUR_KEYWORDS & keywords.keys():
            values = keywords[key].elts if isinstance(keywords[key], (ast.List, ast.Tuple)) else [keywords[key]]
            for value in values:
                colour = _constant(value)
                if colour is not None and colour.lower() not in SAFE_COLOURS:
                    problems.append(f"{name} line {node.lineno}: colour {colour!r} is not in SAFE_COLOURS")
    return problems


def notebook_problems(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    problems = heading_problems(nb, path.name)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            problems += source_problems(cell.source, f"{path.name} cell {k}", notebook=True)
    return problems
