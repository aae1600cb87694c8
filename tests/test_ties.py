"""The contract's tie rule is graded: a max window routes its gradient to its first maximum (row-major).

Both visible and hidden cases of the mask and of max-pool backward (loop and fast versions) must hold
windows whose maximum ties, or the rule would go unchecked; and on them the rule of every maximum
(x == max) must give another result than the first maximum, or a test could not tell the two apart.
The catalogue proves the verdicts (the mask of every maximum loses points, argmax keeps them)."""
import nbformat
import numpy as np
import pytest

from autograder.authoring.cells import is_test_cell
from autograder.paths import SOLUTIONS
from autograder.authoring.testcells import parse_checks
from cnn_student.spec import build_args


def _cases(assignment: str, name: str, hidden: bool) -> list[dict]:
    nb = nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    return [case for cell in nb.cells if cell.cell_type == "code" and is_test_cell(cell)
            and ("BEGIN HIDDEN TESTS" in cell.source) == hidden
            for fn, case in parse_checks(cell.source) if fn == name]


def _tied_windows(case: dict, name: str) -> int:
    """How many (window, channel) pairs of a case tie for their maximum."""
    if name == "create_mask_from_window":
        (x,) = build_args(name, case)
        return int(np.sum(x == x.max()) > 1)
    _, (A_prev, hp), _ = build_args(name, case)
    f, s = hp["f"], hp["stride"]
    tied = 0
    for h in range((A_prev.shape[1] - f) // s + 1):
        for w in range((A_prev.shape[2] - f) // s + 1):
            window = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
            tied += int(np.sum(np.sum(window == window.max(axis=(1, 2), keepdims=True), axis=(1, 2)) > 1))
    return tied


@pytest.mark.parametrize("assignment,name", [("03_backprop", "create_mask_from_window"),
                                             ("03_backprop", "pool_backward"),
                                             ("05_vectorized", "pool_backward_fast")])
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_ties_are_graded(assignment, name, hidden):
    cases = [c for c in _cases(assignment, name, hidden) if c.get("mode", "max") == "max"]
    assert cases, f"no {'hidden' if hidden else 'visible'} max case of {name}"
    tied = [c for c in cases if _tied_windows(c, name)]
    assert tied, f"no {'hidden' if hidden else 'visible'} case of {name} has a tied window: the tie rule goes ungraded"



def _rule_lines(text: str) -> dict[str, str]:
    """{rule name: its line} of what show_ties or check_ties_on_bias printed."""
    return {line.split(":")[0].strip(): line for line in text.splitlines() if line.startswith("  ")}


def test_the_notebooks_tie_measurements_tell_the_rules_apart(capsys):
    """Notebook 3's measurements: the every-maximum rule routes 2*dz from a tied window and its db fails the
    check against centred differences; the first maximum passes both, and so does the reference mask."""
    from autograder.authoring.reference import namespace
    from cnn_student.visuals.backprop import check_ties_on_bias, show_ties
    ns = namespace("03_backprop")
    show_ties(ns["create_mask_from_window"])
    routed = _rule_lines(capsys.readouterr().out)
    assert "fails: 2 times dz" in routed["every maximum (x == max)"]
    assert "passes the check" in routed["the first maximum in row-major order (this course, PyTorch)"]
    assert "passes the check" in routed["your mask"]
    check_ties_on_bias(ns["conv_forward"], ns["create_mask_from_window"])
    db = _rule_lines(capsys.readouterr().out)
    assert "WRONG: the check fails" in db["every maximum (x == max)"]
    assert "right (only rounding differs)" in db["first maximum (row-major)"]
    assert "right (only rounding differs)" in db["your create_mask_from_window"]
