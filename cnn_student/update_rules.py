"""One weight under an optimizer's rule, step by step, for notebook 4's Part 3: weight decay with a zero
gradient followed to its end in each floating-point arithmetic a framework may use, and momentum's two
forms side by side. Plain Python and NumPy scalars, so that every number is what the processor computes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

FORMS = {"subtract": "θ − lr·λ·θ", "multiply": "θ·(1 − lr·λ)"}
# the smallest positive number of each type (one unit of its subnormal range) and its smallest normal one
UNIT = {"float64": ("2^-1074", 2.0 ** -1074), "float32": ("2^-149", 2.0 ** -149)}
TINY = {"float64": 2.0 ** -1022, "float32": 2.0 ** -126}


@dataclass(frozen=True)
class DecayEnd:
    """Where weight decay with a zero gradient leaves one weight: after `steps` steps either no step changes
    it any more, or it is exactly 0."""
    dtype: str          # "float64" or "float32"
    flush: bool         # flush-to-zero: every result below the smallest normal number becomes 0
    form: str           # "subtract": θ − lr·λ·θ, two roundings (the step, then the difference); "multiply": θ·(1 − lr·λ)
    lr_lambda: float
    steps: int
    theta: float

    @property
    def units(self) -> float:
        """θ in units of the smallest positive number of its type (2^-1074 for float64)."""
        return self.theta / UNIT[self.dtype][1]

    @property
    def arithmetic(self) -> str:
        return f"{self.dtype}, {'flush-to-zero' if self.flush else 'gradual underflow'}"

    def where(self) -> str:
        """Where θ ended, in words and numbers."""
        if self.theta == 0:
            return "exactly 0"
        name, unit = UNIT[self.dtype]
        if self.theta < TINY[self.dtype]:
            return f"{self.units:,.0f} unit{'' if self.units == 1 else 's'} of {name} ({self.theta:.3g}), not 0"
        return f"{self.theta:.3g}, a normal number, not 0: the step lr·λ·θ is flushed to 0 first"


def decay_to_the_end(theta: float = 0.5, lr_lambda: float = 0.001, dtype: str = "float64", flush: bool = False,
                     form: str = "subtract") -> DecayEnd:
    """Apply weight decay's step with a gradient of exactly 0 to one weight θ > 0 (0 < lr·λ < 1, so θ only
    shrinks) until a step no longer changes it or it is 0. Flush-to-zero is simulated as the processor's mode
    acts: every result (the step, the new θ) below the smallest normal number of the type becomes 0."""
    if form not in FORMS or dtype not in UNIT or not (theta > 0 and 0 < lr_lambda < 1):
        raise ValueError(f"form in {sorted(FORMS)}, dtype in {sorted(UNIT)}, θ > 0 and 0 < lr·λ < 1 please")
    num: Callable = float if dtype == "float64" else np.float32  # Python floats are float64, and faster
    t, c, keep = num(theta), num(lr_lambda), num(1) - num(lr_lambda)
    tiny = num(TINY[dtype]) if flush else num(0)
    zero, steps = num(0), 0
    while True:
        if form == "multiply":
            new = t * keep
        else:
            step = c * t
            new = t - (zero if step < tiny else step)
        if new < tiny:
            new = zero
        if new == t:
            break
        t, steps = new, steps + 1
        if t == 0:
            break
    return DecayEnd(dtype, flush, form, lr_lambda, steps, float(t))


# (dtype, flush, form, lr·λ): the rule, the edge of lr·λ < 1/2, and flush-to-zero in both forms and types
DECAY_CASES = (("float64", False, "subtract", 0.001), ("float64", False, "multiply", 0.001),
               ("float64", False, "subtract", 0.5), ("float64", False, "multiply", 0.5),
               ("float64", False, "subtract", 0.6),
               ("float64", True, "multiply", 0.001), ("float64", True, "subtract", 0.001),
               ("float32", False, "subtract", 0.001),
               ("float32", True, "multiply", 0.001), ("float32", True, "subtract", 0.001))


def decay_endings(theta: float = 0.5, cases: tuple = DECAY_CASES) -> list[DecayEnd]:
    """Print where weight decay leaves θ in each arithmetic and form of the step, and return the endings."""
    ends = [decay_to_the_end(theta, lr_lambda, dtype, flush, form) for dtype, flush, form, lr_lambda in cases]
    print(f"θ = {theta:g} at the start, gradient 0 at every step:\n")
    print(f"{'arithmetic':28s} {'step':13s} {'lr·λ':>6s} {'steps':>9s}  where θ ends")
    for e in ends:
        print(f"{e.arithmetic:28s} {FORMS[e.form]:13s} {e.lr_lambda:6g} {e.steps:9,d}  {e.where()}")
    return ends


# ---------- momentum: the same velocity, two conventions
def momentum_forms(beta: float = 0.9, lr: float = 0.03, steps: int = 60, seed: int = 0) -> dict[str, np.ndarray]:
    """Momentum's sum form v <- beta*v + g and its average form v <- beta*v + (1 - beta)*g, on one weight:
    (1) a constant gradient g = 1, to show what each does to the step's size; (2) a random sequence of
    gradients with runs of exact zeros, to show that the average form with lr / (1 - beta) takes the very
    steps of the sum form with lr, and that under both a zero gradient still moves the weight. Prints both
    and returns the weights' paths."""
    v_sum = v_avg = 0.0
    print(f"A constant gradient g = 1, beta = {beta:g}: the velocity after k steps")
    print(f"{'k':>4s} {'sum form v':>12s} {'average form v':>16s}")
    for k in range(1, 101):
        v_sum, v_avg = beta * v_sum + 1.0, beta * v_avg + (1 - beta) * 1.0
        if k in (1, 2, 10, 50, 100):
            print(f"{k:4d} {v_sum:12.4f} {v_avg:16.4f}")
    print(f"The sum form's velocity grows to g / (1 − beta) = {1 / (1 - beta):g}·g, so its steps grow to {1 / (1 - beta):g} "
          f"times plain SGD's lr·g; the average form's grows to g, and its steps to plain SGD's.\n")
    rng = np.random.default_rng(seed)
    grads = rng.standard_normal(steps) * (rng.random(steps) < 0.5)  # about half of them exactly 0
    paths = {}
    for form, rate in (("sum", lr), ("average", lr / (1 - beta))):
        theta, v, path = 1.0, 0.0, []
        for g in grads:
            v = beta * v + (g if form == "sum" else (1 - beta) * g)
            theta -= rate * v
            path.append(theta)
        paths[form] = np.array(path)
    moved = np.diff(np.concatenate([[1.0], paths["sum"]]))[grads == 0]
    print(f"{steps} steps of random gradients, {int(np.sum(grads == 0))} of them exactly 0: the sum form with lr = {lr:g} "
          f"and the average form with lr / (1 − beta) = {lr / (1 - beta):g} give weights that differ by at most "
          f"{np.max(np.abs(paths['sum'] - paths['average'])):.1e}; in the steps with gradient 0 the weight moved in "
          f"{int(np.sum(moved != 0))} of {len(moved)}.")
    return paths
