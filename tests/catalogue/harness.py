"""Evaluate a variant of the reference solutions against every test cell, in this process."""
from __future__ import annotations

from typing import Any, Optional

import nbformat

from autograder.grading.verify import run_in_process
from autograder.reference import is_reference_cell, notebook_path
from autograder.release import is_test_cell

from . import Mistake


def _cells(assignment: str):
    return nbformat.read(notebook_path(assignment), as_version=4).cells


def namespace_with(assignment: str, replaced: Optional[str] = None, new_source: Optional[str] = None,
                   extra: Optional[str] = None) -> dict[str, Any]:
    """The reference cells run in order, with cell `replaced` swapped for new_source, then `extra`."""
    ns: dict[str, Any] = {"__name__": "student"}
    for cell in _cells(assignment):
        if not is_reference_cell(cell):
            continue
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        exec(compile(new_source if gid == replaced and new_source is not None else cell.source,
                     f"<{gid}>", "exec"), ns)
    if extra:
        exec(compile(extra, "<alternative>", "exec"), ns)
    return ns


def mistaken_source(assignment: str, mistake: Mistake) -> str:
    if mistake.source is not None:
        return mistake.source
    cell = next(c for c in _cells(assignment) if c.metadata.get("nbgrader", {}).get("grade_id") == mistake.function)
    source = cell.source
    for old, new in mistake.replace:
        count = source.count(old)
        assert count == 1, f"mistake {mistake.id}: {old!r} occurs {count} times in {mistake.function}, not once"
        source = source.replace(old, new)
    return source


def failures(assignment: str, ns: dict[str, Any]) -> dict[str, str]:
    """grade_id -> feedback, for every test cell that the namespace's functions fail."""
    failed = {}
    for cell in _cells(assignment):
        if is_test_cell(cell):
            message = run_in_process(cell.source, ns, assignment)
            if message:
                failed[cell.metadata["nbgrader"]["grade_id"]] = message
    return failed


def grade_cell_ids(assignment: str) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in _cells(assignment) if is_test_cell(c)]
