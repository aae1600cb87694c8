"""05_vectorized: the window view drawn, an ungraded loop finder and the loops-versus-vectorized benchmark."""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..protocol import grading, grading_note
from ..timing import best_time
from ._common import OKABE_ITO, label_cells, matrix_text, show_figure, try_student


def show_windows(n_H: int = 5, n_W: int = 6, f: int = 3, stride: int = 2) -> None:
    """A small single-channel input and every window that sliding_window_view(...)[::stride, ::stride] holds."""
    X = np.arange(n_H * n_W).reshape(n_H, n_W)
    windows = sliding_window_view(X, (f, f))[::stride, ::stride]
    rows, cols = windows.shape[:2]
    fig = plt.figure(figsize=(4 + 1.6 * cols, 3 + 0.3 * rows))
    grid = fig.add_gridspec(rows, cols + 2, width_ratios=[2.2, 0.3] + [1] * cols)
    ax = fig.add_subplot(grid[:, 0])
    image = ax.imshow(X, cmap="Blues", vmin=-5)
    label_cells(ax, image, X, str, fontsize=8)
    ax.set_title(f"X: {X.shape}")
    ax.axis("off")
    for h in range(rows):
        for w in range(cols):
            a = fig.add_subplot(grid[h, w + 2])
            image = a.imshow(windows[h, w], cmap="Oranges", vmin=windows.min() - 5, vmax=windows.max())
            label_cells(a, image, windows[h, w], str, fontsize=7)
            a.set_title(f"[{h}, {w}]", fontsize=8)
            a.axis("off")
    fig.suptitle(f"sliding_window_view(X, ({f}, {f}))[::{stride}, ::{stride}] has shape {windows.shape}:\n"
                 f"window [h, w] starts at row h·{stride}, column w·{stride}; no number is copied", fontsize=10)
    fig.tight_layout()
    show_figure(fig, f"Left: X, {n_H} by {n_W}, holding 0 to {X.size - 1} row by row. Right: the {rows} by {cols} "
                     f"windows of sliding_window_view(X, ({f}, {f}))[::{stride}, ::{stride}], shape {windows.shape}. "
                     + " ".join(f"Window [{h}, {w}]: {matrix_text(windows[h, w])}." for h in range(rows)
                                for w in range(cols)))


def loop_note(fn: Callable) -> None:
    """Ungraded: list the Python loops in a function (loops over the f·f window offsets are fine)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        print(f"(cannot read the source of {getattr(fn, '__name__', fn)}: no loop check)")
        return
    loops = [node for node in ast.walk(tree)
             if isinstance(node, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp))]
    name = fn.__name__
    if not loops:
        print(f"{name}: no Python loop. ✔")
        return
    print(f"{name} has {len(loops)} Python loop(s) (ungraded: a correct function gets full marks anyway):")
    for node in sorted(loops, key=lambda n: n.lineno):
        print(f"  line {node.lineno}: {ast.get_source_segment(textwrap.dedent(inspect.getsource(fn)), node).splitlines()[0]}")
    print("A loop over the f·f offsets of the window is fine; a loop over examples, output rows or columns is "
          "what vectorizing removes.")


def _cases(kind: str, n: int, rng: np.random.Generator) -> tuple:
    if kind == "conv":
        return (rng.standard_normal((2, n, n, 3)), rng.standard_normal((3, 3, 3, 4)),
                rng.standard_normal((1, 1, 1, 4)), {"stride": 1, "pad": 1})
    return rng.standard_normal((2, n, n, 3)), {"f": 2, "stride": 2}, "max"


def benchmark(pairs: dict[str, tuple[Callable, Callable]], sizes: tuple[int, ...] = (8, 16, 24, 32, 48)) -> None:
    """Time each (loop, fast) pair on growing square inputs; plot on a log scale and print the speedups.

    pairs: {"conv": (conv_forward, conv_forward_fast), "pool": (pool_forward, pool_forward_fast)}.
    Measured once, on this machine: the ratio is what matters, not the seconds.
    """
    rng = np.random.default_rng(0)
    first = {kind: _cases(kind, sizes[0], rng) for kind in pairs}
    for kind, (loop, fast) in pairs.items():  # every function must be written before anything is timed
        for fn in (loop, fast):
            if try_student(fn, *first[kind]) is None:
                return
    if grading():  # a benchmark of the grading machine, shared by many kernels, says nothing of the code
        grading_note("the benchmark is not timed here (your functions ran once on its smallest input)")
        return
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.5 * len(pairs), 4), squeeze=False)
    said = []
    for ax, (kind, (loop, fast)) in zip(axes[0], pairs.items()):
        times: dict[str, list[float]] = {"loops": [], "vectorized": []}
        print(f"{kind}: {loop.__name__} (loops) vs {fast.__name__}")
        for n in sizes:
            args = _cases(kind, n, rng)
            same = np.allclose(loop(*args)[0], fast(*args)[0])
            times["loops"].append(best_time(loop, args))
            times["vectorized"].append(best_time(fast, args))
            print(f"  input 2x{n}x{n}x3: loops {times['loops'][-1] * 1e3:8.2f} ms, vectorized "
                  f"{times['vectorized'][-1] * 1e3:7.3f} ms, speedup {times['loops'][-1] / times['vectorized'][-1]:6.0f}x"
                  + ("" if same else "   ✘ the two versions disagree"))
        for (label, ts), (colour, style) in zip(times.items(), ((OKABE_ITO["vermillion"], "o-"),
                                                                 (OKABE_ITO["blue"], "s--"))):
            ax.plot(sizes, ts, style, label=label, color=colour)
        said.append(f"{kind}: loops from {times['loops'][0] * 1e3:.2f} to {times['loops'][-1] * 1e3:.2f} ms, vectorized "
                    f"from {times['vectorized'][0] * 1e3:.3f} to {times['vectorized'][-1] * 1e3:.3f} ms, speedup "
                    f"{times['loops'][-1] / times['vectorized'][-1]:.0f}x at {sizes[-1]}x{sizes[-1]}")
        ax.set_yscale("log")
        ax.set_xlabel("input height = width (2 examples, 3 channels)")
        ax.set_ylabel("seconds (log scale)")
        ax.set_title(f"{kind} forward: loops vs vectorized")
        ax.legend()
    show_figure(fig, "Line charts, log scale, of the time of the loop version (circles, solid) and the vectorized one "
                     f"(squares, dashed) on inputs of height and width {', '.join(map(str, sizes))}: "
                     + "; ".join(said) + ".")

