"""The reference solutions, loaded from the instructor notebooks in solutions/ (the one source of
expected values). Only the grader, the release step and the tests load them; students' kernels
never can."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat

from .cells import grade_id, is_reference_cell, points
from .paths import SOLUTIONS
from cnn_student.serialize import case_key
from cnn_student.spec import build_args, get_spec



def notebook_path(assignment: str, solutions: Path = SOLUTIONS) -> Path:
    paths = sorted((solutions / assignment).glob("*.ipynb"))
    if len(paths) != 1:
        raise FileNotFoundError(f"expected one notebook in {solutions / assignment}, found {len(paths)}")
    return paths[0]


@lru_cache(maxsize=None)
def namespace(assignment: str, solutions: Path = SOLUTIONS) -> dict[str, Any]:
    """Run the reference cells of an assignment's solutions notebook; return what they define."""
    path = notebook_path(assignment, solutions)
    nb = nbformat.read(path, as_version=4)
    ns: dict[str, Any] = {"__name__": f"reference_{assignment}"}
    os.environ.setdefault("MPLBACKEND", "Agg")
    cwd = os.getcwd()
    os.chdir(path.parent)  # reference cells may load data relative to the notebook, as students do
    try:
        for cell in nb.cells:
            if is_reference_cell(cell):
                exec(compile(cell.source, f"{path.name}:{cell.metadata.get('nbgrader', {}).get('grade_id', 'setup')}",
                             "exec"), ns)
    finally:
        os.chdir(cwd)
    return ns


def reference_function(fn: str, assignment: str, solutions: Path = SOLUTIONS) -> Any:
    spec = get_spec(fn)
    where, name = spec.reference or (assignment, fn)
    ns = namespace(where, solutions)
    if name not in ns:
        raise KeyError(f"the reference notebook of {where} defines no {name!r}")
    return ns[name]


def expected_result(fn: str, case: dict, assignment: str, solutions: Path = SOLUTIONS) -> Any:
    ref = reference_function(fn, assignment, solutions)
    return ref(*build_args(fn, case)) if callable(ref) else ref


def expected_table(checks: list[tuple[str, dict]], assignment: str,
                   solutions: Path = SOLUTIONS) -> dict[str, Any]:
    return {case_key(fn, case): expected_result(fn, case, assignment, solutions) for fn, case in checks}


def cell_points(assignment: str, *grade_ids: str) -> float:
    """The points of the named graded cells of an assignment, as solutions/ gives them."""
    cells = nbformat.read(notebook_path(assignment), as_version=4).cells
    found = {grade_id(c): points(c) for c in cells if grade_id(c) in grade_ids}
    if set(found) != set(grade_ids):
        raise KeyError(f"no graded cells {sorted(set(grade_ids) - set(found))} in {assignment}")
    return sum(found.values())
