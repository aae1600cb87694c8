"""02_pool_forward: what a small shift of the photo does to pooling, measured with the student's
pool_forward: strided max pooling is not shift-invariant (its output does not simply shift either),
a shift by the stride moves the output by one position, a global pool is invariant."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ._common import shift_right, show_figure, try_student


def measure_pool_shift(pool_forward: Callable, photo: np.ndarray, f: int = 2, stride: int = 2) -> None:
    """Shift the photo by 1 pixel and by `stride` pixels; compare the pooled outputs with the unshifted
    one, at the same position and one output position further, away from the seam."""
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
