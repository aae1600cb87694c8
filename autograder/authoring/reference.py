"""The reference solutions, loaded from the instructor notebooks in solutions/ (the one source of
expected values). Only the grader, the release step and the tests load them; students' kernels
never can."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import nbformat

from .cells import grade_id, is_reference_cell
from ..paths import SOLUTIONS
from cnn_student.serialize import case_key
from cnn_student.functions import build_args, get_spec



def notebook_path(assignment: str, solutions: Path = SOLUTIONS) -> Path:
    paths = sorted((solutions / assignment).glob("*.ipynb"))
    if len(paths) != 1:
        raise FileNotFoundError(f"expected one notebook in {solutions / assignment}, found {len(paths)}")
    return paths[0]


def run_cells(assignment: str, solutions: Path = SOLUTIONS, replaced: Optional[dict[str, str]] = None,
              extra: Optional[str] = None, module: str = "") -> dict[str, Any]:
    """Run the reference cells of an assignment's solutions notebook in order, each cell named in
    `replaced` (grade id -> source) swapped for its new source, then `extra`; return what they define.
    `module`: the namespace's __name__ (default reference_<assignment>)."""
    path = notebook_path(assignment, solutions)
    nb = nbformat.read(path, as_version=4)
    ns: dict[str, Any] = {"__name__": module or f"reference_{assignment}"}
    os.environ.setdefault("MPLBACKEND", "Agg")
    cwd = os.getcwd()
    os.chdir(path.parent)  # reference cells may load data relative to the notebook, as students do
    try:
        for cell in nb.cells:
            if is_reference_cell(cell):
                gid = grade_id(cell) or "setup"
                source = (replaced or {}).get(gid, cell.source)
                exec(compile(source, f"{path.name}:{gid}", "exec"), ns)
        if extra:
            exec(compile(extra, f"{path.name}:extra", "exec"), ns)
    finally:
        os.chdir(cwd)
    return ns


@lru_cache(maxsize=None)
def namespace(assignment: str, solutions: Path = SOLUTIONS) -> dict[str, Any]:
    """What the reference cells of an assignment's solutions notebook define (run once per process)."""
    return run_cells(assignment, solutions)


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

