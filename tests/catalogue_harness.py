"""Evaluate a variant of the reference solutions against every test cell, in this process."""
from __future__ import annotations

import contextlib
import io
import time
from functools import lru_cache
from typing import Any, Optional

import nbformat

from autograder.authoring.cells import grade_id as cell_grade_id, is_test_cell
from autograder.grading.pipeline.causes import NOT_CHECKED
from autograder.grading.pipeline.verify import Results, judge
from autograder.authoring.reference import notebook_path, run_cells
from autograder.authoring.testcells import parse_checks, visible_source
from autograder.authoring.variants import solution_sources
from cnn_student.compare import Diagnosis
from cnn_student.serialize import case_key
from cnn_student.functions import build_args
from cnn_student.protocol import VECTORIZED
from cnn_student.speed import measure
from cnn_student.time_limit import OverTimeLimit, time_limit


def _cells(assignment: str):
    return nbformat.read(notebook_path(assignment), as_version=4).cells


SOURCES = "__catalogue_sources__"  # the code a namespace ran, for the checks that read a function's source


def namespace_with(assignment: str, replaced: Optional[str] = None, new_source: Optional[str] = None,
                   extra: Optional[str] = None) -> dict[str, Any]:
    """The reference cells run in order, one replaced, then `extra`; remembers the code it ran."""
    ns = run_cells(assignment, replaced={replaced: new_source} if replaced and new_source is not None else None,
                   extra=extra, module="student")
    cells = [new_source if gid == replaced and new_source is not None else source
             for gid, source in solution_sources(assignment).items()]
    ns[SOURCES] = cells + ([extra] if extra else [])
    return ns


def run_in_process(source: str, namespace: dict[str, Any], assignment: str, sources: Optional[list[str]] = None,
                   calibration_scale: float = 1.0) -> Optional[Diagnosis]:
    """Judge a test cell against functions defined in this process (the mistake catalogue's tests).
    `sources` are the code the namespace ran; calibration_scale < 1 plays a slower machine."""
    results: Results = {}
    for fn, case in parse_checks(source, ("check_vectorized",)):
        student = namespace.get(fn)
        try:
            value, measures = measure(student, build_args(fn, case), calibration_scale)
        except Exception as err:  # a mistaken implementation may crash: that is a failed check
            results[case_key(fn + VECTORIZED, case)] = ("error", f"{type(err).__name__}: {err}")
        else:
            results[case_key(fn + VECTORIZED, case)] = ("result", {"value": value, **measures})
    for fn, case in parse_checks(source):
        student = namespace.get(fn)
        try:
            value = student(*build_args(fn, case)) if callable(student) else student
        except Exception as err:  # a mistaken implementation may crash: that is a failed check
            results[case_key(fn, case)] = ("error", f"{type(err).__name__}: {err}")
        else:
            results[case_key(fn, case)] = ("result", value)
    return judge(source, results, assignment, sources)


# At grading a test cell may run 60 s (autograder grade --timeout); the reference runs any test cell
# in well under a second. In process, without that limit, a cell that takes more than BUDGET_RATIO
# times the reference's time (and more than BUDGET_FLOOR seconds: tiny cells time noisily) counts
# as failed, as it would at grading: that is how the catalogue proves that differentiating the forward
# pass numerically loses conv_backward's points (tests/test_numerical_backprop.py shows that it needs
# over 1000 times the loop backward's time on the large hidden case, far beyond any budget).
BUDGET_RATIO = 20
BUDGET_FLOOR = 1.0


@lru_cache(maxsize=None)
def reference_seconds(assignment: str, grade_id: str) -> float:
    """The reference solutions' time on one test cell, in this process (the second of two runs)."""
    cell = next(c for c in _cells(assignment) if cell_grade_id(c) == grade_id)
    ns = namespace_with(assignment)
    run_in_process(cell.source, ns, assignment, ns[SOURCES])  # warm: the judge's reference results are cached
    start = time.perf_counter()
    run_in_process(cell.source, ns, assignment, ns[SOURCES])
    return time.perf_counter() - start


def failures(assignment: str, ns: dict[str, Any], calibration_scale: float = 1.0) -> dict[str, Diagnosis]:
    """grade_id -> verdict (feedback and causes), for every test cell that the namespace's functions fail, a cell that
    runs over its time budget included. calibration_scale < 1 plays a machine slower for the
    submission than for the calibration of the vectorization checks."""
    failed = {}
    for cell in _cells(assignment):
        if is_test_cell(cell):
            gid = cell_grade_id(cell)
            budget = max(BUDGET_FLOOR, BUDGET_RATIO * reference_seconds(assignment, gid))
            try:
                with time_limit(budget):
                    message = run_in_process(cell.source, ns, assignment, ns.get(SOURCES), calibration_scale)
            except OverTimeLimit:  # at grading, the time-out stops the cell before its checks are recorded
                message = Diagnosis(f"ran over its time budget ({budget:.1f} s here, {BUDGET_RATIO} times the "
                                    f"reference solution's time): at grading the cell's time limit stops it and "
                                    f"it scores 0", "", [NOT_CHECKED.id])
            if message:
                failed[gid] = message
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


def visible_failures(assignment: str, ns: dict[str, Any], first_only: bool = False) -> dict[str, str]:
    """grade_id -> feedback, for every test cell whose VISIBLE part the namespace's functions fail:
    what a student meets before submitting. Hidden regions are removed as nbgrader's release does.
    first_only: stop at the first such cell (whether a visible test catches a mistake at all)."""
    failed = {}
    for cell in _cells(assignment):
        if is_test_cell(cell):
            visible = visible_source(cell.source)
            message = run_in_process(visible, ns, assignment, ns.get(SOURCES)) or _raises(visible, ns)
            if message:
                failed[cell_grade_id(cell)] = message
                if first_only:
                    break
    return failed


def grade_cell_ids(assignment: str) -> list[str]:
    return [cell_grade_id(c) for c in _cells(assignment) if is_test_cell(c)]
