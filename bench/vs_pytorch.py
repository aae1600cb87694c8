"""How far the course's NumPy layers are from a framework's: the reference vectorized conv forward and backward (solutions/05_vectorized)
against PyTorch's CPU float64 conv2d, on a batch of 32 inputs of 28x28x8 to 16 filters of 3x3,
stride 1, pad 1. Goal: no slower than PyTorch (ratio vectorized / PyTorch <= 1), both directions.

    .venv/bin/python bench/vs_pytorch.py [--tiny]

PyTorch is not a dependency: without it this prints how to install it and stops. Each side gets its
own layout (NumPy NHWC, PyTorch NCHW), converted outside the timed calls; both results are compared
before anything is timed. One run, best of 30 calls each, at 1 thread and at one thread per core
(the same count for NumPy's BLAS and PyTorch; needs threadpoolctl to set NumPy's): the ratio is the figure.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, when set (some machines here set them for older OpenBLAS builds),
slow a current NumPy; the script prints them. To benchmark, unset both in that command only:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/vs_pytorch.py
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vs_loops  # noqa: E402
from vs_loops import F, best_time, conv_case, fast, machine, report  # noqa: E402

TORCH = "torch==2.13.0"


def numpy_threads(n: int | None):
    """A context limiting NumPy's BLAS to n threads (threadpoolctl), and a description of it."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return contextlib.nullcontext(), "NumPy BLAS threads: default (install threadpoolctl to set and report them)"
    blas = [i for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]
    desc = ", ".join(f"{i['internal_api']} {i['version']} {i['architecture']}" for i in blas)
    return threadpool_limits(n, user_api="blas"), f"NumPy BLAS: {desc}"


def main() -> int:
    tiny = "--tiny" in sys.argv[1:]
    if tiny:
        vs_loops.shrink()
    try:
        import torch
    except ImportError:
        print(f"PyTorch is not installed, so part (a) is skipped. It is not a dependency of the course; "
              f"to measure, install the CPU build in this environment:\n    pip install {TORCH}")
        A, W, b, hp = conv_case()[:4]   # the NumPy side still runs, so that this script cannot go stale
        print(f"(the NumPy side alone: {best_time(fast('conv_forward_fast'), A, W, b, hp, repeat=1) * 1e3:.2f} ms)")
        return 0
    print("machine:", machine(), f"| torch {torch.__version__}")
    print("environment:", ", ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")))
    A, W, b, hp = conv_case()[:4]
    dZ = conv_case()[4]
    conv_forward_fast, conv_backward_fast = fast("conv_forward_fast"), fast("conv_backward_fast")
    x = torch.from_numpy(np.ascontiguousarray(A.transpose(0, 3, 1, 2)))
    w = torch.from_numpy(np.ascontiguousarray(W.transpose(3, 2, 0, 1)))
    bias = torch.from_numpy(b.reshape(-1).copy())
    g = torch.from_numpy(np.ascontiguousarray(dZ.transpose(0, 3, 1, 2)))
    s, p = hp["stride"], hp["pad"]

    def torch_forward():
        with torch.no_grad():
            return torch.nn.functional.conv2d(x, w, bias, stride=s, padding=p)

    def torch_backward():  # grad_input, grad_weight, grad_bias: what conv_backward returns
        return torch.ops.aten.convolution_backward(g, x, w, [w.shape[0]], [s, s], [p, p], [1, 1], False,
                                                   [0, 0], 1, [True, True, True])

    Z = conv_forward_fast(A, W, b, hp)[0]
    assert np.allclose(Z, torch_forward().numpy().transpose(0, 2, 3, 1)), "forward results differ"
    dA, dW, db = conv_backward_fast(dZ, (A, W, b, hp))
    gi, gw, gb = torch_backward()
    assert np.allclose(dA, gi.numpy().transpose(0, 2, 3, 1)), "dA_prev differs"
    assert np.allclose(dW, gw.numpy().transpose(2, 3, 1, 0)), "dW differs"
    assert np.allclose(db.reshape(-1), gb.numpy()), "db differs"
    print(f"{A.shape[0]} inputs of {A.shape[1]}x{A.shape[2]}x{A.shape[3]}, {W.shape[3]} filters of {F}x{F}, "
          f"stride {s}, pad {p}, float64; results checked equal")
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        limit, desc = numpy_threads(threads)
        with limit:
            print(f"-- {threads} thread(s): torch {torch.get_num_threads()}; {desc}")
            n = 1 if tiny else 30
            report("conv forward", best_time(conv_forward_fast, A, W, b, hp, repeat=n),
                   best_time(torch_forward, repeat=n), "vectorized", "pytorch")
            report("conv backward", best_time(conv_backward_fast, dZ, (A, W, b, hp), repeat=n),
                   best_time(torch_backward, repeat=n), "vectorized", "pytorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
