"""01_conv_forward: padding picture and the output-size explorer."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import try_student


def show_padding(zero_pad: Callable, pad: int = 2) -> None:
    """One channel of a small input before and after the student's zero_pad."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1, 5, 6, 2))
    X_pad = try_student(zero_pad, X, pad)
    if X_pad is None:
        return
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, A, title in ((axes[0], X, f"x: shape {X.shape}"), (axes[1], np.asarray(X_pad), f"x_pad: shape {np.shape(X_pad)}")):
        ax.imshow(A[0, :, :, 0], cmap="viridis", vmin=-2, vmax=2)
        ax.set_title(title)
        ax.set_xticks(range(A.shape[2]))
        ax.set_yticks(range(A.shape[1]))
    fig.suptitle(f"channel 0 of example 0; pad = {pad} adds {pad} rows/columns of zeros on each side of H and W only")
    plt.show()


def _draw(n: int, f: int, pad: int, stride: int) -> None:
    size = n + 2 * pad
    n_out = (n + 2 * pad - f) // stride + 1 if size >= f else 0
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    for r in range(size):
        for c in range(size):
            is_pad = r < pad or c < pad or r >= n + pad or c >= n + pad
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor="#dddddd" if is_pad else "#9ecae1", edgecolor="white"))
    reached = np.zeros(size, bool)
    for k in range(n_out):
        reached[k * stride:k * stride + f] = True
    for idx in np.flatnonzero(~reached):  # rows/columns no window covers: the floor drops them
        ax.add_patch(Rectangle((idx, 0), 1, size, facecolor="none", edgecolor="red", hatch="///", lw=0))
        ax.add_patch(Rectangle((0, idx), size, 1, facecolor="none", edgecolor="red", hatch="///", lw=0))
    for k in range(n_out):  # windows along the first row of outputs, then the first column
        ax.add_patch(Rectangle((k * stride + 0.08, 0.08), f - 0.16, f - 0.16, fill=False,
                               edgecolor="#d62728" if k == 0 else "#ff7f0e", lw=2 if k == 0 else 1.2, ls="-" if k == 0 else "--"))
        ax.add_patch(Rectangle((0.08, k * stride + 0.08), f - 0.16, f - 0.16, fill=False, edgecolor="#ff7f0e", lw=1.2, ls="--"))
    ax.set_xlim(0, size)
    ax.set_ylim(size, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"padded input {size}x{size} (grey = padding); {n_out} window positions per row\n"
                 "solid red: first window; dashed: the others; hatched: never reached")
    plt.show()


def output_size_explorer():
    """Sliders for input size, filter size, pad and stride; the formula filled in and the windows drawn."""
    import ipywidgets as widgets
    from IPython.display import display

    n = widgets.IntSlider(value=7, min=3, max=12, description="n_H_prev")
    f = widgets.IntSlider(value=3, min=1, max=7, description="f")
    pad = widgets.IntSlider(value=0, min=0, max=3, description="pad")
    stride = widgets.IntSlider(value=2, min=1, max=4, description="stride")
    formula = widgets.HTML()
    plot = widgets.Output()

    def update(_=None):
        N, F, P, S = n.value, f.value, pad.value, stride.value
        if N + 2 * P < F:
            formula.value = f"<b>The filter ({F}) is larger than the padded input ({N + 2 * P}): no output.</b>"
        else:
            out = (N + 2 * P - F) // S + 1
            exact = (N + 2 * P - F) / S
            left = (N + 2 * P - F) % S
            formula.value = (f"<code>n_H = floor((n_H_prev + 2·pad − f) / stride) + 1 = floor(({N} + 2·{P} − {F}) / {S}) + 1"
                             f" = floor({exact:.2f}) + 1 = <b>{out}</b></code><br>"
                             + (f"The stride does not tile the input evenly: the last {left} row(s)/column(s) are never reached."
                                if left else "The windows tile the padded input exactly."))
        with plot:
            plot.clear_output(wait=True)
            _draw(N, F, P, S)

    for w in (n, f, pad, stride):
        w.observe(update, names="value")
    update()
    display(widgets.VBox([widgets.HBox([n, f]), widgets.HBox([pad, stride]), formula, plot]))
