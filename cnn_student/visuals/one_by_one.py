"""01_conv_forward: a 1x1 convolution is a dense layer applied at every pixel, measured with the student's
conv_forward, seen as a matrix (probed column by column from the same conv_forward), and counted in
ResNet's bottleneck block against the basic block He et al. compare it with. Printed text only: every
number is computed here, in front of the student."""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ConvLayer:
    """One convolution of a block: an f x f filter from c_in channels to c_out, without bias (ResNet's
    convolutions have none: the batch normalization after each adds a learned shift instead)."""
    f: int
    c_in: int
    c_out: int

    @property
    def weights(self) -> int:
        return self.f * self.f * self.c_in * self.c_out

    def __str__(self) -> str:
        return f"{self.f}x{self.f} {self.c_in} -> {self.c_out}"


# He et al. 2016, "Deep Residual Learning for Image Recognition", Fig. 5 and Table 1 (conv2_x, on 56 x 56 maps):
# ResNet-34's basic block against ResNet-50's bottleneck, the pair the paper compares ("similar time complexity")
BASIC_BLOCK = (ConvLayer(3, 64, 64), ConvLayer(3, 64, 64))
BOTTLENECK = (ConvLayer(1, 256, 64), ConvLayer(3, 64, 64), ConvLayer(1, 64, 256))
MAP_SIDE = 56


def one_by_one(conv_forward: Callable) -> None:
    """A (1, 1, n_C_prev, n_C) filter in the student's conv_forward against one matrix product per pixel,
    then the layer's matrix."""
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


def resnet_blocks(side: int = MAP_SIDE) -> None:
    """The two blocks He et al. compare (Fig. 5): ResNet-34's basic block on 64 channels and ResNet-50's
    bottleneck on 256, their weights (no biases, as in ResNet), batch normalization's 2 numbers per channel
    beside them, and their multiply-adds on one side x side map (stride 1, 'same' padding)."""
    blocks = ((f"basic block (ResNet-34), {BASIC_BLOCK[0].c_in} channels in and out", BASIC_BLOCK),
              (f"bottleneck (ResNet-50), {BOTTLENECK[0].c_in} channels in and out", BOTTLENECK))
    print(f"He et al. (2016), Fig. 5: two blocks on a {side} x {side} map, stride 1, 'same' padding. ResNet's "
          f"convolutions have no bias:\n"
          f"a batch normalization follows each, with a learned scale and shift per channel.\n")
    counts = []
    for name, layers in blocks:
        weights = [layer.weights for layer in layers]
        norm = sum(2 * layer.c_out for layer in layers)
        counts.append((sum(weights), sum(weights) + norm))
        print(f"{name}:\n  {', then '.join(map(str, layers))}\n"
              f"  weights {' + '.join(f'{w:,}' for w in weights)} = {sum(weights):,}; with batch normalization's "
              f"{norm:,}: {sum(weights) + norm:,}\n"
              f"  the convolutions' multiply-adds on one map (each weight once at each of the {side}·{side} = {side * side:,} positions): "
              f"{sum(weights) * side * side:,}")
    (basic, basic_bn), (neck, neck_bn) = counts
    widen = BOTTLENECK[0].c_in // BASIC_BLOCK[0].c_in
    print(f"\nthe bottleneck takes and gives {widen} times as many channels ({BOTTLENECK[0].c_in} instead of "
          f"{BASIC_BLOCK[0].c_in}) for {neck / basic:.2f} times the weights ({neck_bn / basic_bn:.2f} counting batch "
          f"normalization's) and {neck / basic:.2f} times the convolutions' multiply-adds: its 1x1 layers squeeze "
          f"{BOTTLENECK[0].c_in} channels to {BOTTLENECK[1].c_in} before the 3x3 layer and expand them back after it")
