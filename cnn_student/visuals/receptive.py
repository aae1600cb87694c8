"""02_pool_forward: the receptive field of a stack of conv and pool layers, by the formula
r_out = r_in + (f - 1) * jump, jump_out = jump * stride, drawn, and measured with impulses through
the student's pool_forward."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import show_figure, try_student


@dataclass(frozen=True)
class Layer:
    """One layer of the stack: its kind ("conv" or "pool"), window size f and stride (no padding)."""
    kind: str
    f: int
    stride: int


STACK = (Layer("conv", 3, 1), Layer("pool", 2, 2), Layer("conv", 3, 1), Layer("pool", 2, 2))


def receptive_fields(stack: tuple[Layer, ...] = STACK) -> list[tuple[int, int]]:
    """(r, jump) after each layer, from r = 1, jump = 1 at the input: r is how many input pixels (per
    side) one unit sees, jump how many input pixels lie between two neighbouring units."""
    r, jump, rows = 1, 1, []
    for layer in stack:
        r = r + (layer.f - 1) * jump
        jump = jump * layer.stride
        rows.append((r, jump))
    return rows


def print_table(stack: tuple[Layer, ...] = STACK) -> None:
    print(f"{'layer':14s}{'f':>3s}{'stride':>8s}{'r = r_in + (f-1)·jump_in':>27s}{'jump':>6s}")
    r_in, jump_in = 1, 1
    print(f"{'input':14s}{'':>3s}{'':>8s}{r_in:>27d}{jump_in:>6d}")
    for k, (layer, (r, jump)) in enumerate(zip(stack, receptive_fields(stack)), 1):
        sum_text = f"{r_in} + {layer.f - 1}·{jump_in} = {r}"
        print(f"{f'{k}: {layer.kind}':14s}{layer.f:>3d}{layer.stride:>8d}{sum_text:>27s}{jump:>6d}")
        r_in, jump_in = r, jump


def _spans(stack: tuple[Layer, ...], n: int) -> list[tuple[int, int]]:
    """Along one axis: which units of each level (input first) feed unit 0 of the last layer, as
    (first, last) indices, walking back from the top: unit u of a layer reads u*stride .. u*stride+f-1."""
    first, last = 0, 0
    spans = [(first, last)]
    for layer in reversed(stack):
        first, last = first * layer.stride, last * layer.stride + layer.f - 1
        spans.append((first, last))
    return spans[::-1]


def show_pyramid(stack: tuple[Layer, ...] = STACK) -> None:
    """One axis of every level, input at the bottom; filled: the units that feed the top unit."""
    r = receptive_fields(stack)[-1][0]
    n = r + 4
    sizes = [n]
    for layer in stack:
        sizes.append((sizes[-1] - layer.f) // layer.stride + 1)
    spans = _spans(stack, n)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for level, (size, (first, last)) in enumerate(zip(sizes, spans)):
        jump = 1 if level == 0 else receptive_fields(stack)[level - 1][1]
        offset = 0 if level == 0 else (receptive_fields(stack)[level - 1][0] - 1) / 2
        for u in range(size):
            x = offset + u * jump        # centre of unit u's receptive field, in input pixels
            inside = first <= u <= last  # filled and hatched: told apart by pattern as well as colour
            ax.add_patch(Rectangle((x, level), 0.9, 0.7, facecolor="#E69F00" if inside else "#eeeeee",
                                   edgecolor="black" if inside else "grey", hatch="///" if inside else None))
        label = "input" if level == 0 else f"{level}: {stack[level - 1].kind} f={stack[level - 1].f}, s={stack[level - 1].stride}"
        ax.text(-0.5, level + 0.35, label, ha="right", va="center", fontsize=9)
    ax.set_xlim(-7, n + 1)
    ax.set_ylim(-0.3, len(stack) + 1)
    ax.axis("off")
    ax.set_title(f"one unit at the top sees {spans[0][1] - spans[0][0] + 1} input pixels per side "
                 f"(the formula: r = {r}); units drawn at the centre of what they see", fontsize=10)
    show_figure(fig, "Rows of units, the input at the bottom, then " + ", ".join(
        f"{layer.kind} f={layer.f} stride {layer.stride}" for layer in stack) + ". The units that feed the top unit are "
                     "filled and hatched: " + "; ".join(
        f"{'input' if level == 0 else f'layer {level}'}: units {first} to {last} of {size}"
        for level, (size, (first, last)) in enumerate(zip(sizes, spans)))
                     + f". One unit at the top sees {spans[0][1] - spans[0][0] + 1} input pixels per side; the formula "
                     f"gives r = {r}.")


def measure_with_impulses(pool_forward: Callable, stack: tuple[Layer, ...] = STACK) -> None:
    """Run the stack on one image per input pixel (that pixel 1, the rest 0) and mark which pixels change
    the top-left output unit. An average pool with stride 1 stands in for each conv layer: it IS a conv
    with every weight 1/f² and bias 0, and with no zero weight its receptive field is a conv's."""
    r = receptive_fields(stack)[-1][0]
    n = r + 2
    impulses = np.eye(n * n).reshape(n * n, n, n, 1)     # example i: pixel i is 1
    x = impulses
    for layer in stack:
        mode = "average" if layer.kind == "conv" else "max"
        out = try_student(pool_forward, x, {"f": layer.f, "stride": layer.stride}, mode)
        if out is None:
            return
        x = np.asarray(out[0])
    seen = (x[:, 0, 0, 0] != 0).reshape(n, n)           # does pixel i reach output unit (0, 0)?
    rows, cols = np.nonzero(seen)
    fig, ax = plt.subplots(figsize=(4.4, 4.4))
    ax.imshow(seen, cmap="Oranges", vmin=0, vmax=1.4)
    for rr, cc in zip(rows, cols):  # reached pixels carry a mark, not only a colour
        ax.text(cc, rr, "•", ha="center", va="center", color="black", fontsize=9)
    ax.add_patch(Rectangle((-0.5, -0.5), r, r, fill=False, edgecolor="black", lw=2, ls="--"))
    ax.set_title(f"{n}x{n} input: pixels that reach output (0, 0)\ndashed: r x r = {r} x {r} from the formula",
                 fontsize=9)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    show_figure(fig, f"A {n}x{n} grid of input pixels; the {seen.sum()} pixels that reach output (0, 0) are filled and "
                     f"dotted: rows {rows.min()} to {rows.max()}, columns {cols.min()} to {cols.max()}. A dashed "
                     f"square marks the {r} x {r} the formula gives.")
    print(f"measured: the pixels that reach output unit (0, 0) fill rows {rows.min()}..{rows.max()} and "
          f"columns {cols.min()}..{cols.max()}: {rows.max() - rows.min() + 1} x {cols.max() - cols.min() + 1} "
          f"({seen.sum()} pixels); formula: {r} x {r}")
