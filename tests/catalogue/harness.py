"""Evaluate a variant of the reference solutions against every test cell, in this process."""
from __future__ import annotations

import contextlib
import io
from typing import Any, Optional

import nbformat

from autograder.grading.verify import run_in_process
from autograder.reference import notebook_path
from autograder.cells import is_test_cell
from autograder.testcells import visible_source
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


def _raises(source: str, ns: dict[str, Any]) -> Optional[str]:
    """What a student sees when running the cell: its error, if any (format checks such as
    notebook 4's answer_format are plain code, not `check` calls)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, "<visible test cell>", "exec"), dict(ns))
    except Exception as err:  # any error under a test cell is a failure the student sees
        return f"{type(err).__name__}: {err}"
    return None


def visible_failures(assignment: str, ns: dict[str, Any]) -> dict[str, str]:
    """grade_id -> feedback, for every test cell whose VISIBLE part the namespace's functions fail:
    what a student meets before submitting. Hidden regions are removed as nbgrader's release does."""
    failed = {}
    for cell in _cells(assignment):
        if is_test_cell(cell):
            visible = visible_source(cell.source)
            message = run_in_process(visible, ns, assignment) or _raises(visible, ns)
            if message:
                failed[cell.metadata["nbgrader"]["grade_id"]] = message
    return failed


def grade_cell_ids(assignment: str) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in _cells(assignment) if is_test_cell(c)]
