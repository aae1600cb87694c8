"""A numerical gradient checker: centred finite differences against a backward pass.

Students use it in notebook 3 to confirm their conv_backward and pool_backward on tiny inputs.
The forward passes are arguments (the notebook provides them), so nothing here computes a
gradient analytically.

For a backward pass that receives the upstream gradient dZ, the scalar checked is
    L = sum(forward(inputs) * dZ)
whose gradient with respect to each input is exactly what the backward pass must return.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .functions import build_args
from .visuals._common import try_student

# Relative errors below GOOD are rounding; above BAD the gradient is wrong.
GOOD = 1e-7
BAD = 1e-4

SMALL_CONV = {"m": 1, "H": 4, "W": 5, "C": 2, "f": 3, "n_C": 2, "pad": 1, "stride": 2, "seed": 0}
SMALL_POOL = {"m": 1, "H": 5, "W": 6, "C": 2, "f": 3, "stride": 1, "seed": 0}


def numerical_gradient(g: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Centred differences: entry r is (g(x + eps e_r) - g(x - eps e_r)) / (2 eps), two evaluations of g per
    entry (the letters of notebook 3: f is a filter size and h an output row). x is left unchanged."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, out = x.reshape(-1), grad.reshape(-1)  # views: changing flat changes x
    for r in range(flat.size):
        old = flat[r]
        flat[r] = old + eps
        up = g(x)
        flat[r] = old - eps
        down = g(x)
        flat[r] = old
        out[r] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / (||a|| + ||n||): 0 when equal, 1 when one of them is 0, scale-free."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        return float("inf")
    denominator = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / denominator) if denominator > 0 else 0.0


def _verdict(error: float) -> str:
    if error < GOOD:
        return "correct"
    if error < BAD:
        return "suspicious: look again"
    return "WRONG"


def _report(title: str, rows: list[tuple[str, float]]) -> dict[str, float]:
    print(title)
    for name, error in rows:
        print(f"  {name:8s} relative error {error:9.2e}   {_verdict(error)}")
    print(f"  (below {GOOD:.0e}: correct, rounding only; above {BAD:.0e}: wrong)")
    return dict(rows)


def check_conv_backward(conv_forward: Callable, conv_backward: Callable, case: Optional[dict] = None,
                        h: float = 1e-5) -> Optional[dict[str, float]]:
    """Compare conv_backward's dA_prev, dW and db with centred differences of conv_forward."""
    case = dict(SMALL_CONV, **(case or {}))
    dZ, (A_prev, W, b, hp) = build_args("conv_backward", case)
    result = try_student(conv_backward, dZ, (A_prev.copy(), W.copy(), b.copy(), dict(hp)))
    if result is None:
        return None
    dA_prev, dW, db = result

    def loss(A=A_prev, W=W, b=b):
        return float(np.sum(conv_forward(A, W, b, hp)[0] * dZ))

    numeric = {"dA_prev": numerical_gradient(lambda A: loss(A=A), A_prev.copy(), h),
               "dW": numerical_gradient(lambda W_: loss(W=W_), W.copy(), h),
               "db": numerical_gradient(lambda b_: loss(b=b_), b.copy(), h)}
    rows = [(name, relative_error(mine, numeric[name])) for name, mine in
            (("dA_prev", dA_prev), ("dW", dW), ("db", db))]
    return _report(f"conv_backward on A_prev {A_prev.shape}, W {W.shape}, pad {hp['pad']}, stride {hp['stride']}:", rows)


def check_pool_backward(pool_forward: Callable, pool_backward: Callable, case: Optional[dict] = None,
                        h: float = 1e-5) -> Optional[dict[str, float]]:
    """Compare pool_backward with centred differences of pool_forward, for both modes.

    Max pooling is not differentiable where two inputs of a window tie; random inputs have no
    ties, and h is far smaller than the gaps between their values.
    """
    rows = []
    for mode in ("max", "average"):
        c = dict(SMALL_POOL, **(case or {}), mode=mode)
        dA, (A_prev, hp), _ = build_args("pool_backward", c)
        dA_prev = try_student(pool_backward, dA, (A_prev.copy(), dict(hp)), mode)
        if dA_prev is None:
            return None
        numeric = numerical_gradient(lambda A: float(np.sum(pool_forward(A, hp, mode)[0] * dA)), A_prev.copy(), h)
        rows.append((mode, relative_error(dA_prev, numeric)))
    return _report(f"pool_backward on A_prev {A_prev.shape}, f {hp['f']}, stride {hp['stride']}:", rows)
