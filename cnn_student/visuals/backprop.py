"""03_backprop: where the gradient goes. A conv routing figure, the pooling routing explorer, ties."""
from __future__ import annotations

from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import explorer_plot, show_explorer, try_student


def _grid(ax, values: np.ndarray, title: str, cmap: str = "Blues", fmt: str = "{:g}",
          blank_zero: bool = False, vmax: Optional[float] = None) -> None:
    top = vmax if vmax is not None else max(float(np.max(np.abs(values))), 1e-12)
    ax.imshow(values, cmap=cmap, vmin=-top if cmap == "RdBu_r" else 0, vmax=top)
    for (r, c), v in np.ndenumerate(values):
        if blank_zero and v == 0:
            continue
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.set_title(title, fontsize=9)


def _window(ax, r: int, c: int, f: int, color: str = "#d62728", ls: str = "-", lw: float = 2.0) -> None:
    ax.add_patch(Rectangle((c - 0.5, r - 0.5), f, f, fill=False, edgecolor=color, ls=ls, lw=lw))


# ---------- conv_backward
def show_conv_routing(conv_backward: Callable) -> None:
    """dA_prev for one-hot dZ at two positions, and with every weight and dZ equal to 1 (window counts)."""
    n, f, pad, stride = 5, 3, 1, 2
    A = np.arange(1.0, n * n + 1).reshape(1, n, n, 1)
    W = np.arange(1.0, f * f + 1).reshape(f, f, 1, 1)
    b = np.zeros((1, 1, 1, 1))
    hp = {"stride": stride, "pad": pad}
    n_out = (n + 2 * pad - f) // stride + 1
    panels = []
    for h, w in ((0, 0), (1, 1)):
        dZ = np.zeros((1, n_out, n_out, 1))
        dZ[0, h, w, 0] = 1.0
        out = try_student(conv_backward, dZ, (A, W, b, hp))
        if out is None:
            return
        panels.append((np.asarray(out[0])[0, :, :, 0], (h, w)))
    out = try_student(conv_backward, np.ones((1, n_out, n_out, 1)), (A, np.ones_like(W), b, hp))
    if out is None:
        return
    counts = np.asarray(out[0])[0, :, :, 0]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    for ax, (grad, (h, w)) in zip(axes, panels):
        _grid(ax, grad, f"dA_prev when only dZ[{h}, {w}] = 1:\nthe filter W (1..9) pasted on window ({h}, {w})",
              blank_zero=True)
        _window(ax, h * stride - pad, w * stride - pad, f)
        ax.set_xlim(-1.5, n + 0.5)
        ax.set_ylim(n + 0.5, -1.5)
    _grid(axes[2], counts, "dZ = 1 everywhere, W = 1: how many\nwindows reach each input (they add up)", cmap="Oranges")
    fig.suptitle(f"conv_backward on a {n}x{n} input, f = {f}, pad = {pad}, stride = {stride}.\n"
                 "Red frame: the window on the padded input; the part of it on the padding is cropped away", fontsize=10)
    plt.tight_layout()
    plt.show()


# ---------- pool_backward: the routing explorer
def _routing_input(n: int = 6) -> np.ndarray:
    """1..n*n in a random order: easy to read, and no two inputs tie."""
    return np.random.default_rng(3).permutation(np.arange(1.0, n * n + 1)).reshape(1, n, n, 1)


def draw_routing(pool_backward: Callable, mode: str, f: int, stride: int, h: int, w: int,
                 every_output: bool = False, lr: float = 1.0) -> None:
    A = _routing_input()
    n = A.shape[1]
    n_out = (n - f) // stride + 1
    dA = np.ones((1, n_out, n_out, 1)) if every_output else np.zeros((1, n_out, n_out, 1))
    dA[0, h, w, 0] = 1.0
    grad = try_student(pool_backward, dA, (A, {"f": f, "stride": stride}), mode)
    if grad is None:
        return
    grad = np.asarray(grad, dtype=np.float64).reshape(A.shape)[0, :, :, 0]
    x = A[0, :, :, 0]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    _grid(axes[0], x, "input A_prev (values 1..36, no ties)", cmap="Greys", vmax=60)
    _grid(axes[1], grad, "dA_prev: the gradient each input receives", cmap="Oranges", fmt="{:.3g}", blank_zero=True)
    moved = grad != 0
    after = x - lr * grad
    axes[2].imshow(np.where(moved, 1.0, 0.0), cmap="Oranges", vmin=0, vmax=2)
    for (r, c), v in np.ndenumerate(after):
        axes[2].text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=8,
                     color="black" if moved[r, c] else "#999999")
    axes[2].set_xticks(range(n))
    axes[2].set_yticks(range(n))
    axes[2].set_title(f"after one step A_prev - {lr:g} * dA_prev:\ngrey = unchanged (gradient 0 adds nothing)", fontsize=9)
    windows = [(r, c) for r in range(n_out) for c in range(n_out)] if every_output else [(h, w)]
    for ax in axes:
        for r, c in windows:
            _window(ax, r * stride, c * stride, f, lw=1.0 if every_output else 2.0,
                    ls="--" if every_output else "-")
    what = "every output has dA = 1" if every_output else f"only output ({h}, {w}) has dA = 1"
    overlap = "windows overlap (stride < f): inputs in several windows collect gradient from each" \
        if stride < f else "windows do not overlap"
    fig.suptitle(f"{mode} pooling, f = {f}, stride = {stride}; {what}; {overlap}", fontsize=10)
    plt.tight_layout()
    plt.show()
    print(f"{int(moved.sum())} of {moved.size} inputs received gradient (total {grad.sum():.4g}); "
          f"the other {int((~moved).sum())} received 0: a gradient step leaves them as they are.")


def routing_explorer(pool_backward: Callable) -> None:
    """Pick a pooling mode, window, stride and output position; see which inputs receive its gradient."""
    import ipywidgets as widgets

    mode = widgets.ToggleButtons(options=["max", "average"], description="mode")
    f = widgets.IntSlider(value=2, min=2, max=3, description="f")
    stride = widgets.IntSlider(value=2, min=1, max=3, description="stride")
    h = widgets.IntSlider(value=0, min=0, max=2, description="output h")
    w = widgets.IntSlider(value=0, min=0, max=2, description="output w")
    every = widgets.Checkbox(value=False, description="every output at once")
    plot = explorer_plot()

    def update(_=None):
        n_out = (6 - f.value) // stride.value + 1
        h.max = w.max = n_out - 1
        with plot:
            plot.clear_output(wait=True)
            draw_routing(pool_backward, mode.value, f.value, stride.value, h.value, w.value, every.value)

    for control in (mode, f, stride, h, w, every):
        control.observe(update, names="value")
    update()
    show_explorer(widgets.VBox([mode, widgets.HBox([f, stride]), widgets.HBox([h, w, every]), plot]))


# ---------- ties
def show_ties(create_mask_from_window: Callable, dz: float = 1.0) -> None:
    """A window whose maximum appears twice: the == mask and one-hot routing side by side."""
    x = np.array([[1.0, 3.0], [3.0, 2.0]])
    mask = try_student(create_mask_from_window, x)
    if mask is None:
        return
    mask = np.asarray(mask)
    one_hot = np.zeros_like(x)
    one_hot[np.unravel_index(np.argmax(x), x.shape)] = 1.0
    print("window x:\n", x)
    print(f"\nyour mask (x == max) times dz = {dz:g}:\n", mask * dz, f"\n  gradient sent in total: {float(np.sum(mask * dz)):g}")
    print("\none-hot routing (np.argmax picks the first maximum) times dz:\n", one_hot * dz,
          f"\n  gradient sent in total: {float(np.sum(one_hot * dz)):g}")
