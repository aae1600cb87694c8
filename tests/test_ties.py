"""Notebook 3 says its graded max-pooling cases have no ties (where the mask x == max and one-hot
routing agree, so both get full marks). Every visible and hidden case must keep that true."""
import nbformat
import numpy as np

from autograder.cells import is_test_cell
from autograder.paths import SOLUTIONS
from autograder.testcells import parse_checks
from cnn_student.spec import build_args


def _cases(name: str) -> list[dict]:
    nb = nbformat.read(SOLUTIONS / "03_backprop" / "03_backprop.ipynb", as_version=4)
    return [case for cell in nb.cells if cell.cell_type == "code" and is_test_cell(cell)
            for fn, case in parse_checks(cell.source) if fn == name]


def test_mask_cases_have_one_maximum():
    cases = _cases("create_mask_from_window")
    assert cases
    for case in cases:
        (x,) = build_args("create_mask_from_window", case)
        assert np.sum(x == np.max(x)) == 1, case


def test_max_pool_backward_cases_have_no_tied_window():
    cases = [c for c in _cases("pool_backward") if c["mode"] == "max"]
    assert cases
    for case in cases:
        _, (A_prev, hp), _ = build_args("pool_backward", case)
        f, s = hp["f"], hp["stride"]
        for h in range((A_prev.shape[1] - f) // s + 1):
            for w in range((A_prev.shape[2] - f) // s + 1):
                window = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
                top = window.max(axis=(1, 2), keepdims=True)
                assert np.all(np.sum(window == top, axis=(1, 2)) == 1), (case, h, w)
