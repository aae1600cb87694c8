"""04_sharing_vs_sparsity: parameter-count table, the conv layer as a matrix (figure, counts,
explorer), and the figures of the training experiment (loss, weight histograms, zeros)."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from ..experiment import CLASS_NAMES, WEIGHTS, TrainingRun, zero_fraction
from ._common import (OKABE_ITO, explorer_box, explorer_plot, number_control, set_status, show_explorer, show_figure,
                      status_line, text_colour, try_student)

# (name, f, n_C_prev, n_C, input shape, output shape): LeNet-5's layer sizes on 32x32 colour images with
# every filter spanning all input channels (not LeNet-5 itself, see LENET5_C3), and VGG-16's first layer
LAYERS = [
    ("LeNet-like conv1 (5x5, 6 filters)", 5, 3, 6, (32, 32, 3), (28, 28, 6)),
    ("LeNet-like conv2 (5x5, 16 filters)", 5, 6, 16, (14, 14, 6), (10, 10, 16)),
    ("VGG-16 conv1_1 (3x3, 64 filters)", 3, 3, 64, (224, 224, 3), (224, 224, 64)),
]
# LeNet-5 (LeCun et al., 1998, Table I): its C3 maps each see only some of S2's 6 maps:
# 6 maps see 3 of them, 9 maps see 4, 1 map sees all 6 (number of maps, input maps each sees)
LENET5_C3 = ((6, 3), (9, 4), (1, 6))


def param_table(conv_param_count: Callable, dense_param_count: Callable) -> None:
    """Each layer's parameters as a conv layer and as a dense layer with the same input and output shapes."""
    rows = []
    for name, f, c_prev, c, ins, outs in LAYERS:
        conv = try_student(conv_param_count, f, c_prev, c)
        dense = try_student(dense_param_count, ins, outs) if conv is not None else None
        if conv is None or dense is None:
            return
        rows.append((name, ins, outs, int(conv), int(dense)))
    print(f"{'layer':34s} {'input':>14s} {'output':>14s} {'conv params':>12s} {'dense params':>18s} {'dense / conv':>14s}")
    for name, ins, outs, conv, dense in rows:
        ratio = f"{dense / conv:,.0f}" if conv else "-"
        print(f"{name:34s} {str(ins):>14s} {str(outs):>14s} {conv:>12,d} {dense:>18,d} {ratio:>14s}")
    fig, ax = plt.subplots(figsize=(9, 3.2))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [r[3] for r in rows], height=0.4, label="conv layer", color=OKABE_ITO["blue"])
    ax.barh(y + 0.2, [r[4] for r in rows], height=0.4, label="dense layer, same shapes (hatched)",
            color=OKABE_ITO["orange"], hatch="//", edgecolor="black")
    for k, r in enumerate(rows):  # each bar names itself: colour is not the only cue
        ax.text(r[3] * 1.15, k - 0.2, f"conv {r[3]:,}", va="center", fontsize=8)
        ax.text(r[4] * 1.15, k + 0.2, f"dense {r[4]:,}", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_yticks(y, [r[0] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("parameters (log scale)")
    ax.set_xlim(left=1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("Same input, same output: how many numbers must be learned")
    ax.set_xlim(1, max(r[4] for r in rows) * 30)
    show_figure(fig, "Bar chart, log scale, parameters of each layer as a conv layer and as a dense layer with the same "
                     "input and output shapes: " + "; ".join(f"{r[0]}: conv {r[3]:,}, dense {r[4]:,}" for r in rows)
                     + ".")
    lenet_c1 = int(conv_param_count(5, 1, 6))
    lenet_c3 = sum(n * int(conv_param_count(5, k, 1)) for n, k in LENET5_C3)
    print(f"The LeNet-like rows are not LeNet-5 itself. LeNet-5 read 32x32 grayscale images: its C1 has "
          f"conv_param_count(5, 1, 6) = {lenet_c1:,} parameters.\nIts C3 connects each of its 16 maps to only "
          f"some of the 6 maps below (a connection table: 6 maps see 3, 9 see 4, 1 sees all 6):\n"
          f"6*conv_param_count(5, 3, 1) + 9*conv_param_count(5, 4, 1) + conv_param_count(5, 6, 1) = {lenet_c3:,} "
          f"parameters, not the {rows[1][3]:,} of the fully connected conv2 above.")


def _index_filter(f: int, n_C_prev: int, n_C: int) -> np.ndarray:
    """A filter whose weights are 1, 2, ..., so that each matrix entry names the weight it holds."""
    return np.arange(1, f * f * n_C_prev * n_C + 1, dtype=np.float64).reshape(f, f, n_C_prev, n_C)


def matrix_counts(conv_as_matrix: Callable, input_shape: tuple, f: int, n_C: int, hp: dict) -> dict | None:
    """The numbers that separate the three ideas, measured on the student's matrix."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((f, f, input_shape[2], n_C))
    M = try_student(conv_as_matrix, W, input_shape, hp)
    if M is None:
        return None
    M = np.asarray(M)
    structure = np.asarray(conv_as_matrix(np.ones_like(W), input_shape, hp))
    return {"entries": M.size, "shape": M.shape, "can_be_nonzero": int(np.count_nonzero(structure)),
            "distinct": len(np.unique(M[M != 0])), "weights": W.size, "zero_weights": int(np.sum(W == 0))}


def print_counts(k: dict) -> None:
    print(f"entries of M {k['shape']}:{'':9s}{k['entries']:6d}   = the weights a dense layer needs for these shapes")
    print(f"entries that can be non-zero:  {k['can_be_nonzero']:6d}   = the connections: SPARSE CONNECTIONS "
          f"({k['can_be_nonzero'] / k['entries']:.0%} of the entries)")
    print(f"distinct non-zero values:      {k['distinct']:6d}   = the filter's weights f*f*n_C_prev*n_C: PARAMETER SHARING "
          f"(each used {k['can_be_nonzero'] / max(k['distinct'], 1):.1f} times)")
    print(f"weights exactly zero:          {k['zero_weights']:6d}   of {k['weights']}: NO SPARSE WEIGHTS")


def matrix_vs_conv_forward(conv_as_matrix: Callable, conv_forward: Callable, input_shape: tuple = (5, 6, 2),
                           f: int = 3, n_C: int = 2, stride: int = 2, pad: int = 1) -> None:
    """Check the student's matrix yourself: M @ x + biases against conv_forward on one random example."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, *input_shape))
    W = rng.standard_normal((f, f, input_shape[2], n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    hp = {"stride": stride, "pad": pad}
    M = try_student(conv_as_matrix, W, input_shape, hp)
    if M is None:
        return
    Z, _ = conv_forward(x, W, b, hp)
    print(f"x {x.shape[1:]}, W {W.shape}, stride {stride}, pad {pad}: Z has shape {Z.shape[1:]}; "
          f"M should have shape ({Z[0].size}, {x[0].size}), yours is {np.shape(M)}")
    M = np.asarray(M)
    if M.shape != (Z[0].size, x[0].size):
        return
    z = M @ x[0].reshape(-1) + np.tile(b.reshape(-1), Z[0].size // n_C)
    ok = np.allclose(z, Z[0].reshape(-1))
    print("M @ x.reshape(-1) + biases", "equals" if ok else "DIFFERS from", "conv_forward's Z.reshape(-1)"
          + ("" if ok else f" (largest difference {np.max(np.abs(z - Z[0].reshape(-1))):.3g})"))


def show_conv_matrix(conv_as_matrix: Callable, input_shape: tuple = (4, 4, 1), f: int = 2, n_C: int = 1,
                     stride: int = 1, pad: int = 0) -> None:
    """The matrix of a small conv layer, each entry coloured by the filter weight it holds."""
    hp = {"stride": stride, "pad": pad}
    W = _index_filter(f, input_shape[2], n_C)
    M = try_student(conv_as_matrix, W, input_shape, hp)
    if M is None:
        return
    M = np.asarray(M)
    k = W.size
    # each entry is labelled with the weight it holds (w1..wk); the colour (cividis, light to dark) only
    # repeats the label, so no two weights are told apart by hue alone
    ramp = plt.get_cmap("cividis")
    colours = ListedColormap(["white"] + [ramp(0.35 + 0.65 * i / max(k - 1, 1)) for i in range(k)], name="weights")
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1, 3.2]})
    if input_shape[2] == 1 and n_C == 1:
        ax0.imshow(W[:, :, 0, 0], cmap=colours, vmin=-0.5, vmax=k + 0.5)
        for (i, j), v in np.ndenumerate(W[:, :, 0, 0]):
            ax0.text(j, i, f"w{int(v)}", ha="center", va="center", fontsize=12,
                     color=text_colour(colours(int(v) / (k + 1) + 0.5 / (k + 1))))
        ax0.set_title(f"the filter: {k} weights")
    else:
        ax0.text(0.5, 0.5, f"filter {W.shape}:\n{k} weights,\nnumbered 1..{k}", ha="center", va="center")
    ax0.set_xticks([])
    ax0.set_yticks([])
    image = ax1.imshow(M, cmap=colours, vmin=-0.5, vmax=k + 0.5, aspect="equal" if M.shape[1] <= 40 else "auto")
    if M.size <= 400:
        for (r, c), v in np.ndenumerate(M):
            if v:
                ax1.text(c, r, f"w{v:g}", ha="center", va="center", fontsize=6 if k >= 10 else 7,
                         color=text_colour(image.cmap(image.norm(v))))
    ax1.set_xlabel(f"input position (flattened {input_shape}, C order): {M.shape[1]} columns")
    ax1.set_ylabel(f"output position: {M.shape[0]} rows")
    ax1.set_title("M: blank = structural zero (no connection); wN = the filter weight the entry reuses")
    plt.tight_layout()
    Mi = np.rint(M).astype(int)
    nonzero = int(np.count_nonzero(Mi))
    rows_text = "; ".join(f"row {r}: " + ", ".join(f"w{v} at column {c}" for c, v in enumerate(row) if v)
                          for r, row in enumerate(Mi)) if M.size <= 400 else "too many entries to list"
    show_figure(fig, f"The matrix M of a conv layer with input {input_shape}, a {f}x{f} filter, {n_C} filter(s), stride "
                     f"{stride}, pad {pad}: {M.shape[0]} rows (outputs) by {M.shape[1]} columns (inputs), {nonzero} of "
                     f"{M.size} entries non-zero, each one of the filter's {k} weights w1..w{k}, each weight used "
                     f"{nonzero / k:.1f} times on average. {rows_text}.")
    counts = matrix_counts(conv_as_matrix, input_shape, f, n_C, hp)
    if counts:
        print_counts(counts)


def conv_matrix_explorer(conv_as_matrix: Callable):
    """Sliders for the input size, filter size, channels, stride and pad; the matrix and its counts."""
    import ipywidgets as widgets  # here: 0.2 s of a kernel's start (measured, visuals/_common.py)

    n = number_control("input height and width", "n_H_prev", 5, 3, 8)
    f = number_control("filter size", "f", 3, 1, 4)
    c_prev = number_control("input channels", "n_C_prev", 1, 1, 2)
    c_out = number_control("filters", "n_C", 1, 1, 2)
    stride = number_control("step between windows", "stride", 1, 1, 3)
    pad = number_control("padding", "pad", 0, 0, 2)
    info = status_line()
    plot = explorer_plot()

    def update(_=None):
        size = n.value + 2 * pad.value
        if size < f.value:
            set_status(info, "The filter is larger than the padded input: no output.")
        else:
            side = (size - f.value) // stride.value + 1
            rows, cols = side * side * c_out.value, n.value * n.value * c_prev.value
            set_status(info, f"M has {rows} rows (outputs) and {cols} columns (inputs): {rows * cols} entries, "
                             f"and the filter {f.value * f.value * c_prev.value * c_out.value} weights.")
        with plot:
            plot.clear_output(wait=True)
            if n.value + 2 * pad.value < f.value:
                print("The filter is larger than the padded input: no output.")
                return
            show_conv_matrix(conv_as_matrix, (n.value, n.value, c_prev.value), f.value, c_out.value,
                             stride.value, pad.value)

    for w in (n, f, c_prev, c_out, stride, pad):
        w.observe(update, names="value")
    update()
    show_explorer(explorer_box(widgets.HBox([n, f, stride]), widgets.HBox([c_prev, c_out, pad]), info, plot))


# ---------- the training experiment
def show_shapes(X: np.ndarray, y: np.ndarray, per_class: int = 6) -> None:
    fig, axes = plt.subplots(len(CLASS_NAMES), per_class, figsize=(per_class * 1.1, len(CLASS_NAMES) * 1.15))
    for k, name in enumerate(CLASS_NAMES):
        for j, i in enumerate(np.flatnonzero(y == k)[:per_class]):
            axes[k, j].imshow(X[i, :, :, 0], cmap="gray", vmin=0, vmax=1)
            axes[k, j].set_xticks([])
            axes[k, j].set_yticks([])
        axes[k, 0].set_ylabel(name)
    fig.suptitle(f"{len(X)} training images, 16x16x1, {len(CLASS_NAMES)} classes (chance = {1 / len(CLASS_NAMES):.0%})")
    counts = ", ".join(f"{name}: {int(np.sum(y == k))}" for k, name in enumerate(CLASS_NAMES))
    show_figure(fig, f"{len(CLASS_NAMES)} rows of {per_class} training images each, 16 by 16 grey pixels, light shapes on "
                     f"a dark background, one row per class: " + ", ".join(CLASS_NAMES) + f". The {len(X)} training "
                     f"images hold {counts}; chance accuracy is {1 / len(CLASS_NAMES):.0%}.")


def plot_training(*runs: TrainingRun) -> None:
    """Mini-batch loss (smoothed) and test accuracy of one or more runs."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.4))
    styles = [(OKABE_ITO["blue"], "-", "o"), (OKABE_ITO["vermillion"], "--", "s"), (OKABE_ITO["bluish green"], ":", "^"),
              (OKABE_ITO["reddish purple"], "-.", "D")]  # each run: its own colour, line style and marker
    for run, (colour, ls, marker) in zip(runs, styles * 2):
        label = run.label
        loss = np.convolve(run.losses, np.ones(10) / 10, mode="valid")
        ax0.plot(np.arange(len(loss)) + 10, loss, label=label, color=colour, ls=ls)
        steps, acc = zip(*run.test_accuracy)
        ax1.plot(steps, acc, marker=marker, label=label, color=colour, ls=ls)
    ax0.set_xlabel("step")
    ax0.set_ylabel("cross-entropy (10-step mean)")
    ax0.set_title("training loss")
    ax1.axhline(1 / len(CLASS_NAMES), color="grey", ls="--", label="chance")
    ax1.set_ylim(0, 1)
    ax1.set_xlabel("step")
    ax1.set_title("accuracy on 500 held-out images")
    for ax in (ax0, ax1):
        ax.legend()
    show_figure(fig, "Two line charts over training steps, one line per run. " + " ".join(
        f"{r.label}: loss (10-step mean) from {np.mean(r.losses[:10]):.3f} to {np.mean(r.losses[-10:]):.3f} over "
        f"{len(r.losses)} steps; accuracy on 500 held-out images from {r.test_accuracy[0][1]:.0%} at step "
        f"{r.test_accuracy[0][0]} to {r.test_accuracy[-1][1]:.0%} at step {r.test_accuracy[-1][0]}." for r in runs)
                     + f" Chance is {1 / len(CLASS_NAMES):.0%}.")


def weight_histograms(run: TrainingRun) -> None:
    """Conv filter weights and dense weights, before and after training, with their count of exact zeros."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    said = []
    for ax, name, what in ((axes[0], "W1", "conv filter weights W1"), (axes[1], "W2", "dense weights W2")):
        before, after = run.params_init[name].ravel(), run.params[name].ravel()
        bins = np.linspace(min(before.min(), after.min()), max(before.max(), after.max()), 41)
        ax.hist(before, bins=bins, alpha=0.6, color=OKABE_ITO["sky blue"],
                label=f"before (filled): {np.sum(before == 0)} of {before.size} exactly 0")
        ax.hist(after, bins=bins, histtype="step", lw=2, color=OKABE_ITO["vermillion"],
                label=f"after (outline): {np.sum(after == 0)} of {after.size} exactly 0")
        ax.set_title(what + (f" (L1 lambda={run.l1:g})" if run.l1 else ""))
        ax.legend(fontsize=8)
        said.append(f"{what}: {before.size} weights, before training from {before.min():.3f} to {before.max():.3f} "
                    f"(std {before.std():.3f}), {int(np.sum(before == 0))} exactly 0; after, from {after.min():.3f} to "
                    f"{after.max():.3f} (std {after.std():.3f}), {int(np.sum(after == 0))} exactly 0")
    show_figure(fig, f"Two histograms of {run.label} weights before (filled) and after (outline) training. "
                     + "; ".join(said) + ".")


def _span(fractions: np.ndarray) -> str:
    """The range of a column of the table, said as a range (the steps go up and down; "from .. to" read as a trend)."""
    low, high = f"{fractions.min():.1%}", f"{fractions.max():.1%}"
    return f"{low} at every step" if low == high else f"between {low} and {high}"


def zeros_per_step(run: TrainingRun) -> None:
    """For each recorded step: zeros in the gradients pooling and ReLU pass down, in dW, and in W."""
    recs = run.records
    labels = ["dA1: what max-pool\nbackward passes down", "dZ1: after ReLU\nbackward too",
              "dW1: conv weights'\ngradient", "dW2: dense weights'\ngradient", "W1, W2: weights\nexactly 0"]
    values = np.array([[r.zero_frac_pool_grad, r.zero_frac_relu_grad, r.zero_frac_dW["W1"], r.zero_frac_dW["W2"],
                        (r.zero_frac_W["W1"] * run.params["W1"].size + r.zero_frac_W["W2"] * run.params["W2"].size)
                        / (run.params["W1"].size + run.params["W2"].size)] for r in recs])
    fig, ax = plt.subplots(figsize=(11, 3.4))
    width = 0.8 / len(recs)
    ramp = plt.get_cmap("cividis")
    hatches = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
    for k, r in enumerate(recs):  # steps told apart by lightness and pattern, in order
        ax.bar(np.arange(len(labels)) + (k - len(recs) / 2 + 0.5) * width, values[k], width, label=f"step {r.step}",
               color=ramp(k / max(len(recs) - 1, 1)), hatch=hatches[k % len(hatches)], edgecolor="black", lw=0.5)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("fraction exactly 0")
    ax.set_ylim(0, 1)
    ax.legend(ncol=len(recs), fontsize=8)
    ax.set_title(f"{run.label}: zeros in gradients are common; zeros in weights are not")
    show_figure(fig, f"Grouped bar chart for {run.label}, the fraction of entries exactly 0 at steps "
                     + ", ".join(str(r.step) for r in recs) + " (the table below lists every value): "
                     + "; ".join(f"{name.replace(chr(10), ' ')} {_span(values[:, j])}"
                                 for j, name in enumerate(labels)) + ".")
    print(f"{'step':>4s} {'dA1 zeros':>10s} {'dZ1 zeros':>10s} {'dW1 zeros':>10s} {'dW2 zeros':>10s} {'W zeros':>8s}")
    for r, v in zip(recs, values):
        print(f"{r.step:4d} " + " ".join(f"{x:10.1%}" for x in v[:4]) + f" {v[4]:8.1%}")


def zero_gradient_weights(run: TrainingRun, count: int = 3) -> None:
    """Weights whose gradient was exactly 0 in a recorded step: their value before and after the step."""
    for name in WEIGHTS:
        seen = [(r.step, w) for r in run.records for w in r.zero_grad_weights if w[0] == name][:count]
        for step, (_, index, before, after) in seen:
            print(f"step {step}: {name}{list(index)} had gradient exactly 0; before {before:+.6f}, after {after:+.6f}"
                  f" -> {'kept its value' if before == after else 'CHANGED'}")
    if not any(r.zero_grad_weights for r in run.records):
        print("no weight had a gradient of exactly 0 in the recorded steps")


def compare_l1(run: TrainingRun, run_l1: TrainingRun) -> None:
    """Histograms of all weights after training, without and with the L1 penalty."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
    said = []
    for ax, r in zip(axes, (run, run_l1)):
        w = np.concatenate([r.params[k].ravel() for k in WEIGHTS])
        n_zero = int(np.sum(w == 0))
        ax.hist(w[w != 0], bins=np.linspace(-1, 1, 81), color=OKABE_ITO["orange"] if r.l1 else OKABE_ITO["blue"],
                label="non-zero weights")
        ax.bar([0], [max(n_zero, 1e-9)], width=0.01, color="black", label=f"exactly 0: {n_zero}")
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.8)
        ax.legend(fontsize=8, loc="upper right")
        title = r.label
        ax.set_title(f"{title}: {zero_fraction(r.params):.0%} of weights exactly 0, "
                     f"accuracy {r.test_accuracy[-1][1]:.0%}", fontsize=10)
        ax.set_xlabel("weight value")
        said.append(f"{r.label}: {n_zero} of {w.size} weights exactly 0 ({zero_fraction(r.params):.0%}), "
                    f"{int(np.sum(np.abs(w[w != 0]) < 0.01))} more within 0.01 of 0, accuracy "
                    f"{r.test_accuracy[-1][1]:.0%}")
    axes[0].set_ylabel("count (log scale)")
    show_figure(fig, "Two histograms (log scale) of all weights after training, the bar at 0 counting exact zeros. "
                     + "; ".join(said) + ".", print_alt=True)


# ---------- a zero gradient under four optimizers
def _zero_grad_tally(run: TrainingRun) -> dict:
    """What the steps did to the weights whose gradient was exactly 0, counted over the run."""
    e = run.zero_grad
    changed = e.after != e.before
    zero_now = changed & (e.after == 0)
    toward = changed & ~zero_now & (np.abs(e.after) < np.abs(e.before))
    return {"events": len(e.step), "kept": int(np.sum(~changed)), "toward": int(np.sum(toward)),
            "away": int(np.sum(changed & ~zero_now & ~toward)), "zeroed": int(np.sum(zero_now)),
            "kept_after_history": int(np.sum(~changed & e.earlier_nonzero)),
            "moved_without_history": int(np.sum(changed & ~e.earlier_nonzero)),
            "with_history": int(np.sum(e.earlier_nonzero)), "changed": changed}


def zero_gradient_by_optimizer(*runs: TrainingRun) -> None:
    """For each run: at the steps where a weight's gradient was exactly 0, did the step keep it, move it
    toward 0, move it away from 0, or set it to exactly 0? With the facts that decide it, and one example."""
    tallies = [_zero_grad_tally(r) for r in runs]
    parts = [("kept", "kept its value exactly", "#bbbbbb", ""), ("toward", "moved toward 0", OKABE_ITO["blue"], "//"),
             ("away", "moved away from 0", OKABE_ITO["orange"], ".."), ("zeroed", "set to exactly 0", "black", "")]
    fig, ax = plt.subplots(figsize=(11, 0.7 * len(runs) + 1.2))
    left = np.zeros(len(runs))
    for key, label, colour, hatch in parts:
        share = np.array([t[key] / max(t["events"], 1) for t in tallies])
        ax.barh(range(len(runs)), share, left=left, color=colour, label=label, hatch=hatch, edgecolor="white")
        left += share
    ax.set_yticks(range(len(runs)), [r.label for r in runs])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the (step, weight) pairs whose gradient was exactly 0")
    ax.legend(ncol=4, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax.set_title("In a step where a weight's gradient is exactly 0, what does the step do to it?")
    plt.tight_layout()
    show_figure(fig, "Stacked bars, one per optimizer, of what a step did to the weights whose gradient was exactly 0 "
                     "(the table below gives the counts): " + "; ".join(
                         f"{r.label}: " + ", ".join(f"{label} {t[key] / max(t['events'], 1):.0%}"
                                                    for key, label, _, _ in parts) for r, t in zip(runs, tallies)) + ".")
    print(f"{'optimizer':20s} {'zero-gradient':>13s} {'kept':>7s} {'toward 0':>9s} {'away':>7s} {'set to 0':>9s}"
          f" {'with an earlier':>16s} {'kept although':>14s} {'moved without':>14s}")
    print(f"{'':20s} {'(step, weight)':>13s} {'':>7s} {'':>9s} {'':>7s} {'':>9s}"
          f" {'non-zero grad.':>16s} {'one':>14s} {'one':>14s}")
    for r, t in zip(runs, tallies):
        print(f"{r.label:20s} {t['events']:13,d} {t['kept']:7,d} {t['toward']:9,d} {t['away']:7,d} {t['zeroed']:9,d}"
              f" {t['with_history']:16,d} {t['kept_after_history']:14,d} {t['moved_without_history']:14,d}")
    for r, t in zip(runs, tallies):
        e = r.zero_grad
        settings = ", ".join(f"{k} {v:g}" for k, v in r.hyper.items())
        moved = np.flatnonzero(t["changed"])
        if r.optimizer == "weight_decay" and len(moved):
            ratio = e.after[moved] / e.before[moved]
            print(f"\n{r.label} ({settings}): every weight with gradient 0 was multiplied by "
                  f"{ratio.min():.12f} to {ratio.max():.12f}; 1 - lr*decay = {1 - r.hyper['lr'] * r.hyper['decay']:.12f}")
        pool = moved if len(moved) else np.arange(len(e.step))
        if not len(pool):
            continue
        pick = pool[np.argmax(e.earlier_nonzero[pool])]  # one that had a gradient before, where there is one
        if r.optimizer != "weight_decay":
            print(f"\n{r.label} ({settings}):")
        index = np.unravel_index(e.index[pick], r.params[str(e.name[pick])].shape)
        print(f"  e.g. step {e.step[pick]}: {e.name[pick]}{list(map(int, index))}, gradient exactly 0, "
              f"before {e.before[pick]:+.8f}, after {e.after[pick]:+.8f}"
              f" ({'had a non-zero gradient earlier' if e.earlier_nonzero[pick] else 'no non-zero gradient before'})")


# ---------- compute is not parameters
# VGG-16's last dense layer (fc8): 4096 features to 1000 classes, one multiply-add per weight
VGG_FC8 = ("VGG-16 fc8 (dense, 4096 -> 1000)", (4096,), (1000,))


def compute_table(conv_param_count: Callable, dense_param_count: Callable, conv_multiply_adds: Callable) -> None:
    """Parameters against multiply-adds and output values (activations) per image, for Part 1's conv layers and
    VGG-16's last dense layer."""
    print(f"{'layer':34s} {'parameters':>12s} {'multiply-adds per image':>24s} {'per parameter':>14s} "
          f"{'output values per image':>24s}")
    for name, f, c_prev, c, _, outs in LAYERS:
        params = try_student(conv_param_count, f, c_prev, c)
        madds = try_student(conv_multiply_adds, f, c_prev, outs) if params is not None else None
        if params is None or madds is None:
            return
        print(f"{name:34s} {int(params):>12,d} {int(madds):>24,d} {int(madds) / int(params):>14,.0f} "
              f"{int(np.prod(outs)):>24,d}")
    conv_params, conv_madds = int(params), int(madds)  # the last row: VGG-16 conv1_1, which Q2 compares with fc8
    name, ins, outs = VGG_FC8
    params = try_student(dense_param_count, ins, outs)
    if params is None:
        return
    madds = int(np.prod(ins)) * int(np.prod(outs))  # one multiply-add per weight, whatever the input size
    print(f"{name:34s} {int(params):>12,d} {madds:>24,d} {madds / int(params):>14,.2f} {int(np.prod(outs)):>24,d}")
    print(f"\nVGG-16 conv1_1 against fc8: {conv_params / int(params):.2%} of its parameters ({conv_params:,} against "
          f"{int(params):,}), {conv_madds / madds:.1f} times its multiply-adds per image ({conv_madds:,} against "
          f"{madds:,}).")
