"""01_conv_forward: a 1x1 convolution is a dense layer applied at every pixel, measured with the student's
conv_forward, seen as a matrix (probed column by column from the same conv_forward), and counted in a
bottleneck block. Printed text only: every number is computed here, in front of the student."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._common import try_student


def _probed_matrix(conv_forward: Callable, W: np.ndarray, input_shape: tuple[int, int, int]) -> np.ndarray:
    """The layer's matrix (biases left out): column k is the flattened output for the input that is 1 at
    flattened position k and 0 elsewhere; the layer is linear, so these columns are all of it."""
    b = np.zeros((1, 1, 1, W.shape[3]))
    size = int(np.prod(input_shape))
    columns = [np.asarray(conv_forward(np.eye(size)[k].reshape(1, *input_shape), W, b,
                                       {"stride": 1, "pad": 0})[0]).reshape(-1) for k in range(size)]
    return np.stack(columns, axis=1)


def _layer_parameters(f: int, c_in: int, c_out: int) -> int:
    weights_per_filter = f * f * c_in
    return c_out * weights_per_filter + c_out  # and one bias per filter


def one_by_one(conv_forward: Callable) -> None:
    """A (1, 1, n_C_prev, n_C) filter in the student's conv_forward against one matrix product per pixel;
    the layer's matrix; then the parameters of a ResNet bottleneck against one 3x3 layer."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((2, 4, 5, 3))
    W = rng.standard_normal((1, 1, 3, 2))
    b = rng.standard_normal((1, 1, 1, 2))
    out = try_student(conv_forward, A, W, b, {"stride": 1, "pad": 0})
    if out is None:
        return
    Z = np.asarray(out[0])
    pixels = A.reshape(-1, 3)                                  # one row per (example, row, column): 40 x 3
    dense = (pixels @ W[0, 0] + b.reshape(1, -1)).reshape(2, 4, 5, 2)
    print(f"A_prev {A.shape}, W {W.shape} (f = 1), b {b.shape}, stride 1, pad 0 -> your Z {Z.shape}")
    print(f"one dense layer from 3 channels to 2, W[0, 0] of shape {W[0, 0].shape}, applied to each of the "
          f"{pixels.shape[0]} pixels' channel vectors: largest |Z − dense| = {np.max(np.abs(Z - dense)):.1e}")

    M = _probed_matrix(conv_forward, W, (4, 5, 3))
    blocks = np.kron(np.eye(4 * 5), W[0, 0].T)                 # W[0, 0].T once per pixel, on the diagonal
    print(f"\nthe layer as a matrix (probed from your conv_forward, one example 4 x 5 x 3): M is "
          f"{M.shape[0]} x {M.shape[1]}, {np.count_nonzero(M)} of its {M.size} entries non-zero: "
          f"{4 * 5} blocks of W[0, 0].T ({W.shape[3]} x {W.shape[2]}) on the diagonal, one per pixel, "
          f"zeros elsewhere; largest |M − that block matrix| = {np.max(np.abs(M - blocks)):.1e}")

    c, n = 256, 56
    direct = _layer_parameters(3, c, c)
    squeeze, middle, expand = _layer_parameters(1, c, 64), _layer_parameters(3, 64, 64), _layer_parameters(1, 64, c)
    block = squeeze + middle + expand
    print(f"\na bottleneck (ResNet-50's, on a {n} x {n} x {c} map, stride 1, 'same' padding):")
    rows = [(f"one 3x3 conv, {c} -> {c} channels", f"{direct:,}"),
            (f"1x1 {c} -> 64, then 3x3 64 -> 64, then 1x1 64 -> {c}",
             f"{squeeze:,} + {middle:,} + {expand:,} = {block:,}")]
    for label, count in rows:
        print(f"  {label + ':':52s} {count} parameters")
    print(f"  the bottleneck has {direct / block:.1f} times fewer")
    print(f"  every weight is used once at each of the {n}·{n} = {n * n:,} positions in both, so the "
          f"computation shrinks by about the same factor")
