"""Backprop, not numerical differentiation, earns notebook 3's conv_backward points.

The large hidden case of test_conv_backward_hidden has about 100 000 inputs and weights. A backward
pass that differentiates a forward pass numerically needs at least one forward pass per input; even
with the fastest forward pass of this course (notebook 5's reference) that is over 1000 times what
the plain loop backward needs, so any machine on which the loop backward takes more than 0.06 s
cannot finish it within the 60 s cell limit, while the loop backward keeps a margin of 100 on a
machine where it takes 0.6 s. The ratio is measured in one run by bench/numerical_backprop.py (never a
timed test); the mistake catalogue shows both numerical variants losing the cell's points
(autograder/catalogue/a03_backprop.py, tests/catalogue_harness.py's budget).
"""
import nbformat
import numpy as np

from autograder.authoring.cells import grade_id
from autograder.authoring.reference import namespace, notebook_path
from autograder.authoring.testcells import parse_checks
from cnn_student.gradcheck import numerical_gradient
from cnn_student.functions import build_args

LARGE = 50_000  # inputs and weights: a case at least this large is out of numerical differentiation's reach


def _cases(gid: str) -> list[dict]:
    nb = nbformat.read(notebook_path("03_backprop"), as_version=4)
    source = next(c.source for c in nb.cells if grade_id(c) == gid)
    return [case for fn, case in parse_checks(source) if fn == "conv_backward"]


def _inputs(case: dict) -> int:
    dZ, (A, W, b, hp) = build_args("conv_backward", case)
    return A.size + W.size + b.size


def test_the_hidden_case_is_out_of_numerical_differentiations_reach():
    """Its size is what makes finite differences lose the points; bench/numerical_backprop.py measures
    the ratio (over 7000 loop backwards on this machine) and the catalogue's time budget proves it."""
    assert [c for c in _cases("test_conv_backward_hidden") if _inputs(c) >= LARGE]


def test_reference_gradients_agree_with_finite_differences_on_every_small_case():
    """The graded reference gradients, checked against centred differences of the provided forward
    passes on every graded case small enough for it (what the old finite-difference alternative did)."""
    ns = namespace("03_backprop")
    cases = _cases("test_conv_backward") + _cases("test_conv_backward_hidden")
    small = [c for c in cases if _inputs(c) < LARGE]
    assert len(small) >= 6
    for case in small:
        dZ, (A, W, b, hp) = build_args("conv_backward", case)
        loss = lambda A_, W_, b_: float(np.sum(ns["conv_forward"](A_, W_, b_, hp)[0] * dZ))
        numeric = (numerical_gradient(lambda x: loss(x, W, b), A.copy(), 1.0),
                   numerical_gradient(lambda x: loss(A, x, b), W.copy(), 1.0),
                   numerical_gradient(lambda x: loss(A, W, x), b.copy(), 1.0))
        for name, exp, num in zip(("dA_prev", "dW", "db"), ns["conv_backward"](dZ, (A, W, b, hp)), numeric):
            assert np.allclose(exp, num, rtol=1e-7, atol=1e-9), f"{name} of {case}"
