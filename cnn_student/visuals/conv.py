"""01_conv_forward: padding picture and the output-size explorer."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import (OKABE_ITO, explorer_box, explorer_plot, label_cells, matrix_text, number_control, set_status,
                      show_explorer, show_figure, status_line, try_student)


def show_padding(zero_pad: Callable, pad: int = 2) -> None:
    """One channel of a small input before and after the student's zero_pad."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1, 5, 6, 2))
    X_pad = try_student(zero_pad, X, pad)
    if X_pad is None:
        return
    problems = padding_problems(X, X_pad, pad)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, A, title in ((axes[0], X, f"x: shape {X.shape}"), (axes[1], np.asarray(X_pad), f"x_pad: shape {np.shape(X_pad)}")):
        ax.imshow(A[0, :, :, 0], cmap="viridis", vmin=-2, vmax=2)
        ax.set_title(title)
        ax.set_xticks(range(A.shape[2]))
        ax.set_yticks(range(A.shape[1]))
    fig.suptitle(f"channel 0 of example 0; pad = {pad} adds {pad} rows/columns of zeros on each side of H and W only"
                 + ("\nWRONG: your zero_pad does not return this padding (see below the figure)" if problems else ""))
    P = np.asarray(X_pad)[0, :, :, 0] if np.ndim(X_pad) == 4 else np.zeros((0, 0))
    border = np.ones(P.shape, bool)
    border[pad:P.shape[0] - pad, pad:P.shape[1] - pad] = False
    show_figure(fig, f"Two heat maps (viridis, -2 to 2) of channel 0 of example 0. Left: x, shape {X.shape}, "
                     f"{X.shape[1]} rows by {X.shape[2]} columns, values from {X[0, :, :, 0].min():.2f} to "
                     f"{X[0, :, :, 0].max():.2f}. Right: your x_pad, shape {np.shape(X_pad)}: {P.shape[0]} rows by "
                     f"{P.shape[1]} columns; {int(np.sum(P[border] == 0))} of its {int(border.sum())} border cells "
                     f"({pad} on each side) are 0." + (" This is not a correct zero padding." if problems else ""),
                print_alt=True)
    if problems:
        print("✘ This is not a correct zero padding, so the right panel is not what it should show:\n  - "
              + "\n  - ".join(problems))


def padding_problems(X: np.ndarray, X_pad: object, pad: int) -> list[str]:
    """What is wrong with a result of zero_pad(X, pad), in words; empty when it is right."""
    want = (X.shape[0], X.shape[1] + 2 * pad, X.shape[2] + 2 * pad, X.shape[3])
    if not isinstance(X_pad, np.ndarray):
        return [f"zero_pad returned {type(X_pad).__name__}, not an array of shape {want}"]
    if X_pad.shape != want:
        return [f"its shape is {X_pad.shape}, and should be {want}: zeros on height and width only, {pad} on "
                f"each side; the examples (axis 0) and the channels (axis 3) keep their sizes"]
    problems = []
    inner = X_pad[:, pad:pad + X.shape[1], pad:pad + X.shape[2], :]
    border = X_pad.copy()
    border[:, pad:pad + X.shape[1], pad:pad + X.shape[2], :] = 0
    if np.any(border != 0):
        problems.append(f"{np.count_nonzero(border)} values of the {pad}-wide border are not 0")
    if not np.allclose(inner, X):
        problems.append("inside the border, the values are not those of X at the same places")
    return problems


def unreached(n: int, f: int, pad: int, stride: int) -> list[int]:
    """Rows (and, the input being square, columns) of the padded input that no window covers, counted
    from 0: those between two windows when stride > f, and the last ones the floor drops."""
    size = n + 2 * pad
    if size < f:
        return list(range(size))
    n_out = (size - f) // stride + 1
    reached = np.zeros(size, bool)
    for k in range(n_out):
        reached[k * stride:k * stride + f] = True
    return [int(i) for i in np.flatnonzero(~reached)]


def _rows(indices: list[int]) -> str:
    return ", ".join(str(i) for i in indices[:-1]) + (" and " if len(indices) > 1 else "") + str(indices[-1])


def reach_sentence(n: int, f: int, pad: int, stride: int) -> str:
    """The explorer's sentence under the formula: which rows and columns of the padded input no window
    reaches (exactly those the figure hatches), and why."""
    size = n + 2 * pad
    if size < f:
        return f"No window fits: the filter ({f}) is larger than the padded input ({size}), so no row is reached."
    missed = unreached(n, f, pad, stride)
    if not missed:
        return f"Every one of the {size} rows and columns of the padded input is under at least one window."
    n_out = (size - f) // stride + 1
    last_end = (n_out - 1) * stride + f                     # one past the last row a window covers
    gaps = [i for i in missed if i < last_end]
    tail = [i for i in missed if i >= last_end]
    one = len(missed) == 1
    text = (f"{len(missed)} of the {size} rows of the padded input, and as many of its columns, "
            f"{'is' if one else 'are'} never under a window (hatched; counted from 0): "
            f"{'row' if one else 'rows'} {_rows(missed)}.")
    if gaps:
        text += (f" Between windows, because the stride ({stride}) is larger than f ({f}): "
                 f"{'row' if len(gaps) == 1 else 'rows'} {_rows(gaps)}.")
    if tail:
        text += (f" After the last window, where the floor drops what a whole stride no longer fits: "
                 f"{'row' if len(tail) == 1 else 'rows'} {_rows(tail)}.")
    return text


def _draw(n: int, f: int, pad: int, stride: int) -> None:
    size = n + 2 * pad
    n_out = (n + 2 * pad - f) // stride + 1 if size >= f else 0
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    for r in range(size):
        for c in range(size):
            is_pad = r < pad or c < pad or r >= n + pad or c >= n + pad
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor="#dddddd" if is_pad else "#56B4E9", edgecolor="white"))
            if is_pad:  # padding is told by its 0, not by its grey only
                ax.text(c + 0.5, r + 0.5, "0", ha="center", va="center", fontsize=8, color="black")
    missed = unreached(n, f, pad, stride)
    for idx in missed:  # rows/columns no window covers (the sentence names the same)
        ax.add_patch(Rectangle((idx, 0), 1, size, facecolor="none", edgecolor="black", hatch="///", lw=0))
        ax.add_patch(Rectangle((0, idx), size, 1, facecolor="none", edgecolor="black", hatch="///", lw=0))
    for k in range(1, n_out):  # the other windows along the first row of outputs, then the first column
        for x, y in ((k * stride, 0), (0, k * stride)):
            ax.add_patch(Rectangle((x + 0.08, y + 0.08), f - 0.16, f - 0.16, fill=False, edgecolor=OKABE_ITO["blue"],
                                   lw=1.2, ls="--"))
    if n_out:  # the first window on top, thick and solid
        ax.add_patch(Rectangle((0.08, 0.08), f - 0.16, f - 0.16, fill=False, edgecolor=OKABE_ITO["vermillion"], lw=3))
    ax.set_xlim(0, size)
    ax.set_ylim(size, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"padded input {size}x{size} (grey cells marked 0 = padding); {n_out} window positions per row\n"
                 "thick solid frame: first window; dashed: the others; hatched: never reached")
    starts = ", ".join(str(k * stride) for k in range(n_out))
    show_figure(fig, f"Grid of the padded input, {size} by {size} cells: the {n} by {n} input inside {pad} ring(s) "
                     f"of padding cells marked 0. A {f} by {f} window at stride {stride} takes {n_out} position(s) per "
                     f"row and per column" + (f", starting at rows and columns {starts}" if n_out else "")
                     + (f"; rows and columns {', '.join(map(str, missed))} (counted from 0) are hatched: no window "
                        "reaches them." if missed else "; every row and column is under a window."))


# the explorer's sliders: name -> (start value, min, max); tests walk the whole grid
EXPLORER_SLIDERS = {"n_H_prev": (7, 3, 12), "f": (3, 1, 7), "pad": (0, 0, 3), "stride": (2, 1, 4)}
# what each control is called, in words, with its symbol in brackets (its accessible name)
EXPLORER_LABELS = {"n_H_prev": "input height", "f": "filter size", "pad": "padding", "stride": "step between windows"}


def output_size_explorer():
    """Sliders for input size, filter size, pad and stride; the formula filled in and the windows drawn."""
    import ipywidgets as widgets  # here: 0.2 s of a kernel's start (measured, visuals/_common.py)

    n, f, pad, stride = (number_control(EXPLORER_LABELS[name], name, value, low, high)
                         for name, (value, low, high) in EXPLORER_SLIDERS.items())
    formula = status_line()
    plot = explorer_plot()

    def update(_=None):
        N, F, P, S = n.value, f.value, pad.value, stride.value
        if N + 2 * P < F:
            set_status(formula, f"<b>The filter ({F}) is larger than the padded input ({N + 2 * P}): no output.</b>")
        else:
            out = (N + 2 * P - F) // S + 1
            exact = (N + 2 * P - F) / S
            set_status(formula, f"<code>n_H = floor((n_H_prev + 2·pad − f) / stride) + 1 = floor(({N} + 2·{P} − {F}) / {S}) + 1"
                                f" = floor({exact:.2f}) + 1 = <b>{out}</b></code><br>" + reach_sentence(N, F, P, S))
        with plot:
            plot.clear_output(wait=True)
            _draw(N, F, P, S)

    for w in (n, f, pad, stride):
        w.observe(update, names="value")
    update()
    show_explorer(explorer_box(widgets.HBox([n, f]), widgets.HBox([pad, stride]), formula, plot))


def window_coverage(n: int, f: int, pad: int, stride: int = 1) -> np.ndarray:
    """(n, n): how many of the layer's windows contain each input pixel (padding cells not shown).

    Along one axis, the window starting at k*stride covers padded positions k*stride .. k*stride+f-1;
    a pixel's 2-D count is the product of its row's and its column's 1-D counts."""
    along = coverage_along(n, f, pad, stride)
    return np.outer(along, along)


def coverage_along(n: int, f: int, pad: int, stride: int = 1) -> np.ndarray:
    """(n,): along one axis, how many windows contain each input position."""
    n_out = (n + 2 * pad - f) // stride + 1
    starts = np.arange(n_out) * stride
    positions = np.arange(n) + pad                       # input pixels, in padded coordinates
    return ((positions[:, None] >= starts[None, :]) & (positions[:, None] < starts[None, :] + f)).sum(axis=1)


def show_coverage(n: int = 6, f: int = 3, pads: tuple[int, ...] = (0, 1, 2)) -> None:
    """How often each pixel of an n x n input is under the filter, for several paddings (stride 1)."""
    fig, axes = plt.subplots(1, len(pads), figsize=(3.6 * len(pads), 3.8))
    for ax, pad in zip(np.atleast_1d(axes), pads):
        counts = window_coverage(n, f, pad)
        image = ax.imshow(counts, cmap="Oranges", vmin=0, vmax=f * f)
        label_cells(ax, image, counts, fontsize=10)
        n_out = n + 2 * pad - f + 1
        ax.set_title(f"pad = {pad}: output {n_out}x{n_out}\ncorner {counts[0, 0]}, centre {counts[n // 2, n // 2]}",
                     fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{n}x{n} input, f = {f}, stride 1: in how many windows does each pixel lie?")
    show_figure(fig, f"{len(pads)} grids of the {n}x{n} input, f = {f}, stride 1, each cell labelled with the number of "
                     "windows it lies in. " + " ".join(f"pad = {p}: {matrix_text(window_coverage(n, f, p))}." for p in pads))
    for pad in pads:
        counts = window_coverage(n, f, pad)
        print(f"pad = {pad}: corner pixel in {counts[0, 0]} windows, edge pixel (0, {n // 2}) in "
              f"{counts[0, n // 2]}, centre pixel in {counts[n // 2, n // 2]}")


def print_strided_coverage(n: int = 6, f: int = 3, stride: int = 2) -> None:
    """The same count with a stride, and the padding that gives every pixel f·f windows at stride 1
    (pad = f − 1): windows start `stride` apart, so along each axis a pixel lies in at most ceil(f / stride)
    of them, and no padding makes that f when stride > 1."""
    pad = f - 1
    counts = window_coverage(n, f, pad, stride)
    along = coverage_along(n, f, pad, stride)
    print(f"stride {stride}, pad = f − 1 = {pad} ({n}x{n} input, f = {f}): along each axis the pixels lie in "
          f"{', '.join(map(str, along))} windows; in two dimensions: {matrix_text(counts)}.")
    most = -(-f // stride)  # ceil(f / stride): the most windows, starting `stride` apart, that f positions hold
    print(f"counts that occur: {', '.join(map(str, sorted(set(counts.ravel().tolist()))))}. Windows start {stride} "
          f"apart, so along each axis a pixel lies in at most ceil(f / stride) = {most} of them, {most * most} in all"
          + (f": fewer than f·f = {f * f}, whatever the padding." if most < f else "."))


def show_filter_across_channels(conv_forward: Callable, h: int = 1, w: int = 2) -> None:
    """One filter (3, 3, n_C_prev = 3, n_C = 1) on a 6x6x3 input: it spans every channel and makes ONE
    output channel, the sum of what each of its slices finds in its own channel, plus the bias."""
    rng = np.random.default_rng(7)
    A = rng.integers(-2, 3, size=(1, 6, 6, 3)).astype(float)
    W = rng.integers(-1, 2, size=(3, 3, 3, 1)).astype(float)
    b = np.array([0.5]).reshape(1, 1, 1, 1)
    hp = {"stride": 1, "pad": 0}
    full = try_student(conv_forward, A, W, b, hp)
    if full is None:
        return
    Z = np.asarray(full[0])
    parts = [np.asarray(conv_forward(A[..., [k]], W[:, :, [k], :], np.zeros((1, 1, 1, 1)), hp)[0]) for k in range(3)]
    fig, axes = plt.subplots(3, 4, figsize=(11, 8.2))
    for k in range(3):
        for ax, img, title in ((axes[k, 0], A[0, :, :, k], f"input channel {k}"),
                               (axes[k, 1], W[:, :, k, 0], f"filter slice W[:, :, {k}, 0]"),
                               (axes[k, 2], parts[k][0, :, :, 0], f"what slice {k} finds in channel {k}")):
            image = ax.imshow(img, cmap="PuOr_r", vmin=-np.abs(img).max() - 1e-9, vmax=np.abs(img).max() + 1e-9)
            label_cells(ax, image, img, fontsize=8)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[k, 0].add_patch(Rectangle((w - 0.5, h - 0.5), 3, 3, fill=False, edgecolor="black", lw=2.5))
        axes[k, 2].add_patch(Rectangle((w - 0.5, h - 0.5), 1, 1, fill=False, edgecolor="black", lw=2.5))
    for ax in axes[:, 3]:
        ax.axis("off")
    ax = axes[1, 3]
    ax.axis("on")
    image = ax.imshow(Z[0, :, :, 0], cmap="PuOr_r", vmin=-np.abs(Z).max() - 1e-9, vmax=np.abs(Z).max() + 1e-9)
    label_cells(ax, image, Z[0, :, :, 0], fontsize=8)
    ax.add_patch(Rectangle((w - 0.5, h - 0.5), 1, 1, fill=False, edgecolor="black", lw=2.5))
    ax.set_title("Z[0, :, :, 0]: the ONE output channel\n= sum of the three maps + b (b = 0.5)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.suptitle("One filter of shape (3, 3, 3) spans all three input channels and produces one output channel")
    plt.tight_layout()
    total = parts[0] + parts[1] + parts[2] + b
    show_figure(fig, f"Three rows, one per input channel k = 0, 1, 2 of a 6x6 input A {A.shape}: the channel, the 3x3 "
                     f"filter slice W[:, :, k, 0], and the 4x4 map that slice finds in its channel; at the right, your "
                     f"Z[0, :, :, 0] (4x4), the one output channel. " + " ".join(
                         f"Slice {k}: {matrix_text(W[:, :, k, 0])}." for k in range(3))
                     + f" Framed output (h, w) = ({h}, {w}): {parts[0][0, h, w, 0]:g} + {parts[1][0, h, w, 0]:g} + "
                     f"{parts[2][0, h, w, 0]:g} + b {b.item():g} = {total[0, h, w, 0]:g}; your Z there is "
                     f"{Z[0, h, w, 0]:g}. Your Z: {matrix_text(Z[0, :, :, 0])}.")
    print(f"A {A.shape}, W {W.shape}, b {b.shape} -> Z {Z.shape}")
    print(f"at (h, w) = ({h}, {w}): {parts[0][0, h, w, 0]:g} + {parts[1][0, h, w, 0]:g} + {parts[2][0, h, w, 0]:g}"
          f" + {b.item():g} = {total[0, h, w, 0]:g}; your Z there: {Z[0, h, w, 0]:g}")
    print(f"largest |Z - (sum of the three maps + b)| over all positions: {np.max(np.abs(Z - total)):.1e}")
