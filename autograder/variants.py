"""Variants of the reference solutions: the reference with one cell edited, and student notebooks
filled with such code. The mistake catalogue (tests/) and the sample class generator both use it."""
from __future__ import annotations

from typing import Any, Optional

import nbformat

from .cells import grade_id, is_reference_cell, is_solution_cell
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


def reference_namespace(assignment: str, replaced: Optional[str] = None, new_source: Optional[str] = None,
                        extra: Optional[str] = None) -> dict[str, Any]:
    """The reference cells run in order, with cell `replaced` swapped for new_source, then `extra`."""
    nb = nbformat.read(notebook_path(assignment), as_version=4)
    ns: dict[str, Any] = {"__name__": "student"}
    for cell in nb.cells:
        if is_reference_cell(cell):
            gid = grade_id(cell)
            source = new_source if gid == replaced and new_source is not None else cell.source
            exec(compile(source, f"<{gid}>", "exec"), ns)
    if extra:
        exec(compile(extra, "<alternative>", "exec"), ns)
    return ns


def filled_student_notebook(student_nb: Any, sources: dict[str, str]) -> Any:
    """A copy of a released notebook whose solution cells hold the given code."""
    nb = nbformat.from_dict(student_nb)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in sources and is_solution_cell(cell):
            cell.source = sources[gid]
    return nb
