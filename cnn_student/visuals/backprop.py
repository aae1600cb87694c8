"""03_backprop: where the gradient goes. The one-dimensional worked example, dA_prev as a transposed matrix
and as a full correlation, a conv routing figure, the pooling routing explorer (with the conv layer's dW
that the same gradient produces), ties."""
from __future__ import annotations

from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..data import data_file
from ..gradcheck import GOOD, relative_error
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


def show_1d_backprop(x: np.ndarray = X_1D, W: np.ndarray = W_1D, dz: np.ndarray = DZ_1D, b: float = 0.0) -> None:
    """z_h = W_0 x_h + W_1 x_(h+1) + W_2 x_(h+2) + b (stride 1, no padding); the gradients of L = sum_h z_h dz_h
    by the chain rule written out, by the transposed matrix, by a full correlation with the flipped filter,
    and by finite differences. Letters as in two dimensions: h an output, p a filter position, r an input."""
    n, f = len(x), len(W)
    n_out = n - f + 1
    z = np.array([W @ x[h:h + f] + b for h in range(n_out)])
    print(f"x = {_vec(x)}, W = {_vec(W)}, b = {b:g}:  z = {_vec(z)};  dz = {_vec(dz)} (given by the next layer)\n")
    print("dx_r = sum over the outputs h that read x_r of dz_h * W_(r-h):")
    dx = np.zeros(n)
    for r in range(n):
        terms = [(h, r - h) for h in range(n_out) if 0 <= r - h < f]
        dx[r] = sum(dz[h] * W[p] for h, p in terms)
        print(f"  dx_{r} = " + " + ".join(f"dz_{h}*W_{p}" for h, p in terms).ljust(34)
              + " = " + " + ".join(f"({dz[h]:g})({W[p]:g})" for h, p in terms).ljust(34) + f" = {dx[r]:g}")
    M = np.zeros((n_out, n))
    for h in range(n_out):
        M[h, h:h + f] = W
    print(f"\nM (z = M x + b), one row per output:\n{M}\nM.T @ dz = {_vec(M.T @ dz)}")
    dz_padded = np.pad(dz, f - 1)
    flipped = W[::-1]
    full = np.array([dz_padded[r:r + f] @ flipped for r in range(n)])
    print(f"dz padded with f-1 = {f - 1} zeros each side: {_vec(dz_padded)}, slid under the flipped filter "
          f"{_vec(flipped)}:\n  {_vec(full)}")
    dW = np.array([dz @ x[p:p + n_out] for p in range(f)])
    print(f"dW_p = sum_h dz_h * x_(h+p) = {_vec(dW)}  (x slid under dz);  db = sum_h dz_h = {dz.sum():g}")
    loss = lambda xx, WW, bb: float(sum(dz[h] * (WW @ xx[h:h + f] + bb) for h in range(n_out)))
    eps = 1e-6  # the finite differences' step
    fd_x = [(loss(x + eps * e, W, b) - loss(x - eps * e, W, b)) / (2 * eps) for e in np.eye(n)]
    fd_W = [(loss(x, W + eps * e, b) - loss(x, W - eps * e, b)) / (2 * eps) for e in np.eye(f)]
    fd_b = (loss(x, W, b + eps) - loss(x, W, b - eps)) / (2 * eps)
    print(f"finite differences of L = sum_h z_h dz_h: dx {_vec(np.round(fd_x, 6))}, dW {_vec(np.round(fd_W, 6))}, "
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
    import ipywidgets as widgets  # here: 0.2 s of a kernel's start (measured, visuals/_common.py)

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
def _first_maximum(x: np.ndarray) -> np.ndarray:
    """One-hot: the first entry (row-major) that equals the maximum."""
    out = np.zeros(x.shape)
    out.reshape(-1)[np.flatnonzero(x.reshape(-1) == x.max())[0]] = 1.0
    return out


def _last_maximum(x: np.ndarray) -> np.ndarray:
    """One-hot: the last entry (row-major) that equals the maximum."""
    out = np.zeros(x.shape)
    out.reshape(-1)[np.flatnonzero(x.reshape(-1) == x.max())[-1]] = 1.0
    return out


def _equal_split(x: np.ndarray) -> np.ndarray:
    """1/k at each of the k entries that equal the maximum."""
    tied = x == x.max()
    return tied / tied.sum()


def _every_maximum(x: np.ndarray) -> np.ndarray:
    """1 at every entry that equals the maximum: the window's gradient once per tied entry."""
    return (x == x.max()).astype(float)


# (name, the share of a window's gradient each of its inputs receives); the student's mask is added beside them
TIE_RULES = (("first maximum (row-major: this course, PyTorch, TensorFlow on CPU)", _first_maximum),
             ("last maximum", _last_maximum),
             ("equal split among the tied inputs", _equal_split),
             ("every maximum (x == max)", _every_maximum))
YOUR_MASK = "your create_mask_from_window"


def _rules(create_mask_from_window: Callable) -> tuple:
    return (*TIE_RULES, (YOUR_MASK, lambda x: np.asarray(create_mask_from_window(x), dtype=float)))


def show_ties(create_mask_from_window: Callable, dz: float = 1.0) -> None:
    """A window whose maximum appears twice, routed by four rules and your mask, with the one derivative of
    max that exists at a tie, measured: what a check along that direction proves, and what it cannot."""
    x = np.array([[1.0, 3.0], [3.0, 2.0]])
    if try_student(create_mask_from_window, x) is None:
        return
    h = 1e-3
    along = (np.max(x + h) - np.max(x - h)) / (2 * h)
    print(f"window x = {x.tolist()} (its maximum 3 appears twice, at (0, 1) and (1, 0)), dz = {dz:g}.")
    print(f"Moving all four inputs up by t moves the output up by exactly t: measured with centred differences, "
          f"d max / dt = {along:.6f}.\nSo whatever a rule routes must add up to 1 * dz = {dz:g}; which inputs receive "
          f"it, that direction cannot tell.")
    for name, rule in _rules(create_mask_from_window):
        routed = rule(x) * dz
        total = float(np.sum(routed))
        verdict = "passes the check" if np.isclose(total, dz) else f"fails: {total / dz:g} times dz"
        print(f"  {name}: {routed.tolist()}, adds up to {total:g}: {verdict}")


# the smallest layer whose filter gradient meets a tie: a 1x1 conv from 2 channels to 1 on a 2x2 map whose
# pixels are (1, 0), (0, 1), (0, 0), (0, 0), so Z = [[w_0, w_1], [b, b]]; with W = (1, 1) and b = 0, Z ties at 1
TIE_PIXELS = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]]).reshape(1, 2, 2, 2)
TIE_W = np.ones((1, 1, 2, 1))


def tie_in_a_filter_gradient(create_mask_from_window: Callable, conv_forward: Callable, pool_forward: Callable,
                             eps: float = 1e-3) -> None:
    """conv 1x1 (W = (w_0, w_1) = (1, 1), bias 0) then 2x2 max pooling, on pixels (1, 0), (0, 1), (0, 0), (0, 0):
    the output is max(w_0, w_1), tied. Its one-sided slopes in w_0, its centred differences in w_0, w_1 and b,
    against what each rule's routing gives (dW by the chain rule: dW[0, 0, k, 0] = sum over pixels of dZ times
    the pixel's channel k)."""
    if try_student(create_mask_from_window, np.zeros((2, 2))) is None:
        return
    X, hp, pool = TIE_PIXELS, {"stride": 1, "pad": 0}, {"f": 2, "stride": 2}
    out = lambda W, b=0.0: float(pool_forward(conv_forward(X, W, np.full((1, 1, 1, 1), b), hp)[0], pool)[0].item())
    Z = conv_forward(X, TIE_W, np.zeros((1, 1, 1, 1)), hp)[0][0, :, :, 0]
    e = [np.eye(2)[k].reshape(1, 1, 2, 1) for k in range(2)]
    up = (out(TIE_W + eps * e[0]) - out(TIE_W)) / eps
    down = (out(TIE_W) - out(TIE_W - eps * e[0])) / eps
    numeric_W = np.array([(out(TIE_W + eps * ek) - out(TIE_W - eps * ek)) / (2 * eps) for ek in e])
    numeric_b = (out(TIE_W, eps) - out(TIE_W, -eps)) / (2 * eps)
    print(f"pixels (1, 0), (0, 1), (0, 0), (0, 0), 1x1 filter W = (w_0, w_1) = (1, 1), bias 0: Z = {Z.tolist()}, "
          f"tied at {Z.max():g}; 2x2 max pooling outputs max(w_0, w_1) = {out(TIE_W):g}; dz = 1.")
    print(f"measured (centred differences, step {eps:g}, with the provided conv_forward and pool_forward):\n"
          f"  raise w_0 by t: the output rises by {up:.6f}·t; lower it: by {down:.6f}·t (it stays at w_1)\n"
          f"  centred differences: d/dw_0 {numeric_W[0]:.6f}, d/dw_1 {numeric_W[1]:.6f}, d/db {numeric_b:.6f}")
    print(f"{'rule':70s}{'routed to Z':>22s}{'dw_0':>7s}{'dw_1':>7s}{'db':>5s}  relative error of dW")
    for name, rule in _rules(create_mask_from_window):
        dZ = rule(Z)
        dW = np.array([np.sum(dZ * X[0, :, :, k]) for k in range(2)])
        err = relative_error(dW, numeric_W)
        print(f"{name:70s}{str(dZ.tolist()):>22s}{dW[0]:>7.3g}{dW[1]:>7.3g}{dZ.sum():>5.3g}  {err:.2f}")


def _pool_2x2(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pooling, stride 2: the pooled maps and every window's four inputs, last axis in row-major order."""
    m, H, W, C = A.shape
    quads = A[:, :H // 2 * 2, :W // 2 * 2].reshape(m, H // 2, 2, W // 2, 2, C).transpose(0, 1, 3, 5, 2, 4)
    quads = quads.reshape(m, H // 2, W // 2, C, 4)
    return quads.max(axis=-1), quads


def _route(quads: np.ndarray, dP: np.ndarray, rule: Callable[[np.ndarray], np.ndarray], shape: tuple) -> np.ndarray:
    """Each window's gradient sent to its inputs as `rule` (a 2x2 window -> its shares) says."""
    m, n_H, n_W, C, _ = quads.shape
    shares = np.zeros(quads.shape)
    for idx in np.ndindex(m, n_H, n_W, C):
        shares[idx] = np.asarray(rule(quads[idx].reshape(2, 2)), float).reshape(4)
    routed = (shares * dP[..., None]).reshape(m, n_H, n_W, C, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    out = np.zeros(shape)
    out[:, :n_H * 2, :n_W * 2] = routed.reshape(m, n_H * 2, n_W * 2, C)
    return out


def check_ties_on_bias(conv_forward: Callable, create_mask_from_window: Callable, n_images: int = 8,
                       bias: float = 0.1, seed: int = 0) -> None:
    """The first layer of notebook 4's network on its images: conv 3x3 (8 filters, pad 1, biases 0.1),
    ReLU, 2x2 max pooling. Where the tied windows come from (uniform regions: the bias alone over the
    background, 0, since no filter's weights sum to 0), then the bias gradient db from each routing rule, checked against centred differences."""
    X = np.load(data_file("shapes_images.npy"))[:n_images].astype(float)
    X = X[..., None] if X.ndim == 3 else X  # (m, 16, 16, 1)
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((3, 3, X.shape[-1], 8)) * np.sqrt(2 / 9)
    b = np.full((1, 1, 1, 8), bias)
    hp = {"stride": 1, "pad": 1}
    Z = conv_forward(X, W, b, hp)[0]
    P, quads = _pool_2x2(np.maximum(Z, 0))
    top = quads.max(axis=-1, keepdims=True)
    k = (quads == top).sum(axis=-1)
    tied_up = (k > 1) & (top[..., 0] > 0)
    print(f"{n_images} images {X.shape[1:]} of notebook 4, conv 3x3 with 8 filters (pad 1, every bias {bias:g}), "
          f"ReLU, 2x2 max pooling: {P.size} windows, {int(np.sum(k > 1))} of them tied "
          f"({int(tied_up.sum())} above 0, where a tie changes db; up to {int(k.max())} inputs each).")
    # a pooling window reads only background when the pixels under its four conv outputs are all 0: their
    # absolute values summed over each 3x3 neighbourhood (a conv with a filter of ones), then the largest of the four
    spread = conv_forward(np.abs(X), np.ones((3, 3, X.shape[-1], 1)), np.zeros((1, 1, 1, 1)), hp)[0]
    background = (_pool_2x2(spread)[0] == 0) & tied_up
    at_bias = tied_up & np.all((quads == top) <= (quads == b.reshape(-1)[:, None]), axis=-1)
    print(f"  {int(background.sum())} of the {int(tied_up.sum())} read only background, value 0: there every Z is the "
          f"bias {bias:g} (largest difference {np.max(np.abs(quads[background] - bias)):g}); in "
          f"{int((at_bias & ~background).sum())} more, the tied inputs are outputs over background, equal to the bias, "
          "and the others are smaller.")
    white = np.full((1, 3, 3, X.shape[-1]), 255.0)
    Z_white = conv_forward(white, W, b, {"stride": 1, "pad": 0})[0].reshape(-1)
    # the uniform 3x3 windows of the images, counted with the same filter of ones: a window is uniform when
    # 9·sum(x²) = (sum x)², exact for these whole-number pixels
    ones, no_bias, inside = np.ones((3, 3, X.shape[-1], 1)), np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0}
    sums, squares = (conv_forward(x, ones, no_bias, inside)[0] for x in (X, X * X))
    uniform = 9 * X.shape[-1] * squares == sums * sums
    print(f"  over a uniform region of value v, Z = v·sum(W[..., c]) + b wherever the 3x3 window lies inside the "
          f"region: the bias alone where v = 0, or for a filter whose weights sum to 0 (notebook 1's Sobel filter; "
          f"here the smallest |sum(W[..., c])| is {np.min(np.abs(W.sum(axis=(0, 1, 2)))):.4f}); v = 255 gives filters "
          f"0-3 {np.round(Z_white[:4], 4).tolist()}; these "
          f"{n_images} images hold {int(np.sum(uniform & (sums > 0)))} uniform 3x3 windows of a value above 0, and "
          f"{int(np.sum(uniform & (sums == 0)))} of value 0.")
    dP = np.random.default_rng(seed + 1).standard_normal(P.shape)
    # bias c moves channel c only, so one pair of forward passes measures all eight derivatives
    loss = lambda b_: np.sum(_pool_2x2(np.maximum(conv_forward(X, W, b_, hp)[0], 0))[0] * dP, axis=(0, 1, 2))
    h = 1e-4  # the loss is piecewise linear in b: any step that crosses no kink is exact up to rounding
    numeric = (loss(b + h) - loss(b - h)) / (2 * h)
    print(f"db by centred differences (h = {h:g}), filters 0-3: {np.round(numeric[:4], 4).tolist()}")
    for name, rule in _rules(create_mask_from_window):
        try:
            dZ = _route(quads, dP, rule, Z.shape) * (Z > 0)
        except NotImplementedError:
            print(f"  {name}: not written yet")
            continue
        db = dZ.sum(axis=(0, 1, 2))
        err = relative_error(db, numeric)
        verdict = "right (only rounding differs)" if err < GOOD else "WRONG: the check fails"
        ratios = ", ".join(f"{r:.3g}" for r in db[:4] / numeric[:4])
        print(f"  {name}: db filters 0-3 {np.round(db[:4], 4).tolist()} ({ratios} times the measured values), "
              f"relative error {err:.1e}: {verdict}")


# ---------- the backward pass as a transposed convolution
def transposed_sizes(conv_forward: Callable, conv_backward: Callable, f: int = 3, stride: int = 2, pad: int = 1,
                     sizes: tuple[int, ...] = (5, 6, 7, 8, 9)) -> None:
    """For inputs of several sizes: the forward output size, the transposed convolution's output size
    (n_H - 1)*stride - 2*pad + f, and the shape of the student's dA_prev (which the cache decides)."""
    rng = np.random.default_rng(3)
    W, b = rng.standard_normal((f, f, 1, 1)), np.zeros((1, 1, 1, 1))
    hp = {"stride": stride, "pad": pad}
    print(f"conv with f = {f}, stride = {stride}, pad = {pad}; dA_prev = M.T @ dZ by your conv_backward:")
    print(f"{'n_H_prev':>9s}{'n_H = floor((n_H_prev + 2p − f) / s) + 1':>42s}{'(n_H − 1)·s − 2p + f':>23s}"
          f"{'your dA_prev':>16s}")
    by_output: dict[int, list[int]] = {}
    for n in sizes:
        Z, cache = conv_forward(rng.standard_normal((1, n, n, 1)), W, b, hp)
        n_H = Z.shape[1]
        out = try_student(conv_backward, np.ones(Z.shape), cache)
        if out is None:
            return
        dA_prev = np.asarray(out[0])
        back = (n_H - 1) * stride - 2 * pad + f
        by_output.setdefault(n_H, []).append(n)
        print(f"{n:>9d}{n_H:>42d}{back:>23d}{str(dA_prev.shape[1:3]):>16s}")
    for n_H, inputs in by_output.items():
        if len(inputs) > 1:
            print(f"inputs of {' and '.join(map(str, inputs))} rows both give n_H = {n_H}: from dZ alone the input "
                  f"size is ambiguous; the formula gives the smallest, {(n_H - 1) * stride - 2 * pad + f}")
