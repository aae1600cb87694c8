"""Three ways later CNNs spend fewer parameters, counted and measured in notebook 4 with the student's own
count functions and layers: stacked 3x3 filters against one larger filter (VGG), grouped and
depthwise-separable convolutions (ResNeXt, MobileNet), and global average pooling in place of a dense head."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np

from ._common import OKABE_ITO, label_cells, show_figure, try_student


# ---------- stacked 3x3 filters against one larger filter
def impulse_response(conv_forward: Callable, filter_sizes: tuple[int, ...], n: int = 9) -> np.ndarray:
    """The output of a stack of one-channel conv layers (filters of ones, no bias, 'same' padding, stride 1)
    on an n x n image that is 0 but for a 1 at its centre: output (h, w) holds the number of paths from that
    pixel to output (h, w), so its non-zero entries are the outputs whose receptive field holds the pixel
    (n = 9 leaves a blank border around a 7x7 field: no path is cut off by the edge)."""
    a = np.zeros((1, n, n, 1))
    a[0, n // 2, n // 2, 0] = 1.0
    for f in filter_sizes:
        a, _ = conv_forward(a, np.ones((f, f, 1, 1)), np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": (f - 1) // 2})
    return np.asarray(a)[0, :, :, 0]


def _extent(response: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(response)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


@dataclass(frozen=True)
class FilterStack:
    """One stack of conv layers (C channels in and out), counted and measured."""
    label: str
    sizes: tuple             # the filter size of each layer
    field: tuple             # (rows, columns) of outputs the centre pixel reaches: the receptive field, measured
    response: np.ndarray     # the impulse response: paths from the centre pixel to each output
    weights: int             # sum of f·f·C·C
    params: int              # the student's conv_param_count, summed over the layers
    madds: int               # the student's conv_multiply_adds, summed over the layers
    relus: int               # one non-linearity after each layer


def stacked_filters(conv_param_count: Callable, conv_multiply_adds: Callable, conv_forward: Callable,
                    channels: int = 64, size: int = 56) -> Optional[dict[str, FilterStack]]:
    """Two and three stacked 3x3 conv layers against one 5x5 and one 7x7 layer: the receptive field measured
    with conv_forward on an impulse, then parameters and multiply-adds for `channels` channels in and out on a
    size x size map ('same' padding), and the non-linearities each stack has room for. Table and figure."""
    C, out = channels, (size, size, channels)
    rows = []
    for label, sizes in (("two 3x3", (3, 3)), ("one 5x5", (5,)), ("three 3x3", (3, 3, 3)), ("one 7x7", (7,))):
        params = [try_student(conv_param_count, f, C, C) for f in sizes]
        madds = [try_student(conv_multiply_adds, f, C, out) for f in sizes]
        if None in params or None in madds:
            return None
        response = impulse_response(conv_forward, sizes)
        rows.append(FilterStack(label, sizes, _extent(response), response, sum(f * f * C * C for f in sizes),
                                sum(int(p) for p in params), sum(int(m) for m in madds), len(sizes)))
    print(f"{'layers':10s} {'receptive field':>16s} {'weights':>10s} {'= x C²':>7s} {'parameters':>11s} "
          f"{'multiply-adds':>15s} {'ReLUs':>6s}     (C = {C} channels in and out, {size}x{size} map)")
    for r in rows:
        print(f"{r.label:10s} {'%d x %d' % r.field:>16s} {r.weights:>10,d} {r.weights // (C * C):>7d} "
              f"{r.params:>11,d} {r.madds:>15,d} {r.relus:>6d}")
    for small, large in ((rows[0], rows[1]), (rows[2], rows[3])):
        print(f"{small.label} against {large.label}: the same {'%d x %d' % small.field} receptive field "
              f"(measured), {small.params / large.params:.0%} of the parameters and "
              f"{small.madds / large.madds:.0%} of the multiply-adds, {small.relus} non-linearities instead of 1")
    _stacked_figure(rows[2], rows[3])
    return {r.label: r for r in rows}


def _stacked_figure(stack: FilterStack, single: FilterStack) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    said = []
    for ax, r in zip(axes, (stack, single)):
        resp = r.response
        image = ax.imshow(resp, cmap="cividis", vmin=0)
        label_cells(ax, image, resp.astype(int), fmt=lambda v: str(int(v)), skip=lambda v: v == 0, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        h, w = r.field
        ax.set_title(f"{r.label}: the outputs one input pixel reaches\n{h} x {w}, {r.params:,} parameters, "
                     f"{r.relus} ReLU{'s' if r.relus > 1 else ''}", fontsize=10)
        centre = resp[resp.shape[0] // 2, resp.shape[1] // 2]
        said.append(f"{r.label}: the input pixel reaches {h} x {w} outputs, through {int(centre)} path"
                    f"{'s' if centre != 1 else ''} to the centre output and {int(resp[np.nonzero(resp)].min())} to "
                    f"each corner; {r.params:,} parameters, {r.madds:,} multiply-adds, {r.relus} "
                    f"non-linearit{'ies' if r.relus > 1 else 'y'}")
    fig.suptitle("Filters of ones, one channel: each number is how many paths lead from the centre pixel to "
                 "that output (blank: none)", fontsize=10)
    plt.tight_layout()
    show_figure(fig, "Two grids of numbers measured with conv_forward on an image with a single 1 at its centre: "
                     + "; ".join(said) + ".")


# ---------- grouped and depthwise-separable convolutions
@dataclass(frozen=True)
class LayerCost:
    """What one layer (or a pair) stores and computes for one image."""
    parameters: int
    multiply_adds: int

    def __add__(self, other: "LayerCost") -> "LayerCost":
        return LayerCost(self.parameters + other.parameters, self.multiply_adds + other.multiply_adds)


def grouped_and_separable(conv_param_count: Callable, conv_multiply_adds: Callable, channels: int = 512,
                          size: int = 14, f: int = 3, groups: int = 32) -> Optional[dict[str, LayerCost]]:
    """One MobileNet-sized layer (size x size x channels to the same, f x f) four ways, counted with the student's
    functions: standard, grouped, depthwise alone, and depthwise-separable (depthwise, then a 1x1 pointwise
    layer that mixes the channels). A grouped layer's output value reads an f x f x (channels / groups)
    window, so conv_multiply_adds counts it with n_C_prev = channels / groups. Table and figure."""
    C, out = channels, (size, size, channels)
    parts = {"standard": (f, C, 1), f"grouped ({groups} groups)": (f, C, groups), "depthwise": (f, C, C),
             "pointwise 1x1": (1, C, 1)}
    counted = {}
    for name, (k, c_in, g) in parts.items():
        params = try_student(conv_param_count, k, c_in, C, g)
        madds = try_student(conv_multiply_adds, k, c_in // g, out)
        if params is None or madds is None:
            return None
        counted[name] = LayerCost(int(params), int(madds))
    counted["depthwise-separable"] = counted["depthwise"] + counted["pointwise 1x1"]
    base, pair = counted["standard"], counted["depthwise-separable"]
    print(f"One layer, {size}x{size}x{C} -> {size}x{size}x{C}, {f}x{f} filters:\n")
    print(f"{'layer':28s} {'parameters':>12s} {'multiply-adds per image':>24s} {'of standard':>12s}")
    for name, cost in counted.items():
        shown = "depthwise-separable (sum)" if cost is pair else name
        print(f"{shown:28s} {cost.parameters:>12,d} {cost.multiply_adds:>24,d} {cost.parameters / base.parameters:>11.1%}"
              f" / {cost.multiply_adds / base.multiply_adds:.1%}")
    print(f"\nDepthwise-separable: {base.parameters / pair.parameters:.1f} times fewer parameters and "
          f"{base.multiply_adds / pair.multiply_adds:.1f} times fewer multiply-adds than the standard layer. Its depthwise "
          f"half filters each channel alone; the 1x1 half mixes the channels and holds "
          f"{counted['pointwise 1x1'].parameters / pair.parameters:.0%} of its parameters.")
    _grouped_figure({name: counted[name] for name in ("standard", f"grouped ({groups} groups)", "depthwise-separable")})
    return counted


def _grouped_figure(rows: dict[str, LayerCost]) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 2.8), sharey=True)
    names = list(rows)
    hatches = ("", "//", "..")
    colours = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish green"])
    for ax, attr, what in ((axes[0], "parameters", "parameters"), (axes[1], "multiply_adds", "multiply-adds per image")):
        values = [getattr(rows[n], attr) for n in names]
        left = 10 ** np.floor(np.log10(min(values)) - 1)  # bars of a log axis start at its left edge
        ax.barh(range(len(names)), np.array(values) - left, left=left, color=colours, hatch=hatches,
                edgecolor="black", lw=0.5)
        for y, v in enumerate(values):  # each bar says its number: colour is not the only cue
            ax.text(v * 1.1, y, f"{v:,}", va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlim(left, max(values) * 20)
        ax.set_xlabel(f"{what} (log scale)")
    axes[0].set_yticks(range(len(names)), names)
    axes[0].invert_yaxis()
    fig.suptitle("The same layer shape, three ways to convolve", fontsize=10)
    plt.tight_layout()
    show_figure(fig, "Two bar charts, log scale, parameters (left) and multiply-adds per image (right): "
                     + "; ".join(f"{n}: {rows[n].parameters:,} parameters, {rows[n].multiply_adds:,} multiply-adds"
                                 for n in names) + ".")


# ---------- global average pooling in place of a dense head
@dataclass(frozen=True)
class Heads:
    """Part 3's network on n x n images: its conv layer's parameters and those of each head."""
    n: int
    conv: int
    dense_head: int          # a dense layer from the flattened pooled maps
    pooling_head: int        # global average pooling, then a dense layer from one value per filter


def average_pooling_head(conv_param_count: Callable, dense_param_count: Callable, pooled: np.ndarray,
                         n_filters: int = 8, n_classes: int = 4,
                         sizes: tuple[int, ...] = (16, 32, 64)) -> Optional[tuple[list[Heads], np.ndarray]]:
    """Part 3's network (conv 3x3, n_filters, 'same' padding, ReLU, 2x2 max pool, dense to n_classes) with its
    dense head on the flattened pooled maps, and with global average pooling first (one mean per channel, then
    a dense layer from n_filters values): parameters for each input size, counted with the student's functions,
    and the features each head reads from `pooled`, the trained network's pooled maps of a few images.
    Returns the counts and the averaged features."""
    conv = try_student(conv_param_count, 3, 1, n_filters)
    if conv is None:
        return None
    rows = []
    for n in sizes:
        flat_head = try_student(dense_param_count, (n // 2, n // 2, n_filters), (n_classes,))
        gap_head = try_student(dense_param_count, (n_filters,), (n_classes,))
        if flat_head is None or gap_head is None:
            return None
        rows.append(Heads(n, int(conv), int(flat_head), int(gap_head)))
    averaged = pooled.mean(axis=(1, 2))
    print(f"The trained network's pooled maps of {len(pooled)} images: {pooled.shape[1:]} each. Flattened, the dense head "
          f"reads {int(np.prod(pooled.shape[1:]))} values per image; averaged over the positions, "
          f"{averaged.shape[1]} (one per filter), e.g. {np.array2string(averaged[0], precision=3)} for the first.\n")
    print(f"{'input':>8s} {'conv':>6s} {'dense head (flatten)':>21s} {'total':>8s} {'average-pooling head':>21s} "
          f"{'total':>7s}")
    for r in rows:
        print(f"{r.n:>4d}x{r.n:<3d} {r.conv:>6,d} {r.dense_head:>21,d} {r.conv + r.dense_head:>8,d} "
              f"{r.pooling_head:>21,d} {r.conv + r.pooling_head:>7,d}")
    first = rows[0]
    dense, gap = first.conv + first.dense_head, first.conv + first.pooling_head
    print(f"\nOn this notebook's {first.n}x{first.n} images the network has {dense:,} parameters with its dense head and "
          f"{gap:,} with global average pooling, {dense / gap:.0f} times fewer; the average-pooling head does not grow "
          f"with the input. Whether it learns these shapes as well is not measured here: an average keeps how "
          f"strongly each filter responded and drops where.")
    _gap_figure(rows)
    return rows, averaged


def _gap_figure(rows: list[Heads]) -> None:
    fig, ax = plt.subplots(figsize=(10, 3))
    x = np.arange(len(rows))
    for k, (attr, label, colour, hatch) in enumerate(
            (("dense_head", "dense head on the flattened maps", OKABE_ITO["orange"], "//"),
             ("pooling_head", "global average pooling + dense", OKABE_ITO["blue"], ""))):
        values = [r.conv + getattr(r, attr) for r in rows]
        ax.bar(x + (k - 0.5) * 0.38, values, 0.38, color=colour, hatch=hatch, edgecolor="black", lw=0.5, label=label)
        for xi, v in zip(x, values):  # each bar says its number: colour is not the only cue
            ax.text(xi + (k - 0.5) * 0.38, v * 1.15, f"{v:,}", ha="center", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(top=max(r.conv + r.dense_head for r in rows) * 10)
    ax.set_xticks(x, [f"{r.n}x{r.n} input" for r in rows])
    ax.set_ylabel("parameters, whole network (log)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Part 3's network, two heads", fontsize=10)
    show_figure(fig, "Bar chart, log scale, the parameters of Part 3's network with a dense head on the flattened "
                     "pooled maps and with global average pooling before a small dense layer: "
                     + "; ".join(f"{r.n}x{r.n} input: {r.conv + r.dense_head:,} and {r.conv + r.pooling_head:,}"
                                 for r in rows) + ".")
