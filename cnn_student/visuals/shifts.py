"""02_pool_forward: what a small shift of the photo does to pooling, measured with the student's
pool_forward: strided max pooling is not shift-invariant (its output does not simply shift either),
a shift by the stride moves the output by one position, a global pool is invariant; and why (aliasing): the
subsampling, not the max, measured on stripes finer than the stride and on the photo without subsampling, with a
blur before the subsampling as the cure (Zhang, "Making Convolutional Networks Shift-Invariant Again", 2019)."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ._common import label_cells, shift_right, show_figure, try_student

DETAIL = 0.1  # a window "holds detail" when its pixels span more than this (the photo's values run from 0 to 1)


def measure_pool_shift(pool_forward: Callable, photo: np.ndarray, f: int = 2, stride: int = 2) -> None:
    """Shift the photo by 1 pixel and by `stride` pixels; compare the pooled outputs with the unshifted
    one, at the same position and one output position further, away from the seam; then say where the max-pooled
    values that match neither lie (windows with detail against flat ones)."""
    hp = {"f": f, "stride": stride}
    first = try_student(pool_forward, photo, hp, "max")
    if first is None:
        return
    print(f"photo {photo.shape}, pooling f = {f}, stride = {stride}; the first and last output columns "
          "(they see the seam) are left out\n")
    inner_px = slice(stride + f, photo.shape[2] - stride - f)
    header = ("only in place", "only moved 1 position", "both", "neither", "mean |change| in place")
    print("Each value, compared with the unshifted output at its own position (in place) and one position to its\n"
          "left (moved): equal to only one, to both (the two old values were equal), or to neither. The four\n"
          "columns exclude each other and add up to 100%.\n")
    print(f"{'':26s}{header[0]:>15s}{header[1]:>23s}{header[2]:>7s}{header[3]:>9s}{header[4]:>25s}")

    def row(label: str, old: np.ndarray, new: np.ndarray, inner: slice) -> None:
        stays = new[:, :, inner] == old[:, :, inner]
        moves = new[:, :, inner] == shift_right(old)[:, :, inner]
        parts = (stays & ~moves, moves & ~stays, stays & moves, ~stays & ~moves)
        change = np.mean(np.abs(new - old)[:, :, inner])
        print(f"{label:26s}" + "".join(f"{np.mean(p):{w}.0%}" for p, w in zip(parts, (15, 23, 7, 9)))
              + f"{change:25.4f}")

    row("pixels of the photo", photo, shift_right(photo), inner_px)
    unshifted = {"max": np.asarray(first[0]), "average": np.asarray(pool_forward(photo, hp, "average")[0])}
    P_max, P_max_1 = None, None
    for k in (1, stride):
        for mode in ("max", "average"):
            P = unshifted[mode]
            P_moved = np.asarray(pool_forward(shift_right(photo, k), hp, mode)[0])
            row(f"{mode} pool, shift {k} px", P, P_moved, slice(1, P.shape[2] - 1))
            if mode == "max" and k == 1:
                P_max, P_max_1 = P, P_moved
    cols = slice(1, P_max.shape[2] - 1)
    neither = (P_max_1[:, :, cols] != P_max[:, :, cols]) & (P_max_1[:, :, cols] != shift_right(P_max)[:, :, cols])
    # a window's span, largest minus smallest pixel, from your pool_forward: the minimum is -max(-x)
    span = P_max + np.asarray(pool_forward(-photo, hp, "max")[0])
    detail = span[:, :, cols] > DETAIL
    print(f"\nmax pool, shift 1 px: the values that match neither old value are {neither[detail].mean():.0%} of those "
          f"whose window holds detail (its {f * f} pixels span more than {DETAIL:g} in that channel; "
          f"{detail.mean():.0%} of the windows) and {neither[~detail].mean():.0%} of the flatter ones")
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    shares = []
    for ax, old, how in ((axes[0], P_max, "in place"), (axes[1], shift_right(P_max), "moved 1 position")):
        diff = np.abs(P_max_1 - old)[0, :, 1:-1].max(axis=2)
        ax.imshow(diff, cmap="magma", vmin=0, vmax=0.3)
        ax.set_title(f"|max pool(photo shifted 1 px) − old output {how}|\n"
                     f"(largest over R, G, B): {np.mean(diff > 0):.0%} of output pixels differ", fontsize=9)
        ax.axis("off")
        shares.append(np.mean(diff > 0))
    fig.suptitle(f"max pooling with stride {stride}, photo shifted by 1 pixel: the output neither stays nor moves")
    plt.tight_layout()
    show_figure(fig, f"Two maps (magma, 0 to 0.3) of how much the max pooling of the photo shifted by 1 pixel differs "
                     f"from the old output: compared in place, {shares[0]:.0%} of output pixels differ; compared with "
                     f"the old output moved 1 position, {shares[1]:.0%} differ. The differences are scattered over the "
                     "whole picture, largest along edges.")


def measure_global_pool(photo: np.ndarray) -> None:
    """A global pool (one window as large as the image) before and after shifts of 1, 2 and 5 pixels."""
    for k in (1, 2, 5):
        moved = shift_right(photo, k)
        d_max = np.max(np.abs(moved.max(axis=(1, 2)) - photo.max(axis=(1, 2))))
        d_mean = np.max(np.abs(moved.mean(axis=(1, 2)) - photo.mean(axis=(1, 2))))
        print(f"shift {k} px: largest change of the global max over R, G, B: {d_max:.1e}; "
              f"of the global average: {d_mean:.1e}")


# ---------- aliasing: why a strided pool's output neither stays nor moves
CROP = 32  # the stride-1 check runs on the photo's middle CROP x CROP: exact on any part, and 16 times cheaper
STRIPES = np.tile([1.0, 1.0, 0.0, 0.0], 4)   # one row of vertical stripes, 2 pixels wide: a period of 4 pixels
STRIPE_OPS = (("max pool f 2, stride 2", (("max", 2, 2),)),
              ("average pool f 2, stride 2", (("average", 2, 2),)),
              ("max pool f 2, stride 1, then average f 2, stride 2 (blur, then subsample)",
               (("max", 2, 1), ("average", 2, 2))))


def _stripes(k: int) -> np.ndarray:
    """The stripes shifted k pixels to the right (circularly), as a (1, 3, 16, 1) image: three equal rows, so
    that two f = 2 windows fit one above the other."""
    return np.tile(np.roll(STRIPES, k), (1, 3, 1))[..., None]


def _run(pool_forward: Callable, x: np.ndarray, ops: tuple) -> np.ndarray:
    for mode, f, stride in ops:
        x = np.asarray(pool_forward(x, {"f": f, "stride": stride}, mode)[0])
    return x


def _short(name: str) -> str:
    return "blur, then subsample" if "then" in name else name.split(",")[0]


def _row(values: np.ndarray) -> str:
    return " ".join(f"{v:g}" for v in values)


def show_aliasing(pool_forward: Callable, photo: np.ndarray) -> None:
    """Stripes 2 pixels wide, shifted by 0 to 3 pixels, through max and average pooling with stride 2 and through
    a blur before the subsampling (a table and a figure of shifts 0 and 1); then, on the photo, a stride-1 max pool
    after a 1-pixel shift: it only moves."""
    if try_student(pool_forward, _stripes(0), {"f": 2, "stride": 2}, "max") is None:
        return
    outputs = {name: [_run(pool_forward, _stripes(k), ops)[0, 0, :, 0] for k in range(4)] for name, ops in STRIPE_OPS}
    print(f"one row of stripes 2 pixels wide (period 4): {_row(STRIPES)}; shifted right by k pixels (circularly); "
          "the first 4 output values:")
    print(f"{'':72s}" + "".join(f"{f'shift {k}':>18s}" for k in range(4)))
    for name, outs in outputs.items():
        print(f"{name:72s}" + "".join(f"{_row(out[:4]):>18s}" for out in outs))
    print("contrast of the stripes in the output (largest minus smallest of those 4 values), shifts 0-3: " + "; ".join(
        f"{_short(name)} {', '.join(f'{np.ptp(out[:4]):g}' for out in outs)}" for name, outs in outputs.items()))

    fig, axes = plt.subplots(len(STRIPE_OPS) + 1, 2, figsize=(11, 4.8), gridspec_kw={"hspace": 1.1})
    rows = [("input", [_stripes(k)[0, 0, :, 0] for k in range(2)])] + [(name, outs[:2]) for name, outs in outputs.items()]
    for (name, pair), ax_row in zip(rows, axes):
        for k, (ax, values) in enumerate(zip(ax_row, pair)):
            image = ax.imshow(values[None, :], cmap="gray", vmin=0, vmax=1, aspect="equal")
            label_cells(ax, image, values[None, :], fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}, shift {k}" if name == "input" else f"{name.split(' (')[0]}: shift {k}", fontsize=8)
    fig.suptitle("Stripes 2 pixels wide, and moved 1 pixel: after a stride-2 pool they vanish; with a blur before "
                 "the subsampling they keep their contrast", fontsize=10)
    show_figure(fig, "Rows of cells, each labelled with its value (0 black, 1 white), for the stripes and the stripes "
                     "shifted 1 pixel: " + "; ".join(f"{name}: shift 0 {_row(pair[0])}, shift 1 {_row(pair[1])}"
                                                       for name, pair in rows) + ".")

    # on the photo: without subsampling a 1-pixel shift only moves the output
    top, left = (photo.shape[1] - CROP) // 2, (photo.shape[2] - CROP) // 2
    crop = photo[:, top:top + CROP, left:left + CROP]
    old, new = (np.asarray(pool_forward(x, {"f": 2, "stride": 1}, "max")[0]) for x in (crop, shift_right(crop)))
    inner = slice(1, old.shape[2] - 1)
    moved = np.mean(new[:, :, inner] == shift_right(old)[:, :, inner])
    print(f"\non the photo's middle {CROP} x {CROP}, max pool f 2 with stride 1, shifted 1 pixel: {moved:.0%} of the "
          f"values equal the old output moved by one position (the seam left out).")
