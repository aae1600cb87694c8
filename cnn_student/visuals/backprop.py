"""03_backprop: where the gradient goes. The one-dimensional worked example, dA_prev as a transposed matrix
and as a full correlation, a conv routing figure, the pooling routing explorer (with the conv layer's dW
that the same gradient produces), ties."""
from __future__ import annotations

from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import (OKABE_ITO, explorer_box, explorer_plot, label_cells, matrix_text, number_control, set_status,
                      show_explorer, show_figure, status_line, try_student)


def _grid(ax, values: np.ndarray, title: str, cmap: str = "Blues", fmt: str = "{:g}",
          blank_zero: bool = False, vmax: Optional[float] = None) -> None:
    top = vmax if vmax is not None else max(float(np.max(np.abs(values))), 1e-12)
    image = ax.imshow(values, cmap=cmap, vmin=-top if cmap == "PuOr_r" else 0, vmax=top)
    label_cells(ax, image, values, fmt.format, skip=(lambda v: v == 0) if blank_zero else None, fontsize=8)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.set_title(title, fontsize=9)


def _window(ax, r: int, c: int, f: int, color: str = OKABE_ITO["vermillion"], ls: str = "-", lw: float = 2.0) -> None:
    ax.add_patch(Rectangle((c - 0.5, r - 0.5), f, f, fill=False, edgecolor=color, ls=ls, lw=lw))


# ---------- the one-dimensional worked example
X_1D = np.array([1.0, 2.0, -1.0, 3.0, 0.5])
W_1D = np.array([2.0, -1.0, 0.5])
DZ_1D = np.array([1.0, -2.0, 0.5])


def _vec(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{x:g}" for x in v) + ")"


def show_1d_backprop(x: np.ndarray = X_1D, w: np.ndarray = W_1D, dz: np.ndarray = DZ_1D, b: float = 0.0) -> None:
    """z_j = w_0 x_j + w_1 x_(j+1) + w_2 x_(j+2) + b (stride 1, no padding); the gradients of L = sum_j z_j dz_j
    by the chain rule written out, by the transposed matrix, by a full correlation with the flipped filter,
    and by finite differences."""
    n, f = len(x), len(w)
    n_out = n - f + 1
    z = np.array([w @ x[j:j + f] + b for j in range(n_out)])
    print(f"x = {_vec(x)}, w = {_vec(w)}, b = {b:g}:  z = {_vec(z)};  dz = {_vec(dz)} (given by the next layer)\n")
    print("dx_k = sum over the outputs j that read x_k of dz_j * w_(k-j):")
    dx = np.zeros(n)
    for k in range(n):
        terms = [(j, k - j) for j in range(n_out) if 0 <= k - j < f]
        dx[k] = sum(dz[j] * w[t] for j, t in terms)
        print(f"  dx_{k} = " + " + ".join(f"dz_{j}*w_{t}" for j, t in terms).ljust(34)
              + " = " + " + ".join(f"({dz[j]:g})({w[t]:g})" for j, t in terms).ljust(34) + f" = {dx[k]:g}")
    M = np.zeros((n_out, n))
    for j in range(n_out):
        M[j, j:j + f] = w
    print(f"\nM (z = M x + b), one row per output:\n{M}\nM.T @ dz = {_vec(M.T @ dz)}")
    dz_padded = np.pad(dz, f - 1)
    flipped = w[::-1]
    full = np.array([dz_padded[k:k + f] @ flipped for k in range(n)])
    print(f"dz padded with f-1 = {f - 1} zeros each side: {_vec(dz_padded)}, slid under the flipped filter "
          f"{_vec(flipped)}:\n  {_vec(full)}")
    dw = np.array([dz @ x[t:t + n_out] for t in range(f)])
    print(f"dw_t = sum_j dz_j * x_(j+t) = {_vec(dw)}  (x slid under dz);  db = sum_j dz_j = {dz.sum():g}")
    loss = lambda xx, ww, bb: float(sum(dz[j] * (ww @ xx[j:j + f] + bb) for j in range(n_out)))
    h = 1e-6
    fd_x = [(loss(x + h * e, w, b) - loss(x - h * e, w, b)) / (2 * h) for e in np.eye(n)]
    fd_w = [(loss(x, w + h * e, b) - loss(x, w - h * e, b)) / (2 * h) for e in np.eye(f)]
    fd_b = (loss(x, w, b + h) - loss(x, w, b - h)) / (2 * h)
    print(f"finite differences of L = sum_j z_j dz_j: dx {_vec(np.round(fd_x, 6))}, dw {_vec(np.round(fd_w, 6))}, "
          f"db {fd_b:.6g}")


def _conv_matrix_by_probing(conv_forward: Callable, W: np.ndarray, input_shape: tuple, hp: dict) -> np.ndarray:
    """The matrix of the (bias-free) conv layer, column by column: column k is the output, flattened, for the
    input that is 1 at position k and 0 elsewhere (the layer is linear)."""
    b = np.zeros((1, 1, 1, W.shape[3]))
    columns = []
    for k in range(int(np.prod(input_shape))):
        e = np.zeros(int(np.prod(input_shape)))
        e[k] = 1.0
        columns.append(np.asarray(conv_forward(e.reshape(1, *input_shape), W, b, hp)[0]).reshape(-1))
    return np.stack(columns, axis=1)


def _full_correlation(conv_forward: Callable, dZ: np.ndarray, W: np.ndarray, input_shape: tuple, hp: dict) -> np.ndarray:
    """dZ with stride-1 zeros between its entries, padded with f-1 zeros, correlated with the filters flipped
    in both spatial axes (input and output channels swapped); then cropped to the unpadded input."""
    f, stride, pad = W.shape[0], hp["stride"], hp["pad"]
    m, n_H, n_W, n_C = dZ.shape
    dilated = np.zeros((m, (n_H - 1) * stride + 1, (n_W - 1) * stride + 1, n_C))
    dilated[:, ::stride, ::stride, :] = dZ
    flipped = W[::-1, ::-1].transpose(0, 1, 3, 2)
    full, _ = conv_forward(dilated, flipped, np.zeros((1, 1, 1, W.shape[2])), {"stride": 1, "pad": f - 1})
    n_H_prev, n_W_prev = input_shape[0], input_shape[1]
    padded = np.zeros((m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, W.shape[2]))  # rows no window reaches stay 0
    padded[:, :full.shape[1], :full.shape[2], :] = full
    return padded[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]


def check_transpose_and_flip(conv_backward: Callable, conv_forward: Callable) -> None:
    """Your dA_prev against M.T @ dZ (M the layer's matrix) and against the full correlation of dZ with the
    flipped filter, on two small layers: stride 1, and stride 2 (where dZ is first spread out)."""
    rng = np.random.default_rng(11)
    for input_shape, f, n_C, hp in (((5, 6, 2), 3, 3, {"stride": 1, "pad": 1}),
                                    ((6, 5, 2), 3, 2, {"stride": 2, "pad": 1})):
        A_prev = rng.standard_normal((1, *input_shape))
        W = rng.standard_normal((f, f, input_shape[2], n_C))
        b = rng.standard_normal((1, 1, 1, n_C))
        Z, cache = conv_forward(A_prev, W, b, hp)
        dZ = rng.standard_normal(Z.shape)
        out = try_student(conv_backward, dZ, cache)
        if out is None:
            return
        dA_prev = np.asarray(out[0])
        M = _conv_matrix_by_probing(conv_forward, W, input_shape, hp)
        by_matrix = (M.T @ dZ.reshape(-1)).reshape(A_prev.shape)
        by_flip = _full_correlation(conv_forward, dZ, W, input_shape, hp)
        print(f"A_prev {A_prev.shape}, W {W.shape}, stride {hp['stride']}, pad {hp['pad']}: M is {M.shape[0]} x {M.shape[1]}")
        if dA_prev.shape != A_prev.shape:
            print(f"  your dA_prev has shape {dA_prev.shape}, A_prev {A_prev.shape}: fix conv_backward first")
            continue
        for what, other in (("M.T @ dZ", by_matrix),
                            ("the full correlation of dZ with the flipped filter", by_flip)):
            gap = float(np.max(np.abs(dA_prev - other)))
            print(f"  your dA_prev {'equals' if gap < 1e-9 else 'DIFFERS from'} {what} (largest difference {gap:.1e})")


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
                 "Framed: the window on the padded input; the part of it on the padding is cropped away", fontsize=10)
    plt.tight_layout()
    show_figure(fig, f"Three {n}x{n} grids of your dA_prev (f = {f}, pad = {pad}, stride = {stride}); blank cells are 0. "
                + " ".join(f"Only dZ[{h}, {w}] = 1, window framed at rows and columns from {h * stride - pad}, "
                           f"{w * stride - pad}: {matrix_text(grad)}." for grad, (h, w) in panels)
                + f" dZ = 1 everywhere and W = 1, how many windows reach each input: {matrix_text(counts)}.")


# ---------- pool_backward: the routing explorer, with the conv layer before the pooling
ROUTING_W = np.array([[0.3, -0.2, 0.5], [0.8, 0.4, -0.3], [-0.1, 0.6, 0.2]])


def _routing_input() -> np.ndarray:
    """An 8x8 input of whole numbers 1..9 for a 3x3 conv layer (no padding, stride 1) whose 6x6 output
    has 36 values at least 0.05 apart: no window of the pooling layer has a tie."""
    return np.random.default_rng(154).integers(1, 10, (1, 8, 8, 1)).astype(np.float64)


def draw_routing(pool_backward: Callable, conv_forward: Callable, conv_backward: Callable, mode: str, f: int,
                 stride: int, h: int, w: int, every_output: bool = False) -> None:
    X = _routing_input()
    W = ROUTING_W.reshape(3, 3, 1, 1)
    Z, conv_cache = conv_forward(X, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
    n = Z.shape[1]
    n_out = (n - f) // stride + 1
    dA = np.ones((1, n_out, n_out, 1)) if every_output else np.zeros((1, n_out, n_out, 1))
    dA[0, h, w, 0] = 1.0
    grad = try_student(pool_backward, dA, (Z, {"f": f, "stride": stride}), mode)
    if grad is None:
        return
    grad = np.asarray(grad, dtype=np.float64).reshape(Z.shape)
    conv_out = try_student(conv_backward, grad, conv_cache)
    dW = None if conv_out is None else np.asarray(conv_out[1], dtype=np.float64).reshape(3, 3)
    g = grad[0, :, :, 0]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4), gridspec_kw={"width_ratios": [8, 6, 6, 3.6]})
    _grid(axes[0], X[0, :, :, 0], "X: the conv layer's input\n(red: the windows under outputs that got gradient)",
          cmap="Greys", vmax=20)
    for r, c in zip(*np.nonzero(g)):
        _window(axes[0], r, c, 3, lw=1.0)
    _grid(axes[1], Z[0, :, :, 0], "Z = conv(X, W): the pooling layer's input", cmap="Greys", vmax=40, fmt="{:.3g}")
    _grid(axes[2], g, "dZ = pool_backward's dA_prev:\nthe gradient each activation receives", cmap="Oranges",
          fmt="{:.3g}", blank_zero=True)
    windows = [(r, c) for r in range(n_out) for c in range(n_out)] if every_output else [(h, w)]
    for ax in axes[1:3]:
        for r, c in windows:
            _window(ax, r * stride, c * stride, f, lw=1.0 if every_output else 2.0, ls="--" if every_output else "-")
    if dW is None:
        axes[3].text(0.5, 0.5, "dW needs your\nconv_backward\n(Part 1)", ha="center", va="center")
        axes[3].set_axis_off()
    else:
        _grid(axes[3], dW, f"dW, the conv layer's\nfilter gradient: {int(np.count_nonzero(dW))} of 9 non-zero",
              cmap="Blues", fmt="{:.3g}", blank_zero=True)
    what = "every output has dA = 1" if every_output else f"only output ({h}, {w}) has dA = 1"
    fig.suptitle(f"conv 3x3 -> {mode} pooling (f = {f}, stride = {stride}); {what}. Backward: pool_backward "
                 "sends dA to Z's inputs, conv_backward turns that dZ into dW", fontsize=10)
    plt.tight_layout()
    moved = g != 0
    where = ", ".join(f"({r}, {c}) {g[r, c]:.3g}" for r, c in zip(*np.nonzero(g)))
    show_figure(fig, f"Four grids: X, the 8x8 input of a 3x3 conv layer; Z, its 6x6 output, the input of {mode} "
                     f"pooling with f = {f}, stride = {stride}, {what} (framed window(s)); dZ, the gradient each "
                     f"activation of Z receives: {int(moved.sum())} of 36 non-zero, at (row, column) {where}; "
                     + ("dW cannot be drawn before conv_backward is written." if dW is None else
                        f"dW, the filter's gradient: {matrix_text(dW, '{:.3g}'.format)}."))
    print(f"{int(moved.sum())} of {moved.size} activations received gradient (total {g.sum():.4g}); the other "
          f"{int((~moved).sum())} received exactly 0. Activations are computed, never updated: no step applies to them.")
    if dW is not None:
        print(f"The filter's gradient dW sums, over every output that received gradient, dZ times the 3x3 window of X "
              f"under it: {int(np.count_nonzero(dW))} of its 9 weights have a non-zero gradient.")


def routing_explorer(pool_backward: Callable, conv_forward: Callable, conv_backward: Callable) -> None:
    """Pick a pooling mode, window, stride and output position; see which activations receive its gradient,
    and the conv layer's dW that this gradient produces."""
    import ipywidgets as widgets

    mode = widgets.RadioButtons(options=["max", "average"], description="pooling (mode)",
                                style={"description_width": "initial"})
    f = number_control("window size", "f", 2, 2, 3)
    stride = number_control("step between windows", "stride", 2, 1, 3)
    h = number_control("output row", "h", 0, 0, 2)
    w = number_control("output column", "w", 0, 0, 2)
    every = widgets.Checkbox(value=False, description="every output at once")
    info = status_line()
    plot = explorer_plot()

    def update(_=None):
        n_out = (6 - f.value) // stride.value + 1
        h.max = w.max = n_out - 1
        picked = "every output" if every.value else f"output ({h.value}, {w.value})"
        set_status(info, f"{mode.value} pooling, f = {f.value}, stride = {stride.value}, {picked} has dA = 1: "
                         + _routing_summary(pool_backward, conv_forward, conv_backward, mode.value, f.value,
                                            stride.value, h.value, w.value, every.value))
        with plot:
            plot.clear_output(wait=True)
            draw_routing(pool_backward, conv_forward, conv_backward, mode.value, f.value, stride.value,
                         h.value, w.value, every.value)

    for control in (mode, f, stride, h, w, every):
        control.observe(update, names="value")
    update()
    show_explorer(explorer_box(mode, widgets.HBox([f, stride]), widgets.HBox([h, w, every]), info, plot))


def _routing_summary(pool_backward: Callable, conv_forward: Callable, conv_backward: Callable, mode: str, f: int,
                     stride: int, h: int, w: int, every_output: bool) -> str:
    """The explorer's result in words: how many activations receive gradient, and dW's non-zero count."""
    X = _routing_input()
    W = ROUTING_W.reshape(3, 3, 1, 1)
    try:
        Z, conv_cache = conv_forward(X, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
        n_out = (Z.shape[1] - f) // stride + 1
        dA = np.ones((1, n_out, n_out, 1)) if every_output else np.zeros((1, n_out, n_out, 1))
        dA[0, h, w, 0] = 1.0
        g = np.asarray(pool_backward(dA, (Z, {"f": f, "stride": stride}), mode), dtype=np.float64).reshape(Z.shape)
        dW = np.asarray(conv_backward(g, conv_cache)[1])
    except NotImplementedError:
        return "write the functions this explorer uses first (the figure below says which)."
    return (f"{int(np.count_nonzero(g))} of {g.size} activations receive gradient (total {g.sum():.4g}); "
            f"{int(np.count_nonzero(dW))} of 9 weights of dW are non-zero.")


# ---------- ties
def show_ties(create_mask_from_window: Callable, dz: float = 1.0) -> None:
    """A window whose maximum appears twice: your mask, the first maximum (PyTorch, TensorFlow) and an equal split."""
    x = np.array([[1.0, 3.0], [3.0, 2.0]])
    mask = try_student(create_mask_from_window, x)
    if mask is None:
        return
    mask = np.asarray(mask)
    first = np.zeros_like(x)
    first[np.unravel_index(np.argmax(x), x.shape)] = 1.0
    tied = x >= x.max()
    rules = (("your mask", mask * dz),
             ("first maximum in row-major order (np.argmax; PyTorch's and TensorFlow's CPU kernels)", first * dz),
             ("equal split between the tied inputs", tied * dz / tied.sum()))
    print(f"window x (its maximum 3 appears twice), dz = {dz:g}:\n{x}")
    for name, routed in rules:
        shares = routed[tied] / dz
        kind = ("a convex combination: a valid (generalised) gradient" if np.all(shares >= 0) and np.isclose(shares.sum(), 1)
                else f"shares add up to {shares.sum():g}, not 1: not a gradient of max at this point")
        print(f"\n{name}:\n{routed}\n  sent in total {float(np.sum(routed)):g}; {kind}")
