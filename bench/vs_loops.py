"""How much vectorizing buys (what notebook 5 teaches): the reference vectorized layers (solutions/05_vectorized) against the loop
references (solutions/01-03), on one layer of the benchmark's size, measured in one run.

    .venv/bin/python bench/vs_loops.py [--tiny]

Conv: a batch of 32 inputs of 28x28x8 to 16 filters of 3x3, stride 1, pad 1. Pool: max, f 2,
stride 2 on the same input. Reports each ratio loop time / vectorized time; the seconds are only
this machine's. The loop versions take seconds here: run by hand, never as a test.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

M, H, W, C, F, N_C = 32, 28, 28, 8, 3, 16
TINY = {"M": 2, "H": 6, "W": 6, "C": 2, "N_C": 3}   # --tiny: the fast tier's check that the script runs


def shrink() -> None:
    """The tiny layer of --tiny (every later conv_case has its sizes)."""
    globals().update(TINY)


def machine() -> str:
    return (f"{platform.machine()}, {platform.processor() or 'cpu'}, {platform.system()} {platform.release()}, "
            f"python {platform.python_version()}, numpy {np.__version__}")


def best_time(fn: Callable, *args: Any, repeat: int = 7, budget: float = 2.0) -> float:
    """Best wall time of up to `repeat` calls (fewer once `budget` seconds are spent)."""
    best, spent = np.inf, 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
        if spent > budget:
            break
    return best


def conv_case(seed: int = 0) -> tuple:
    """A_prev, W, b, hparameters and an upstream gradient dZ, NHWC float64."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((M, H, W, C))
    Wt = rng.standard_normal((F, F, C, N_C))
    b = rng.standard_normal((1, 1, 1, N_C))
    dZ = rng.standard_normal((M, H, W, N_C))  # stride 1, pad 1: same size as the input
    return A, Wt, b, {"stride": 1, "pad": 1}, dZ


def fast(name: str) -> Callable:
    """A reference vectorized function from solutions/05_vectorized."""
    from autograder.authoring.reference import namespace
    return namespace("05_vectorized")[name]


def loop(assignment: str, name: str) -> Callable:
    from autograder.authoring.reference import namespace
    return namespace(assignment)[name]


def report(label: str, slow: float, quick: float, slow_name: str, quick_name: str) -> None:
    print(f"{label:28s} {slow_name} {slow * 1e3:9.2f} ms   {quick_name} {quick * 1e3:8.2f} ms   "
          f"ratio {slow_name}/{quick_name} = {slow / quick:8.2f}")


def main() -> None:
    if "--tiny" in sys.argv[1:]:
        shrink()
    print("machine:", machine())
    A, Wt, b, hp, dZ = conv_case()
    cache = (A, Wt, b, hp)
    pool_hp = {"f": 2, "stride": 2}
    dA = np.random.default_rng(1).standard_normal((M, H // 2, W // 2, C))
    rows = [("conv forward", loop("01_conv_forward", "conv_forward"), fast("conv_forward_fast"), (A, Wt, b, hp)),
            ("pool forward (max)", loop("02_pool_forward", "pool_forward"), fast("pool_forward_fast"), (A, pool_hp, "max"))]
    try:
        rows += [("conv backward", loop("03_backprop", "conv_backward"), fast("conv_backward_fast"), (dZ, cache)),
                 ("pool backward (max)", loop("03_backprop", "pool_backward"), fast("pool_backward_fast"),
                  (dA, (A, pool_hp), "max"))]
    except (FileNotFoundError, KeyError) as err:
        print(f"(backward skipped: {err})")
    print(f"conv: {M} inputs of {H}x{W}x{C}, {N_C} filters of {F}x{F}, stride 1, pad 1; pool: max, f 2, stride 2")
    for label, slow_fn, quick_fn, args in rows:
        a, b_ = slow_fn(*args), quick_fn(*args)
        a, b_ = (a, b_) if isinstance(a, tuple) else ((a,), (b_,))
        agree = all(np.allclose(x, y) for x, y in zip(a, b_) if isinstance(x, np.ndarray))
        report(label, best_time(slow_fn, *args, repeat=1), best_time(quick_fn, *args), "loops", "vectorized")
        if not agree:
            print("   ✘ the loop and vectorized results differ")


if __name__ == "__main__":
    main()
