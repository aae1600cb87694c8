"""Part (a) of issue 8: the reference vectorized conv forward and backward (solutions/05_vectorized)
against PyTorch's CPU float64 conv2d, on a batch of 32 inputs of 28x28x8 to 16 filters of 3x3,
stride 1, pad 1. Goal: no slower than PyTorch (ratio vectorized / PyTorch <= 1), both directions.

    .venv/bin/python bench/vs_pytorch.py

PyTorch is not a dependency: without it this prints how to install it and stops. Each side gets its
own layout (NumPy NHWC, PyTorch NCHW), converted outside the timed calls; both results are compared
before anything is timed. One run, best of 30 calls each: the ratio is the figure.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vs_loops import F, best_time, conv_case, fast, machine, report  # noqa: E402

TORCH = "torch==2.13.0"
CHUNK = 8


def main() -> int:
    try:
        import torch
    except ImportError:
        print(f"PyTorch is not installed, so part (a) is skipped. It is not a dependency of the course; "
              f"to measure, install the CPU build in this environment:\n    pip install {TORCH}")
        return 0
    print("machine:", machine(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads")
    A, W, b, hp, dZ = conv_case()
    conv_forward_fast = fast("conv_forward_fast")
    conv_backward_fast = fast("conv_backward_fast") if _has("conv_backward_fast") else None
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
    print(f"{A.shape[0]} inputs of {A.shape[1]}x{A.shape[2]}x{A.shape[3]}, {W.shape[3]} filters of {F}x{F}, "
          f"stride {s}, pad {p}, float64")
    report("conv forward", best_time(conv_forward_fast, A, W, b, hp, repeat=30),
           best_time(torch_forward, repeat=30), "vectorized", "pytorch")
    # the same reference on chunks of 8 examples, whose window copies stay in cache: where the gap is
    chunked_forward = lambda: np.concatenate([conv_forward_fast(A[k:k + CHUNK], W, b, hp)[0]  # noqa: E731
                                              for k in range(0, len(A), CHUNK)])
    report(f"  in chunks of {CHUNK} examples", best_time(chunked_forward, repeat=30),
           best_time(torch_forward, repeat=30), "vectorized", "pytorch")
    if conv_backward_fast is None:
        print("conv backward: conv_backward_fast is not in solutions/05_vectorized yet; skipped")
        return 0
    dA, dW, db = conv_backward_fast(dZ, (A, W, b, hp))
    gi, gw, gb = torch_backward()
    assert np.allclose(dA, gi.numpy().transpose(0, 2, 3, 1)), "dA_prev differs"
    assert np.allclose(dW, gw.numpy().transpose(2, 3, 1, 0)), "dW differs"
    assert np.allclose(db.reshape(-1), gb.numpy()), "db differs"
    report("conv backward", best_time(conv_backward_fast, dZ, (A, W, b, hp), repeat=30),
           best_time(torch_backward, repeat=30), "vectorized", "pytorch")

    def chunked_backward():
        parts = [conv_backward_fast(dZ[k:k + CHUNK], (A[k:k + CHUNK], W, b, hp)) for k in range(0, len(A), CHUNK)]
        return (np.concatenate([q[0] for q in parts]), sum(q[1] for q in parts), sum(q[2] for q in parts))
    assert all(np.allclose(x, y) for x, y in zip(chunked_backward(), (dA, dW, db)))
    report(f"  in chunks of {CHUNK} examples", best_time(chunked_backward, repeat=30),
           best_time(torch_backward, repeat=30), "vectorized", "pytorch")
    return 0


def _has(name: str) -> bool:
    try:
        fast(name)
    except KeyError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
