"""01_conv_forward: what deep learning calls "convolution" is a cross-correlation, and why that
does not matter for learning. The true convolution here is written from its textbook definition,
independently of the layer students write, so that the two can be compared."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._common import try_student


def true_convolution(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The textbook 2-D convolution of one channel x (H, W) with a kernel k (f, f), 'valid' part only.

    By definition (x * k)[p, q] = sum over (a, b) of x[p - a, q - b] * k[a, b]: the kernel is read
    backwards. 'Valid' keeps the (H - f + 1, W - f + 1) positions p, q >= f - 1 where every term exists;
    the result is indexed from 0."""
    f = k.shape[0]
    H, W = x.shape
    out = np.zeros((H - f + 1, W - f + 1))
    for p in range(f - 1, H):
        for q in range(f - 1, W):
            out[p - f + 1, q - f + 1] = sum(x[p - a, q - b] * k[a, b] for a in range(f) for b in range(f))
    return out


def show_flip_1d() -> None:
    """NumPy has both operations in 1-D: np.convolve reverses the kernel, np.correlate does not."""
    x = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 3.0, 1.0])
    w = np.array([1.0, 0.0, -2.0])
    print("x =", x, "  w =", w)
    print("np.correlate(x, w, 'valid')       =", np.correlate(x, w, "valid"), "  (slide w as written: what a CNN layer does)")
    print("np.convolve(x, w, 'valid')        =", np.convolve(x, w, "valid"), "  (slide w reversed: the textbook convolution)")
    print("np.correlate(x, w[::-1], 'valid') =", np.correlate(x, w[::-1], "valid"))
    same = np.array_equal(np.convolve(x, w, "valid"), np.correlate(x, w[::-1], "valid"))
    print(f"convolution with w == correlation with w reversed: {same}")


def _example(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((1, 7, 6, 2))
    W = rng.standard_normal((3, 3, 2, 1))
    b = rng.standard_normal((1, 1, 1, 1))
    return A, W, b


def compare_with_true_convolution(conv_forward: Callable) -> None:
    """The student's layer with filter W equals a true convolution with W flipped (both axes), summed
    over channels, plus b; and it differs from a true convolution with W itself."""
    A, W, b = _example()
    out = try_student(conv_forward, A, W, b, {"stride": 1, "pad": 0})
    if out is None:
        return
    Z = np.asarray(out[0])[0, :, :, 0]
    flipped = W[::-1, ::-1]            # row order and column order reversed; channels untouched
    conv_of_flipped = sum(true_convolution(A[0, :, :, k], flipped[:, :, k, 0]) for k in range(A.shape[3])) + b.item()
    conv_of_W = sum(true_convolution(A[0, :, :, k], W[:, :, k, 0]) for k in range(A.shape[3])) + b.item()
    print(f"A {A.shape}, W {W.shape}, stride 1, pad 0: your Z[0, :, :, 0] has shape {Z.shape}")
    print(f"largest |your Z - true convolution with W flipped| = {np.max(np.abs(Z - conv_of_flipped)):.1e}"
          "   (0, or float rounding: the sums are added in another order)")
    print(f"largest |your Z - true convolution with W itself|  = {np.max(np.abs(Z - conv_of_W)):.2f}")


def learn_filter(conv_forward: Callable, seed: int = 1) -> None:
    """Targets made by a TRUE convolution with kernel K; a cross-correlation layer fitted to them
    (least squares, solved exactly) learns K flipped: the flip is absorbed by the weights."""
    rng = np.random.default_rng(seed)
    K = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -3.0]])  # no symmetry: a flip shows
    X = rng.standard_normal((1, 10, 10, 1))
    Y = true_convolution(X[0, :, :, 0], K)                       # what the "true convolution" net outputs
    hp = {"stride": 1, "pad": 0}
    zero_b = np.zeros((1, 1, 1, 1))
    columns = []
    for a in range(3):                 # the layer is linear in W: its output for the filter with a single
        for c in range(3):             # 1 at (a, c) is the column of that weight in a least-squares problem
            E = np.zeros((3, 3, 1, 1))
            E[a, c] = 1.0
            out = try_student(conv_forward, X, E, zero_b, hp)
            if out is None:
                return
            columns.append(np.asarray(out[0]).ravel())
    learned, *_ = np.linalg.lstsq(np.stack(columns, axis=1), Y.ravel(), rcond=None)
    learned = learned.reshape(3, 3)
    np.set_printoptions(suppress=True)
    print("kernel K of the true convolution that made the targets:\n", K)
    print("filter your cross-correlation layer learns (least squares fit to the same targets):\n", learned.round(10) + 0.0)
    print(f"largest |learned - K flipped| = {np.max(np.abs(learned - K[::-1, ::-1])):.1e};"
          f" fit error: {np.max(np.abs(np.stack(columns, axis=1) @ learned.ravel() - Y.ravel())):.1e}")
