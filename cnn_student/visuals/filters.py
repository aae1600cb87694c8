"""01_conv_forward: hand-set edge filters run through the student's conv_forward on the photo, and
what a one-pixel shift of the photo does to the layer's output (equivariance, measured)."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ._common import shift_right, show_figure, try_student

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
    strong = lim / 4  # "a clear edge": a quarter of the 99.5th percentile of |Z|
    # the sign is told by which panel a response is in (its title says the direction), never by colour
    fig, axes = plt.subplots(2, 3, figsize=(12, 8.6))
    panels = [(x[0, :, :, 0], "grey input x (1, 150, 128, 1)", "gray", 0, 1),
              (np.maximum(Z[0, :, :, 0], 0), "SOBEL_X > 0 (+): brighter to the right", "magma", 0, lim),
              (np.maximum(-Z[0, :, :, 0], 0), "SOBEL_X < 0 (−): darker to the right", "magma", 0, lim),
              (magnitude, "edge strength sqrt(Zx² + Zy²)", "magma", 0, np.percentile(magnitude, 99.5)),
              (np.maximum(Z[0, :, :, 1], 0), "SOBEL_Y > 0 (+): brighter below", "magma", 0, lim),
              (np.maximum(-Z[0, :, :, 1], 0), "SOBEL_Y < 0 (−): darker below", "magma", 0, lim)]
    for ax, (img, title, cmap, lo, hi) in zip(axes.ravel(), panels):
        ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle(f"your conv_forward, W {W.shape} (two hand-set filters), pad 1, stride 1 -> Z {Z.shape}; "
                 "bright = strong response")
    share = {(k, sign): float(np.mean(sign * Z[0, :, :, k] > strong)) for k in (0, 1) for sign in (1, -1)}
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x[0, :, :, 0], 1), (3, 3))
    sobel = np.stack([np.einsum("hwpq,pq->hw", windows, W[:, :, 0, k]) for k in (0, 1)], axis=-1)
    gap = float(np.max(np.abs(Z[0] - sobel))) if Z.shape == (1, *sobel.shape) else np.inf
    where = ((" (the vertical edges: face, collar, hair)", " (the horizontal edges)") if gap < 1e-6 else
             ("", f" (your Z differs from the Sobel responses by up to {gap:.2g}: see the tests above)"))
    show_figure(fig, f"Six pictures of the portrait, each 150 by 128 pixels: the grey input; your Z channel 0 "
                     f"(SOBEL_X) split by sign: {share[0, 1]:.1%} of pixels respond above {strong:.2f} (brighter to the "
                     f"right) and {share[0, -1]:.1%} below -{strong:.2f} (darker to the right){where[0]}; channel 1 "
                     f"(SOBEL_Y): {share[1, 1]:.1%} above (brighter below) and {share[1, -1]:.1%} below (darker "
                     f"below){where[1]}; and the "
                     f"edge strength, largest {magnitude.max():.2f}, mean {magnitude.mean():.2f}. Z ranges from "
                     f"{Z.min():.2f} to {Z.max():.2f}.", print_alt=True)


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
        image = ax.imshow(img, cmap="PuOr_r", vmin=-lim, vmax=lim)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    bar = fig.colorbar(image, ax=axes, shrink=0.7, ticks=[-lim, 0, lim])
    bar.ax.set_yticklabels([f"−{lim:.2f} (−: darker to the right)", "0", f"+{lim:.2f} (+: brighter to the right)"])
    show_figure(fig, f"Three maps (purple negative, orange positive, labelled on the colour bar) of SOBEL_X on the grey "
                     f"portrait, 150 by 128: conv(x), conv(x shifted 1 pixel right), which looks the same moved one "
                     f"pixel, and their difference after shifting conv(x): largest {moved:.1e} in columns 2 to "
                     f"{Z.shape[2] - 2}, up to {border:.2f} only in columns 0, 1 and {Z.shape[2] - 1} (seam and "
                     "padding).")
    print(f"columns 2..{Z.shape[2] - 2}: largest |conv(shift(x)) - shift(conv(x))| = {moved:.1e}  (equivariance)")
    print(f"columns 2..{Z.shape[2] - 2}: largest |conv(shift(x)) - conv(x)|        = {in_place:.2f}  (the output is not invariant)")
    print(f"columns 0, 1 and {Z.shape[2] - 1} (seam and padding): largest difference = {border:.2f}")
