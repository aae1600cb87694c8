"""What a wrong answer to a concept question of notebook 4 means, for the instructor's statistics.

Grader side only: a cause's description here says which belief a wrong answer shows, so it states the
answer; it reaches causes.csv and the instructor's report, never a student's package or the class
summary (grading/outputs/report.py leaves concept causes out of --for-students). The format of an answer is
checked on the student's side (cnn_student/functions/sharing.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnn_student.functions import all_causes
from cnn_student.functions.sharing import CONCEPT_KINDS
from cnn_student.spec import Cause, cause

from .causes import VERDICT

# question -> (answers that show it, the cause); an answer not listed falls to the question's `.other`
WRONG: dict[str, list[tuple[tuple[str, ...], Cause]]] = {
    "sharing_sets_zeros": [(("True",), cause(
        "concept.sharing_sets_zeros.sharing_is_sparsity",
        "holds that parameter sharing lets training set weights to zero (sharing taken for sparse weights)"))],
    "fewer_params_less_compute": [(("True",), cause(
        "concept.fewer_params_less_compute.parameters_are_compute",
        "holds that fewer parameters means fewer multiply-adds (a layer's work taken for its parameter count)"))],
    "shift_of_output": [(("2",), cause(
        "concept.shift_of_output.stride_ignored",
        "holds that the output moves as far as the input, whatever the stride")), (("0",), cause(
        "concept.shift_of_output.no_equivariance", "holds that a shifted input does not move a conv layer's output"))],
    "locally_connected_count": [(("40",), cause(
        "concept.locally_connected_count.counted_sharing",
        "counts a locally connected layer as if its weights were shared (sparsity taken for sharing)")), (("9360",), cause(
        "concept.locally_connected_count.counted_dense", "counts a locally connected layer as a dense one"))],
    "momentum_moves_zero_grad": [(("False",), cause(
        "concept.momentum_moves_zero_grad.zero_grad_frozen",
        "holds that a zero gradient leaves a weight unchanged under momentum too (plain SGD's rule generalised)"))],
    "decay_zero_after_300": [(("True",), cause(
        "concept.decay_zero_after_300.decay_zeroes",
        "holds that weight decay with a zero gradient drives a weight to exactly zero"))],
    "what_makes_weights_sparse": [(("a", "b"), cause(
        "concept.what_makes_weights_sparse.zero_gradient_zero_weight",
        "holds that zero gradients (max pooling, ReLU) make weights zero: zero gradient taken for zero weight")),
        (("c",), cause("concept.what_makes_weights_sparse.decay_zeroes",
                       "holds that weight decay (L2) leaves weights exactly zero"))],
}
OTHER = {name: cause(f"concept.{name}.other", "another wrong answer", specific=False) for name in CONCEPT_KINDS}


@dataclass(frozen=True)
class Seed:
    """One of the misconceptions the module exists to fix, and the answers that show it."""
    label: str
    question: str
    answers: tuple[str, ...]


# the module's two target misconceptions, stated in one line at the top of the instructor's report
SEED = (Seed("parameter sharing = zero weights", "sharing_sets_zeros", ("True",)),
        Seed("zero gradient = zero weight", "what_makes_weights_sparse", ("a", "b")))


def answer_text(value: Any) -> str:
    """A recorded answer as the report shows and counts it: True/False, a whole number, a letter."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, str):
        return value.strip().lower()[:20]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return type(value).__name__
    return str(int(number)) if number.is_integer() else f"{number:g}"


def concept_cause(question: str, value: Any) -> str:
    """The cause id a wrong answer to `question` shows."""
    text = answer_text(value)
    for answers, named in WRONG.get(question, []):
        if text in answers:
            return named.id
    return OTHER[question].id


def every_cause() -> dict[str, Cause]:
    """Every cause id the grader can record: the checks' (cnn_student), the verdicts' and the answers',
    each read by name (whatever was imported before)."""
    answers = [named for wrong in WRONG.values() for _, named in wrong] + list(OTHER.values())
    return {**all_causes(), **{c.id: c for c in (*VERDICT, *answers)}}
