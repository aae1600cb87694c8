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
from autograder.authoring.reference import namespace
from autograder.authoring.testcells import parse_checks
from cnn_student.functions import build_args


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
    """{rule name: its line} of what show_ties, tie_in_a_filter_gradient or check_ties_on_bias printed."""
    lines = {}
    for line in text.splitlines():
        for name in RULES:
            if line.lstrip().startswith(name):
                lines[name] = line
    return lines


FIRST, LAST, EQUAL, EVERY, YOURS = RULES = (
    "first maximum (row-major: this course, PyTorch, TensorFlow on CPU)", "last maximum",
    "equal split among the tied inputs", "every maximum (x == max)", "your create_mask_from_window")


def test_the_tie_check_proves_the_sum_only(capsys):
    """Notebook 3: along the one direction where max has a derivative, every split of dz into non-negative parts
    passes (first, last maximum, equal split, the reference mask); the every-maximum rule routes 2*dz and fails."""
    from cnn_student.visuals.backprop import show_ties
    show_ties(namespace("03_backprop")["create_mask_from_window"])
    routed = _rule_lines(capsys.readouterr().out)
    assert "fails: 2 times dz" in routed[EVERY]
    for name in (FIRST, LAST, EQUAL, YOURS):
        assert "adds up to 1: passes the check" in routed[name], routed[name]
    assert "[[0.0, 0.5], [0.5, 0.0]]" in routed[EQUAL] and "[[0.0, 0.0], [1.0, 0.0]]" in routed[LAST]


def test_a_filter_gradient_at_a_tie_has_no_derivative(capsys):
    """The centred difference in w_0 is 0.5 (the mean of the one-sided slopes 1 and 0) where the first-maximum
    rule gives 1 and the last 0; only the equal split matches it; db is 1 for every rule but every-maximum."""
    from cnn_student.visuals.backprop import tie_in_a_filter_gradient
    ns = namespace("03_backprop")
    tie_in_a_filter_gradient(ns["create_mask_from_window"], ns["conv_forward"], ns["pool_forward"])
    out = capsys.readouterr().out
    assert "rises by 1.000000·t; lower it: by 0.000000·t" in out, out
    assert "d/dw_0 0.500000, d/dw_1 0.500000, d/db 1.000000" in out
    columns = {name: line[len(name):].split("]]")[-1].split() for name, line in _rule_lines(out).items()}
    assert columns[FIRST] == ["1", "0", "1", "0.41"] == columns[YOURS]
    assert columns[LAST] == ["0", "1", "1", "0.41"]
    assert columns[EQUAL] == ["0.5", "0.5", "1", "0.00"]
    assert columns[EVERY] == ["1", "1", "2", "0.33"]
    assert "(relative error 0.41, where Part 5 calls anything above 1e-4 wrong)" in " ".join(_solution_text().split())


def test_the_bias_check_passes_every_split_and_its_numbers_are_the_notebooks(capsys):
    """Notebook 3 cell "Ties are common": first, last maximum and equal split all pass the db check; the
    every-maximum db is 217 times the measured value for filter 0 and 0.848 times (4.8354 against 5.7021) for
    filter 3, the numbers its text quotes; a uniform region outputs the bias only where it is 0."""
    from cnn_student.visuals.backprop import check_ties_on_bias
    ns = namespace("03_backprop")
    check_ties_on_bias(ns["conv_forward"], ns["create_mask_from_window"])
    out = capsys.readouterr().out
    db = _rule_lines(out)
    for name in (FIRST, LAST, EQUAL, YOURS):
        assert "right (only rounding differs)" in db[name], db[name]
    assert "WRONG: the check fails" in db[EVERY]
    assert "db by centred differences (h = 0.0001), filters 0-3: [0.119, 15.1017, 2.8693, 5.7021]" in out
    assert "[25.8512, 39.8596, 40.3895, 4.8354] (217, 2.64, 14.1, 0.848 times the measured values)" in db[EVERY]
    assert "2496 of the 2691 read only background, value 0: there every Z is the bias 0.1 (largest difference 0)" in out
    assert "in 195 more, the tied inputs are outputs over background" in out
    assert "v = 255 gives filters 0-3 [111.0983," in out
    # the uniform windows it counts (it said 'these images have no such region' without counting), recounted here
    from numpy.lib.stride_tricks import sliding_window_view

    from cnn_student.data import data_file
    windows = sliding_window_view(np.load(data_file("shapes_images.npy"))[:8].astype(float), (3, 3), axis=(1, 2))
    flat, top = windows.min(axis=(-2, -1)) == windows.max(axis=(-2, -1)), windows.max(axis=(-2, -1))
    counted = f"hold {int(np.sum(flat & (top > 0)))} uniform 3x3 windows of a value above 0, and {int(np.sum(flat & (top == 0)))} of value 0"
    assert counted == "hold 0 uniform 3x3 windows of a value above 0, and 1007 of value 0" and counted in out, out
    assert "wherever its window lies inside the region" in " ".join(_solution_text().split())
    assert "217 times the measured value for filter 0, 0.848 times for filter 3 (4.8354 against 5.7021)" in \
        " ".join(_solution_text().split())


def _solution_text() -> str:
    return "\n".join(c.source for c in nbformat.read(SOLUTIONS / "03_backprop" / "03_backprop.ipynb", as_version=4).cells)
