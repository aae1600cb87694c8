"""01_conv_forward: hand-set edge filters run through the student's conv_forward on the photo, and
what a one-pixel shift of the photo does to the layer's output (equivariance, measured)."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ._common import shift_right, try_student

# Sobel's kernels as the layer applies them (cross-correlation, no flip): SOBEL_X is positive where
# brightness grows to the right, SOBEL_Y where it grows downwards.
SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
SOBEL_Y = SOBEL_X.T


def grey(photo: np.ndarray) -> np.ndarray:
    """(m, H, W, 3) in [0, 1] -> (m, H, W, 1): luminance, 0.299 R + 0.587 G + 0.114 B."""
    return photo @ np.array([0.299, 0.587, 0.114])[:, None]


def edge_filters() -> tuple[np.ndarray, np.ndarray]:
    """W (3, 3, 1, 2) holding SOBEL_X and SOBEL_Y, and b (1, 1, 1, 2) = 0."""
    W = np.stack([SOBEL_X, SOBEL_Y], axis=-1)[:, :, None, :]
    return W, np.zeros((1, 1, 1, 2))


def check_sign(conv_forward: Callable) -> None:
    """On a 4x4 image dark on the left, bright on the right, SOBEL_X answers +4 and SOBEL_Y 0."""
    step = np.zeros((1, 4, 4, 1))
    step[:, :, 2:] = 1.0
    W, b = edge_filters()
    out = try_student(conv_forward, step, W, b, {"stride": 1, "pad": 0})
    if out is None:
        return
    Z = np.asarray(out[0])
    print("step image (0 = dark, 1 = bright):\n", step[0, :, :, 0])
    print("SOBEL_X on it:\n", Z[0, :, :, 0], "\nSOBEL_Y on it:\n", Z[0, :, :, 1])


def show_edges(conv_forward: Callable, photo: np.ndarray) -> None:
    """The grey photo and what SOBEL_X and SOBEL_Y find in it (stride 1, pad 1: same size)."""
    x = grey(photo)
    W, b = edge_filters()
    out = try_student(conv_forward, x, W, b, {"stride": 1, "pad": 1})
    if out is None:
        return
    Z = np.asarray(out[0])
    magnitude = np.sqrt(Z[0, :, :, 0] ** 2 + Z[0, :, :, 1] ** 2)
    lim = np.percentile(np.abs(Z), 99.5)
    fig, axes = plt.subplots(1, 4, figsize=(14, 4.6))
    panels = [(x[0, :, :, 0], "grey input x (1, 150, 128, 1)", "gray", 0, 1),
              (Z[0, :, :, 0], "SOBEL_X: red = brighter to the right", "RdBu_r", -lim, lim),
              (Z[0, :, :, 1], "SOBEL_Y: red = brighter below", "RdBu_r", -lim, lim),
              (magnitude, "edge strength sqrt(Zx² + Zy²)", "magma", 0, np.percentile(magnitude, 99.5))]
    for ax, (img, title, cmap, lo, hi) in zip(axes, panels):
        ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle(f"your conv_forward, W {W.shape} (two hand-set filters), pad 1, stride 1 -> Z {Z.shape}")
    plt.show()


def show_conv_equivariance(conv_forward: Callable, photo: np.ndarray) -> None:
    """Shift the photo one pixel right: the layer's output is the old output shifted one pixel right,
    exactly, at every column whose window does not touch the seam or the zero padding."""
    x = grey(photo)
    W, b = edge_filters()
    W, b = W[..., :1], b[..., :1]                                    # SOBEL_X only
    hp = {"stride": 1, "pad": 1}
    before = try_student(conv_forward, x, W, b, hp)
    if before is None:
        return
    Z = np.asarray(before[0])
    Z_shifted = np.asarray(conv_forward(shift_right(x), W, b, hp)[0])
    # columns 2 .. W-2 of the new output see no seam (columns 0 | 1) and no padding change
    inner = slice(2, Z.shape[2] - 1)
    moved = np.max(np.abs(Z_shifted[:, :, inner] - shift_right(Z)[:, :, inner]))
    in_place = np.max(np.abs(Z_shifted[:, :, inner] - Z[:, :, inner]))
    border = np.max(np.abs(Z_shifted - shift_right(Z))[:, :, [0, 1, Z.shape[2] - 1]])
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
    lim = np.percentile(np.abs(Z), 99.5)
    for ax, img, title in ((axes[0], Z[0, :, :, 0], "conv(x)"),
                           (axes[1], Z_shifted[0, :, :, 0], "conv(x shifted 1 px right)"),
                           (axes[2], (Z_shifted - shift_right(Z))[0, :, :, 0],
                            "conv(shifted x) − shifted conv(x)\n(non-zero only at the seam and borders)")):
        ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    plt.show()
    print(f"columns 2..{Z.shape[2] - 2}: largest |conv(shift(x)) - shift(conv(x))| = {moved:.1e}  (equivariance)")
    print(f"columns 2..{Z.shape[2] - 2}: largest |conv(shift(x)) - conv(x)|        = {in_place:.2f}  (the output is not invariant)")
    print(f"columns 0, 1 and {Z.shape[2] - 1} (seam and padding): largest difference = {border:.2f}")
