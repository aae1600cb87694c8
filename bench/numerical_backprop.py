"""How far numerical differentiation is from backprop on notebook 3's large hidden case, as a ratio
measured in one run: forward passes needed (one per input) times the fastest forward pass of the course
(notebook 5's reference), over the plain loop backward.  Run: .venv/bin/python bench/numerical_backprop.py
(--tiny: one call of each instead of the best of several)
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from autograder.authoring.reference import namespace  # noqa: E402
from cnn_student.functions import build_args  # noqa: E402
from tests.test_numerical_backprop import LARGE, _cases, _inputs  # noqa: E402


def _best(fn, args, runs: int = 3) -> float:
    best = np.inf
    for _ in range(runs):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    large = [c for c in _cases("test_conv_backward_hidden") if _inputs(c) >= LARGE]
    assert large, "test_conv_backward_hidden needs a case too large for numerical differentiation"
    runs = 1 if "--tiny" in sys.argv[1:] else 3
    loop_backward = namespace("03_backprop")["conv_backward"]
    fast_forward = namespace("05_vectorized")["conv_forward_fast"]
    for case in large:
        dZ, cache = build_args("conv_backward", case)
        A, W, b, hp = cache
        backward = _best(loop_backward, (dZ, cache), runs=runs)
        forward = _best(fast_forward, (A, W, b, hp), runs=runs + 2 * (runs > 1))
        passes = _inputs(case) + 1  # one-sided differences: the fewest forward passes possible
        ratio = passes * forward / backward
        print(f"\n{case}: loop backward {backward * 1e3:.0f} ms; {passes} forward passes of "
              f"{forward * 1e3:.2f} ms = {passes * forward:.0f} s, {ratio:.0f} times the loop backward")
        print("goal: at least 1000 (the hidden case then cannot finish within the 60 s cell limit "
              "wherever the loop backward takes over 0.06 s)")




if __name__ == "__main__":
    main()
