"""A sample class of submissions in nbgrader's submitted layout, for the demo and the tests:
honest students (right, partly right, common mistakes, untouched), broken files, and hostile
submissions of every kind the grader must survive.

    python -m autograder sample-class DIR [--assignment A ...]
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Optional

import nbformat

from .paths import NOTEBOOKS
from .release import assignments
from .variants import edited, filled_student_notebook, grade_id, solution_sources

FIRST, SECOND = "01_conv_forward", "02_pool_forward"

# (assignment, solution cell, edits): the mistakes the partly-right students make
MISTAKES = {
    "ben": [(FIRST, "conv_forward", [("W[:, :, :, c], b[:, :, :, c])", "W[:, :, :, c], np.zeros((1, 1, 1)))")])],
    "cy": [(FIRST, "zero_pad", [("((0, 0), (pad, pad), (pad, pad), (0, 0))", "pad")]),
           (SECOND, "pool_forward", [("np.mean(window)", "np.sum(window)")])],
}

READ_SECRETS = '''
import glob, os
leaked = []
for pattern in ("/work/*/solutions/*/*.ipynb", "/**/gradebook.db", "/**/nbgrader_config.py", "../../../solutions/*/*.ipynb"):
    try:
        leaked += glob.glob(pattern, recursive=True)[:3]
    except OSError as err:
        leaked.append(repr(err))
print("found:", leaked, "home:", os.listdir(os.path.expanduser("~")))
'''

PATCH_CHECKS = '''
import numpy as np
import cnn_student.checks, cnn_student.compare
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
cnn_student.compare.explain = lambda *a, **k: None
cnn_student.checks.explain = lambda *a, **k: None

def conv_forward(A_prev, W, b, hparameters):
    import sys
    frame = sys._getframe(1)
    print("caller sees:", sorted(frame.f_locals)[:10])
    return np.zeros((1, 1, 1, 1)), None
'''


def _released(assignment: str, notebooks: Path) -> tuple[str, nbformat.NotebookNode]:
    path = next((notebooks / assignment).glob("*.ipynb"))
    return path.name, nbformat.read(path, as_version=4)


def _write(root: Path, student: str, assignment: str, name: str, nb: Optional[nbformat.NotebookNode],
           text: Optional[str] = None) -> None:
    folder = root / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    (folder / name).write_text(text if text is not None else nbformat.writes(nb))


def _append_to(sources: dict[str, str], cell: str, code: str) -> dict[str, str]:
    return dict(sources, **{cell: sources[cell] + "\n" + code})


def make(root: Path, only: Optional[list[str]] = None, notebooks: Path = NOTEBOOKS) -> list[str]:
    """Write the sample class under root; return the student ids."""
    if root.exists():
        shutil.rmtree(root)
    names = [a for a in assignments() if (not only or a in only) and (notebooks / a).is_dir()]
    plans: dict[str, Callable[[str, str, nbformat.NotebookNode, dict], None]] = {}

    def perfect(student, a, name, nb, src):
        _write(root, student, a, name, filled_student_notebook(nb, src))

    def with_mistakes(student):
        def plan(s, a, name, nb, src):
            for assignment, cell, edits in MISTAKES[student]:
                if assignment == a:
                    src = dict(src, **{cell: edited(src[cell], edits, f"{student} {cell}")})
            if any(m[0] == a for m in MISTAKES[student]) or student == "ben":
                _write(root, s, a, name, filled_student_notebook(nb, src))
            else:
                _write(root, s, a, name, nb)  # left untouched
        return plan

    def untouched(s, a, name, nb, src):
        _write(root, s, a, name, nb)

    def broken(s, a, name, nb, src):
        if a == FIRST:
            _write(root, s, a, name, None, text=nbformat.writes(filled_student_notebook(nb, src))[:5000])
        elif a == SECOND:
            return  # never submitted
        else:
            _write(root, s, a, "Copy of " + name, filled_student_notebook(nb, src))

    def tampered(s, a, name, nb, src):
        if a == FIRST:
            src = dict(src, conv_forward=edited(src["conv_forward"], MISTAKES["ben"][0][2]))
            nb = filled_student_notebook(nb, src)
            for cell in nb.cells:
                if grade_id(cell) == "test_conv_forward":
                    cell.source = '"""conv_forward: edited to pass"""\npass'
            nb.cells = [c for c in nb.cells if grade_id(c) != "test_zero_pad"]
        else:
            nb = filled_student_notebook(nb, src)
            for cell in nb.cells:
                cell.metadata.pop("nbgrader", None)
        _write(root, s, a, name, nb)

    def hostile(s, a, name, nb, src):
        if a == FIRST:
            src = dict(src, conv_forward=READ_SECRETS + PATCH_CHECKS)
        _write(root, s, a, name, filled_student_notebook(nb, src))

    def kernel_exit(s, a, name, nb, src):
        if a == FIRST:
            src = _append_to(src, "conv_single_step", "import os\nos._exit(1)")
        _write(root, s, a, name, filled_student_notebook(nb, src))

    def endless_and_memory(s, a, name, nb, src):
        if a == FIRST:
            src = _append_to(src, "conv_forward", "while True:\n    pass")
        elif a == SECOND:
            src = _append_to(src, "pool_forward", "hog = np.ones((2 ** 31,))  # 16 GiB")
        _write(root, s, a, name, filled_student_notebook(nb, src))

    def flood(s, a, name, nb, src):
        if a == FIRST:
            src = _append_to(src, "zero_pad", "for k in range(200):\n    print(k, 'flood ' * 5000)")
        _write(root, s, a, name, filled_student_notebook(nb, src))

    plans.update(ada=perfect, ben=with_mistakes("ben"), cy=with_mistakes("cy"), dee=untouched, eve=broken,
                 fay=tampered, gus=hostile, hal=kernel_exit, ivy=endless_and_memory, jo=flood)
    for student, plan in plans.items():
        for a in names:
            name, nb = _released(a, notebooks)
            plan(student, a, name, nb, solution_sources(a))
    return list(plans)


DESCRIPTIONS = {
    "ada": "right everywhere", "ben": "conv_forward without bias", "cy": "zero_pad on every axis; average pooling as a sum",
    "dee": "untouched notebooks", "eve": "invalid JSON, a missing assignment, renamed notebooks",
    "fay": "a deleted and an edited test cell; stripped nbgrader metadata",
    "gus": "reads for solutions, patches numpy and the checks, inspects frames",
    "hal": "exits its kernel", "ivy": "endless loop; a 16 GiB allocation", "jo": "prints 6 MB of output",
}
