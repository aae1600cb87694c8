"""Evaluate a variant of the reference solutions against every test cell, in this process."""
from __future__ import annotations

from typing import Any

import nbformat

from autograder.grading.verify import run_in_process
from autograder.reference import notebook_path
from autograder.cells import is_test_cell
from autograder.variants import edited, reference_namespace, solution_sources

from . import Mistake


def _cells(assignment: str):
    return nbformat.read(notebook_path(assignment), as_version=4).cells


namespace_with = reference_namespace


def mistaken_source(assignment: str, mistake: Mistake) -> str:
    if mistake.source is not None:
        return mistake.source
    return edited(solution_sources(assignment)[mistake.function], mistake.replace, f"mistake {mistake.id}")


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
