"""Variants of the reference solutions: the reference with one cell edited, and student notebooks
filled with such code. The mistake catalogue (autograder/catalogue/) and the sample class use it."""
from __future__ import annotations

from typing import Any

import nbformat

from .cells import grade_id, is_solution_cell
from .reference import notebook_path


def solution_sources(assignment: str) -> dict[str, str]:
    """grade_id -> source of every solution cell of the reference notebook."""
    nb = nbformat.read(notebook_path(assignment), as_version=4)
    return {grade_id(c): c.source for c in nb.cells
            if is_solution_cell(c)}


def edited(source: str, edits: list[tuple[str, str]], label: str = "edit") -> str:
    """source with each (old, new) applied; every `old` must occur exactly once, so that an edit
    that no longer matches the reference fails loudly instead of silently changing nothing."""
    for old, new in edits:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"{label}: {old!r} occurs {count} times, not once")
        source = source.replace(old, new)
    return source


def filled_student_notebook(student_nb: Any, sources: dict[str, str]) -> Any:
    """A copy of a released notebook whose solution cells hold the given code."""
    nb = nbformat.from_dict(student_nb)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in sources and is_solution_cell(cell):
            cell.source = sources[gid]
    return nb
