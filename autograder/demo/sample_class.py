"""A sample class of submissions in nbgrader's submitted layout, for the demo and the tests:
honest students (right, partly right, common mistakes, untouched), broken files, and hostile
submissions of every kind the grader must survive (`make`); and a generated class drawn from the
mistake catalogue (`make_class`).

    python -m autograder sample-class DIR
"""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path
from typing import Callable, Optional

import nbformat
import numpy as np

from ..catalogue import mistaken_source, modules
from ..paths import NOTEBOOKS
from ..authoring.release import assignments
from ..authoring.variants import edited, filled_student_notebook, grade_id, solution_sources

FIRST, SECOND = "01_conv_forward", "02_pool_forward"

# (assignment, solution cell, edits): the mistakes the partly-right students make
MISTAKES = {
    "ben": [(FIRST, "conv_forward", [("W[:, :, :, c], b[:, :, :, c])", "W[:, :, :, c], np.zeros((1, 1, 1)))")])],
    "cy": [(FIRST, "zero_pad", [("((0, 0), (pad, pad), (pad, pad), (0, 0))", "pad")]),
           (SECOND, "pool_forward", [("np.mean(window)", "np.sum(window)")])],
}
# what they submit of the assignments without a mistake: right code, or the notebook as released
ELSEWHERE_RIGHT = {"ben": True, "cy": False}

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


def released_notebook(assignment: str, notebooks: Path = NOTEBOOKS) -> tuple[str, nbformat.NotebookNode]:
    """(file name, notebook) of an assignment's released notebook."""
    path = next((notebooks / assignment).glob("*.ipynb"))
    return path.name, nbformat.read(path, as_version=4)


def write_submission(root: Path, student: str, assignment: str, name: str, nb: Optional[nbformat.NotebookNode],
                     text: Optional[str] = None) -> None:
    """root/<student>/<assignment>/<name> (the notebook, or `text` as it is) and its timestamp.txt."""
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
        write_submission(root, student, a, name, filled_student_notebook(nb, src))

    def with_mistakes(student):
        def plan(s, a, name, nb, src):
            for assignment, cell, edits in MISTAKES[student]:
                if assignment == a:
                    src = dict(src, **{cell: edited(src[cell], edits, f"{student} {cell}")})
            if any(m[0] == a for m in MISTAKES[student]) or ELSEWHERE_RIGHT[student]:
                write_submission(root, s, a, name, filled_student_notebook(nb, src))
            else:
                write_submission(root, s, a, name, nb)  # left untouched
        return plan

    def untouched(s, a, name, nb, src):
        write_submission(root, s, a, name, nb)

    def broken(s, a, name, nb, src):
        if a == FIRST:
            write_submission(root, s, a, name, None, text=nbformat.writes(filled_student_notebook(nb, src))[:5000])
        elif a == SECOND:
            return  # never submitted
        else:
            write_submission(root, s, a, "Copy of " + name, filled_student_notebook(nb, src))

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
        write_submission(root, s, a, name, nb)

    def hostile(s, a, name, nb, src):
        if a == FIRST:
            src = dict(src, conv_forward=READ_SECRETS + PATCH_CHECKS)
        write_submission(root, s, a, name, filled_student_notebook(nb, src))

    def kernel_exit(s, a, name, nb, src):
        if a == FIRST:
            src = _append_to(src, "conv_single_step", "import os\nos._exit(1)")
        write_submission(root, s, a, name, filled_student_notebook(nb, src))

    def endless_and_memory(s, a, name, nb, src):
        if a == FIRST:
            src = _append_to(src, "conv_forward", "while True:\n    pass")
        elif a == SECOND:
            src = _append_to(src, "pool_forward", "hog = np.ones((2 ** 31,))  # 16 GiB")
        write_submission(root, s, a, name, filled_student_notebook(nb, src))

    def flood(s, a, name, nb, src):
        if a == FIRST:
            src = _append_to(src, "zero_pad", "for k in range(200):\n    print(k, 'flood ' * 5000)")
        write_submission(root, s, a, name, filled_student_notebook(nb, src))

    plans.update(ada=perfect, ben=with_mistakes("ben"), cy=with_mistakes("cy"), dee=untouched, eve=broken,
                 fay=tampered, gus=hostile, hal=kernel_exit, ivy=endless_and_memory, jo=flood)
    for student, plan in plans.items():
        for a in names:
            name, nb = released_notebook(a, notebooks)
            plan(student, a, name, nb, solution_sources(a))
    return list(plans)


DESCRIPTIONS = {
    "ada": "right everywhere", "ben": "conv_forward without bias", "cy": "zero_pad on every axis; average pooling as a sum",
    "dee": "untouched notebooks", "eve": "invalid JSON, a missing assignment, renamed notebooks",
    "fay": "a deleted and an edited test cell; stripped nbgrader metadata",
    "gus": "reads for solutions, patches numpy and the checks, inspects frames",
    "hal": "exits its kernel", "ivy": "endless loop; a 16 GiB allocation", "jo": "prints 6 MB of output",
}


# ---------- a generated class, from the mistake catalogue (autograder/catalogue/)
# How often a student gets each function wrong, and leaves it unwritten; the catalogue's first mistakes
# of a function are its most common ones (weights fall as 1/rank), as in a real class.
P_WRONG, P_UNWRITTEN, P_ALTERNATIVE = 0.28, 0.06, 0.3
# concept question -> answers and how often a class gives them (the module's two target misconceptions are common)
CONCEPT_ANSWERS = {
    "sharing_sets_zeros": [(False, 0.62), (True, 0.38)],
    "fewer_params_less_compute": [(False, 0.6), (True, 0.4)],
    "shift_of_output": [(1, 0.55), (2, 0.35), (0, 0.1)],
    "locally_connected_count": [(1440, 0.6), (40, 0.25), (9360, 0.15)],
    "momentum_moves_zero_grad": [(True, 0.6), (False, 0.4)],
    "decay_zero_after_300": [(False, 0.7), (True, 0.3)],
    "what_makes_weights_sparse": [("d", 0.55), ("a", 0.15), ("b", 0.12), ("c", 0.18)],
}
# how many of the class submit each assignment (the last, optional one, fewer)
SUBMITS = {"01_conv_forward": 0.97, "02_pool_forward": 0.95, "03_backprop": 0.9, "04_sharing_vs_sparsity": 0.88,
           "05_vectorized": 0.35}
# local names students choose differently (kept, or one of the others): a class's code varies, so that
# identical long functions are rare, as they are in a real class, and the copied ones stand out
NAMES = {"vert_start": ("v0", "top", "row0"), "vert_end": ("v1", "bottom", "row1"),
         "horiz_start": ("h0", "left", "col0"), "horiz_end": ("h1", "right", "col1"),
         "A_prev_pad": ("A_pad", "padded", "Ap"), "a_prev_pad": ("a_pad", "example", "ap"),
         "n_H": ("H_out", "nh", "out_h"), "n_W": ("W_out", "nw", "out_w"), "window": ("win", "patch", "region"),
         "a_slice_prev": ("a_slice", "sl", "piece"), "X_pad": ("X_padded", "out", "padded_X"),
         "da_prev_pad": ("da_pad", "grad_pad", "dap")}
COMMON_COMMENTS = ["# loop over the examples", "# output size", "# slice the window", "# TODO check this"]
# planted for the integrity ranking: one rare wrong answer copied with its odd comment and names, by the
# students of these indices (modulo the class size), and one notebook 3 submitted by three students
COPIED_BY, COPIED_NOTEBOOK = (7, 31), ("03_backprop", (12, 40, 52))
COPIED = '''
def conv_forward(A_prev, W, b, hparameters):
    # my own trick lol - dont share
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    strd_zz, pd_zz = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev + 2 * pd_zz - f) // strd_zz + 1
    n_W = (n_W_prev + 2 * pd_zz - f) // strd_zz + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_pad_zz = zero_pad(A_prev, pd_zz)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * strd_zz, w * strd_zz
                    Z[i, h, w, c] = np.sum(A_pad_zz[i, vs:vs + f, hs:hs + f, :] * W[..., c]) + b[0, 0, 0, 0]
    return Z, (A_prev, W, b, hparameters)
'''


def _split_defs(source: str) -> dict[str, str]:
    """function name -> a cell's source: that def, with the source's imports and helpers before it."""
    tree = ast.parse(source)
    lines = source.splitlines()
    def chunk(node: ast.stmt) -> str:
        return "\n".join(lines[node.lineno - 1 - len(getattr(node, "decorator_list", [])):node.end_lineno])
    shared = [chunk(n) for n in tree.body if not isinstance(n, ast.FunctionDef)]
    defs = {n.name: chunk(n) for n in tree.body if isinstance(n, ast.FunctionDef)}
    return {name: "\n".join(shared + [d for other, d in defs.items() if other != name] + [code]).strip() + "\n"
            for name, code in defs.items()}


def _renamed(source: str, rng) -> str:
    """source with some local names replaced, each by one of NAMES' options not already in it."""
    for name, options in NAMES.items():
        if rng.random() < 0.5 or not re.search(rf"\b{name}\b", source):
            continue
        new = options[int(rng.integers(len(options)))]
        if not re.search(rf"\b{new}\b", source):
            source = re.sub(rf"\b{name}\b", new, source)
    return source


def _weighted(rng, items: list, weights: list[float]):
    total = sum(weights)
    return items[int(rng.choice(len(items), p=[w / total for w in weights]))]


def make_class(root: Path, size: int = 60, seed: int = 0, only: Optional[list[str]] = None,
               notebooks: Path = NOTEBOOKS, prefix: str = "s", submits: Optional[dict[str, float]] = None) -> list[str]:
    """Write `size` generated students (s001, s002, ...) under root, adding to what is there: each
    function right (the reference, or a correct alternative of the catalogue), wrong (a catalogued
    mistake, the common ones more often) or unwritten; concept answers drawn from CONCEPT_ANSWERS;
    some assignments not submitted. Two students share a rare wrong conv_forward with the same odd
    comment and names, and three submit one notebook 3 identical cell for cell (the integrity ranking
    must list both). `submits`: assignment -> share of the class that submits it (default SUBMITS).
    Deterministic for a seed. Returns the student ids."""
    rng = np.random.default_rng(seed)
    catalogue = {m.ASSIGNMENT: m for m in modules()}
    names = [a for a in assignments() if (not only or a in only) and (notebooks / a).is_dir()]
    students = [f"{prefix}{k:03d}" for k in range(1, size + 1)]
    copied_notebook: dict[str, nbformat.NotebookNode] = {}
    for index, student in enumerate(students):
        chosen = [a for a in names if rng.random() < (submits or SUBMITS).get(a, 0.9)] or names[:1]
        for a in chosen:  # every student submits something
            name, nb = released_notebook(a, notebooks)
            ref = solution_sources(a)
            src = dict(ref)
            module = catalogue.get(a)
            # not the ones that run into the time limit (numerical differentiation): a demo waits for each
            mistakes = [k for k in (module.MISTAKES if module else []) if k.function in ref
                        and k.cause != "generic.not_checked"]
            alternatives = [_split_defs(alt.source) for alt in (module.ALTERNATIVES if module else [])]
            for fn in ref:
                roll = rng.random()
                if fn in CONCEPT_ANSWERS:
                    answers, weights = zip(*CONCEPT_ANSWERS[fn])
                    src[fn] = f"def {fn}():\n    return {_weighted(rng, list(answers), list(weights))!r}\n"
                elif roll < P_UNWRITTEN:
                    src[fn] = next(c.source for c in nb.cells if grade_id(c) == fn)  # left as released
                elif roll < P_UNWRITTEN + P_WRONG and any(k.function == fn for k in mistakes):
                    own = [k for k in mistakes if k.function == fn]
                    k = _weighted(rng, own, [1 / (r + 1) for r in range(len(own))])
                    src[fn] = mistaken_source(a, k)
                elif rng.random() < P_ALTERNATIVE:
                    options = [alt[fn] for alt in alternatives if fn in alt]
                    if options:
                        src[fn] = options[int(rng.integers(len(options)))]
                src[fn] = _renamed(src[fn], rng)
                if rng.random() < 0.15:  # a comment many students write: no signal
                    src[fn] = COMMON_COMMENTS[int(rng.integers(len(COMMON_COMMENTS)))] + "\n" + src[fn]
            if a == FIRST and index in [i % size for i in COPIED_BY]:
                src["conv_forward"] = COPIED
            filled = filled_student_notebook(nb, src)
            if a == COPIED_NOTEBOOK[0] and index in [i % size for i in COPIED_NOTEBOOK[1]]:
                filled = copied_notebook.setdefault(a, filled)  # three submit one notebook
            write_submission(root, student, a, name, filled)
    return students
