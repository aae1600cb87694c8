"""Notebook 4's training experiment, minus the network: where its data comes from and what a run
records. The network itself (a vectorized conv, ReLU, 2x2 max pool, dense, softmax, forward and
backward) ships with notebook 4, in notebooks/04_sharing_vs_sparsity/tiny_cnn.py, so that it is not
in students' hands before notebooks 3 and 5 (whose answers it partly contains) are due."""
from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np

from .data import data_file
from .protocol import grading, grading_note

CLASS_NAMES = ("disc", "square", "plus", "bar")
GRADING_STEPS = 10  # enough for every figure that follows (steps 0-4 are recorded), ~30x less time
Params = dict[str, np.ndarray]
WEIGHTS = ("W1", "W2")


def load_shapes(n_test: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): images (m, 16, 16, 1) float64 in [0, 1], labels int (m,)."""
    X = np.load(data_file("shapes_images.npy")).astype(np.float64)[..., None] / 255.0
    y = np.load(data_file("shapes_labels.npy")).astype(np.int64)
    return X[n_test:], y[n_test:], X[:n_test], y[:n_test]


@dataclass
class StepRecord:
    """What one recorded training step did to the zeros of gradients and weights."""
    step: int
    zero_frac_pool_grad: float       # fraction of exact zeros in dA1, the gradient max-pool backward passes down
    zero_frac_relu_grad: float       # ... in dZ1, after ReLU backward as well
    zero_frac_dW: dict[str, float]   # ... in the weight gradients dW1, dW2
    zero_frac_W: dict[str, float]    # fraction of exactly-zero weights after the step
    # weights whose gradient was exactly 0 in this step: (name, index, value before, value after)
    zero_grad_weights: list[tuple[str, tuple[int, ...], float, float]] = field(default_factory=list)


@dataclass
class ZeroGradEvents:
    """Every (step, weight) of a run at which the weight's gradient was exactly 0, one entry each, and what
    the optimizer's step did to that weight."""
    step: np.ndarray                 # int: the training step
    name: np.ndarray                 # str: "W1" or "W2"
    index: np.ndarray                # int: flat index into that weight array
    before: np.ndarray               # float: the weight's value before the step
    after: np.ndarray                # float: ... and after it
    earlier_nonzero: np.ndarray      # bool: the weight had a non-zero gradient at some earlier step


@dataclass
class TrainingRun:
    params_init: Params
    params: Params
    losses: list[float]              # mini-batch loss at every step
    test_accuracy: list[tuple[int, float]]
    records: list[StepRecord]
    l1: float
    optimizer: str = "sgd"           # "sgd", "momentum", "adam" or "weight_decay"
    hyper: dict[str, float] = field(default_factory=dict)  # the optimizer's settings, lr included
    zero_grad: ZeroGradEvents | None = None

    @property
    def label(self) -> str:
        if self.l1:
            return f"L1 lambda={self.l1:g}"
        return {"sgd": "plain SGD", "momentum": "SGD + momentum", "adam": "Adam",
                "weight_decay": "SGD + weight decay"}[self.optimizer]


def zero_fraction(params: Params, names: tuple[str, ...] = WEIGHTS) -> float:
    """Fraction of the weights (biases excluded) that are exactly 0."""
    values = np.concatenate([params[k].ravel() for k in names])
    return float(np.mean(values == 0))


def steps_to_run(steps: int) -> int:
    """The training steps a run takes: all of them, except in the grader's copy of the notebook,
    where no point depends on the run (it trains the given network, not the student's code)."""
    if grading() and steps > GRADING_STEPS:
        grading_note(f"{GRADING_STEPS} of {steps} training steps, so the figures and numbers below differ")
        return GRADING_STEPS
    return steps
