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
    """One layer of the stack: its kind ("conv" or "pool"), window size f and stride (no padding), and
    for a conv its dilation d: its f taps lie d units apart, so its window spans f_eff = d·(f − 1) + 1."""
    kind: str
    f: int
    stride: int
    dilation: int = 1

    @property
    def f_eff(self) -> int:
        return self.dilation * (self.f - 1) + 1

    def taps(self) -> range:
        """Offsets, within its window, of the units one output reads."""
        return range(0, self.f_eff, self.dilation)


STACK = (Layer("conv", 3, 1), Layer("pool", 2, 2), Layer("conv", 3, 1), Layer("pool", 2, 2))


def receptive_fields(stack: tuple[Layer, ...] = STACK) -> list[tuple[int, int]]:
    """(r, jump) after each layer, from r = 1, jump = 1 at the input: r is how many input pixels (per
    side) one unit sees, jump how many input pixels lie between two neighbouring units."""
    r, jump, rows = 1, 1, []
    for layer in stack:
        r = r + (layer.f_eff - 1) * jump
        jump = jump * layer.stride
        rows.append((r, jump))
    return rows


def print_table(stack: tuple[Layer, ...] = STACK) -> None:
    dilated = any(layer.dilation != 1 for layer in stack)
    if not dilated:
        print(f"{'layer':14s}{'f':>3s}{'stride':>8s}{'r = r_in + (f-1)·jump_in':>27s}{'jump':>6s}")
        print(f"{'input':14s}{'':>3s}{'':>8s}{1:>27d}{1:>6d}")
    else:
        print(f"{'layer':14s}{'f':>3s}{'d':>3s}{'f_eff = d·(f-1)+1':>19s}{'stride':>8s}"
              f"{'r = r_in + (f_eff-1)·jump_in':>31s}{'jump':>6s}")
        print(f"{'input':14s}{'':>33s}{1:>31d}{1:>6d}")
    r_in, jump_in = 1, 1
    for k, (layer, (r, jump)) in enumerate(zip(stack, receptive_fields(stack)), 1):
        sum_text = f"{r_in} + {layer.f_eff - 1}·{jump_in} = {r}"
        if not dilated:
            print(f"{f'{k}: {layer.kind}':14s}{layer.f:>3d}{layer.stride:>8d}{sum_text:>27s}{jump:>6d}")
        else:
            eff = f"{layer.dilation}·{layer.f - 1}+1 = {layer.f_eff}"
            print(f"{f'{k}: {layer.kind}':14s}{layer.f:>3d}{layer.dilation:>3d}{eff:>19s}{layer.stride:>8d}"
                  f"{sum_text:>31s}{jump:>6d}")
        r_in, jump_in = r, jump


def _feeding(stack: tuple[Layer, ...]) -> list[set[int]]:
    """Along one axis: which units of each level (input first) feed unit 0 of the last layer, walking back
    from the top: unit u of a layer reads u*stride + t for each tap offset t (0 .. f-1, times d if dilated)."""
    units = {0}
    levels = [units]
    for layer in reversed(stack):
        units = {u * layer.stride + t for u in units for t in layer.taps()}
        levels.append(units)
    return levels[::-1]


def show_pyramid(stack: tuple[Layer, ...] = STACK) -> None:
    """One axis of every level, input at the bottom; filled: the units that feed the top unit."""
    r = receptive_fields(stack)[-1][0]
    n = r + 4
    sizes = [n]
    for layer in stack:
        sizes.append((sizes[-1] - layer.f_eff) // layer.stride + 1)
    feeding = _feeding(stack)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for level, (size, fed) in enumerate(zip(sizes, feeding)):
        jump = 1 if level == 0 else receptive_fields(stack)[level - 1][1]
        offset = 0 if level == 0 else (receptive_fields(stack)[level - 1][0] - 1) / 2
        for u in range(size):
            x = offset + u * jump        # centre of unit u's receptive field, in input pixels
            inside = u in fed  # filled and hatched: told apart by pattern as well as colour
            ax.add_patch(Rectangle((x, level), 0.9, 0.7, facecolor="#E69F00" if inside else "#eeeeee",
                                   edgecolor="black" if inside else "grey", hatch="///" if inside else None))
        below = stack[level - 1] if level else None
        label = "input" if below is None else (f"{level}: {below.kind} f={below.f}, s={below.stride}"
                                               + (f", d={below.dilation}" if below.dilation != 1 else ""))
        ax.text(-0.5, level + 0.35, label, ha="right", va="center", fontsize=9)
    ax.set_xlim(-7, n + 1)
    ax.set_ylim(-0.3, len(stack) + 1)
    ax.axis("off")
    ax.set_title(f"one unit at the top sees {max(feeding[0]) - min(feeding[0]) + 1} input pixels per side "
                 f"(the formula: r = {r}); units drawn at the centre of what they see", fontsize=10)
    dilated = any(layer.dilation != 1 for layer in stack)
    show_figure(fig, "Rows of units, the input at the bottom, then " + ", ".join(
        f"{layer.kind} f={layer.f}" + (f" dilation {layer.dilation}" if dilated else "") + f" stride {layer.stride}"
        for layer in stack) + ". The units that feed the top unit are filled and hatched: " + "; ".join(
        f"{'input' if level == 0 else f'layer {level}'}: {len(fed)} unit{'s' if len(fed) != 1 else ''} from "
        f"{min(fed)} to {max(fed)} of {size}" for level, (size, fed) in enumerate(zip(sizes, feeding)))
                     + f". One unit at the top sees {max(feeding[0]) - min(feeding[0]) + 1} input pixels per side; the "
                     f"formula gives r = {r}.")


def measure_with_impulses(pool_forward: Callable, stack: tuple[Layer, ...] = STACK) -> None:
    """Run the stack on one image per input pixel (that pixel 1, the rest 0) and mark which pixels change
    the top-left output unit. An average pool with stride 1 stands in for each conv layer: it IS a conv
    with every weight 1/f² and bias 0. Its weights are all positive, so no two paths from a pixel cancel:
    every pixel wired to the output changes it, and the impulses find the whole receptive field."""
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


def measure_dilated(stack: tuple[Layer, ...]) -> None:
    """Impulses through a stack of dilated convs (stride 1, every weight 1, bias 0: positive weights, so
    every connected pixel shows): which pixels reach output unit (0, 0), against the formula."""
    r = receptive_fields(stack)[-1][0]
    n = r + 2
    x = np.eye(n * n).reshape(n * n, n, n)                # example i: pixel i is 1
    for layer in stack:
        out = x.shape[1] - layer.f_eff + 1
        x = sum(x[:, p:p + out, q:q + out] for p in layer.taps() for q in layer.taps())
    seen = (x[:, 0, 0] != 0).reshape(n, n)
    rows, cols = np.nonzero(seen)
    weights = sum(layer.f * layer.f for layer in stack)
    holes = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) - int(seen.sum())
    print(f"measured with impulses: the pixels that reach output unit (0, 0) fill rows {rows.min()}..{rows.max()} and "
          f"columns {cols.min()}..{cols.max()}: {rows.max() - rows.min() + 1} x {cols.max() - cols.min() + 1} "
          f"({seen.sum()} pixels, {holes} holes); formula: {r} x {r}")
    plain = receptive_fields(tuple(Layer(layer.kind, layer.f, layer.stride) for layer in stack))[-1][0]
    print(f"the same {len(stack)} layers without dilation see {plain} x {plain}; the weights per pair of channels "
          f"are {weights} either way")
