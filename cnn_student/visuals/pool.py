"""02_pool_forward: max and average pooling side by side, on a photo and as an explorer."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ..data import data_file
from ._common import (OKABE_ITO, explorer_box, explorer_plot, number_control, set_status, show_explorer, show_figure,
                      status_line, try_student)


def load_photo() -> np.ndarray:
    """The portrait of Grace Hopper, (1, 150, 128, 3) float64 in [0, 1]: one example, three channels."""
    return np.load(data_file("grace_hopper.npy"))[None].astype(np.float64) / 255.0


def show_pooling(pool_forward: Callable, photo: np.ndarray, f: int = 6, stride: int = 6) -> None:
    """The photo, its max pooling and its average pooling with the same window."""
    hp = {"f": f, "stride": stride}
    results = []
    for mode in ("max", "average"):
        out = try_student(pool_forward, photo, hp, mode)
        if out is None:
            return
        results.append(np.asarray(out[0]))
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.4))
    panels = [(photo, f"input {photo.shape[1:3]}")] + [
        (r, f"{mode} pool f={f}, stride={stride}: {r.shape[1:3]}") for r, mode in zip(results, ("max", "average"))]
    for ax, (img, title) in zip(axes, panels):
        ax.imshow(np.clip(img[0], 0, 1), interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle("Each channel (R, G, B) is pooled on its own: an output pixel's three values may come from "
                 "different input pixels", fontsize=10)
    mx, av = results
    show_figure(fig, f"Three pictures of the portrait of Grace Hopper: the input, {photo.shape[1]} by {photo.shape[2]} "
                     f"pixels; max pooling with f = {f}, stride = {stride}: {mx.shape[1]} by {mx.shape[2]} pixels, "
                     f"mean brightness {mx.mean():.3f} (the input's {photo.mean():.3f}); average pooling: "
                     f"{av.shape[1]} by {av.shape[2]} pixels, mean brightness {av.mean():.3f}. Mean change between "
                     f"neighbouring output pixels: max pooling {_roughness(mx):.3f}, average pooling {_roughness(av):.3f}"
                     " (the larger, the blockier).")


def _roughness(img: np.ndarray) -> float:
    """Mean absolute difference between horizontally neighbouring pixels: how blocky a picture looks."""
    return float(np.mean(np.abs(np.diff(img, axis=2)))) if img.ndim == 4 and img.shape[2] > 1 else 0.0


def pooling_explorer(pool_forward: Callable, photo: np.ndarray):
    """Sliders for window size and stride; max and average pooling of the photo side by side."""
    import ipywidgets as widgets  # here: 0.2 s of a kernel's start (measured, visuals/_common.py)

    f = number_control("window size", "f", 4, 1, 12)
    stride = number_control("step between windows", "stride", 4, 1, 12)
    info = status_line()
    plot = explorer_plot()

    def update(_=None):
        n_H = (photo.shape[1] - f.value) // stride.value + 1
        n_W = (photo.shape[2] - f.value) // stride.value + 1
        overlap = "windows overlap (stride < f)" if stride.value < f.value else \
            "windows skip inputs (stride > f)" if stride.value > f.value else "windows tile the input"
        set_status(info, f"f = {f.value}, stride = {stride.value}: output {n_H} x {n_W} x 3 &nbsp;·&nbsp; {overlap}")
        with plot:
            plot.clear_output(wait=True)
            show_pooling(pool_forward, photo, f.value, stride.value)

    f.observe(update, names="value")
    stride.observe(update, names="value")
    update()
    show_explorer(explorer_box(widgets.HBox([f, stride]), info, plot))


def colour_sources(photo: np.ndarray, f: int, stride: int) -> np.ndarray:
    """(n_H, n_W) bool: True where no single pixel of the window holds the maximum of all three channels
    (ties counted: a pixel that ties for a channel's maximum holds it), so the max-pooled colour is
    the colour of no pixel of its window."""
    x = photo[0]
    n_H = (x.shape[0] - f) // stride + 1
    n_W = (x.shape[1] - f) // stride + 1
    mixed = np.zeros((n_H, n_W), bool)
    for r in range(n_H):
        for c in range(n_W):
            patch = x[r * stride:r * stride + f, c * stride:c * stride + f]       # (f, f, 3)
            holds_all = (patch == patch.max(axis=(0, 1))).all(axis=2)            # (f, f)
            mixed[r, c] = not holds_all.any()
    return mixed


def show_colour_sources(pool_forward: Callable, photo: np.ndarray, f: int = 6, stride: int = 6) -> None:
    """Count and mark the max-pooled pixels whose R, G and B maxima come from different input pixels,
    and zoom on one such window."""
    out = try_student(pool_forward, photo, {"f": f, "stride": stride}, "max")
    if out is None:
        return
    pooled = np.asarray(out[0])[0]
    mixed = colour_sources(photo, f, stride)
    r, c = np.argwhere(mixed)[len(np.argwhere(mixed)) // 2] if mixed.any() else (0, 0)
    patch = photo[0, r * stride:r * stride + f, c * stride:c * stride + f]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1.2, 1, 1]})
    axes[0].imshow(np.clip(pooled, 0, 1), interpolation="nearest")
    ys, xs = np.nonzero(mixed)
    axes[0].scatter(xs, ys, s=10, facecolors="none", edgecolors="white", marker="s", lw=0.8)
    axes[0].scatter(xs, ys, s=3, c="black", marker="s")
    axes[0].set_title(f"max pool f={f}, stride={stride}; square marks: colour of no input pixel", fontsize=9)
    axes[1].imshow(patch, interpolation="nearest")
    for k, (colour, marker) in enumerate(((OKABE_ITO["vermillion"], "o"), (OKABE_ITO["bluish green"], "s"),
                                          (OKABE_ITO["blue"], "^"))):
        where = np.argwhere(patch[:, :, k] == patch[:, :, k].max())
        axes[1].scatter(where[:, 1], where[:, 0], s=140, facecolors="none", edgecolors=colour, marker=marker, lw=2,
                        label=f"max of {'RGB'[k]}")
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # circle R, square G, triangle B
    axes[1].set_title(f"the input window of output pixel ({r}, {c}):\nwhere each channel's maximum is", fontsize=9)
    axes[2].imshow(pooled[r:r + 1, c:c + 1], interpolation="nearest")
    axes[2].set_title(f"its pooled pixel: RGB = {np.round(pooled[r, c], 3)}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    plt.tight_layout()
    spots = {"RGB"[k]: [tuple(int(i) for i in p) for p in np.argwhere(patch[:, :, k] == patch[:, :, k].max())]
             for k in range(3)}
    show_figure(fig, f"Left: the max-pooled portrait, {pooled.shape[0]} by {pooled.shape[1]} pixels, with {mixed.sum()} "
                     f"pixels marked by a square: their colour is the colour of no input pixel. Middle: the {f}x{f} "
                     f"input window of output pixel ({r}, {c}); the maximum of R is at (row, column) {spots['R']} "
                     f"(circle), of G at {spots['G']} (square), of B at {spots['B']} (triangle). Right: its pooled "
                     f"pixel, RGB = {np.round(pooled[r, c], 3).tolist()}.")
    print(f"{mixed.sum()} of {mixed.size} output pixels ({mixed.mean():.0%}) take their R, G and B maxima "
          f"from different input pixels: their colour is the colour of no pixel of the window.")
