"""What a conv layer costs besides its parameters (notebook 4): its time measured against the two counts that
could predict it, for notebook 1's loops and for a vectorized layer, and what one training step of Part 3's
network holds in memory, parameters against activations."""
from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np

from ..timing import best_time
from ._common import OKABE_ITO, show_figure, try_student

# (label, n, n_C_prev, n_C): 3x3 filters, pad 1, stride 1, one n x n image. A to C change only the input
# channels (the multiply-adds 16 and 64 times, the loop's iterations not at all); C and D do the same
# multiply-adds, D with half the input channels and twice the filters, so twice the loop's iterations
TIMED_LAYERS = (("A", 16, 1, 8), ("B", 16, 16, 8), ("C", 16, 64, 8), ("D", 16, 32, 16))
COUNTS = {"multiply-adds": "multiply_adds", "(position, filter) pairs": "pairs"}
ROUNDS = 3  # each layer is timed once per round, the rounds one after the other


@dataclass(frozen=True)
class TimedLayer:
    """One conv layer's two counts and its measured time in each implementation."""
    label: str
    n: int
    n_C_prev: int
    n_C: int
    multiply_adds: int       # the student's conv_multiply_adds: f·f·n_C_prev for each output value
    pairs: int               # n_H·n_W·n_C: the iterations of conv_forward's innermost loop (one image)
    seconds: dict            # implementation name -> best time in seconds

    @property
    def shape(self) -> str:
        return f"{self.n}x{self.n}x{self.n_C_prev} -> {self.n}x{self.n}x{self.n_C}"


def time_layers(conv_multiply_adds: Callable, implementations: dict[str, Callable],
                layers: tuple = TIMED_LAYERS, repeats: int = 3) -> Optional[list[TimedLayer]]:
    """Time each layer in each implementation (best_time), called as impl(A_prev, W, b) -> Z."""
    rng = np.random.default_rng(0)
    _, n, c_prev, c = layers[0]
    for impl in implementations.values():  # a first call pays for what later calls reuse: not timed
        impl(np.zeros((1, n, n, c_prev)), np.zeros((3, 3, c_prev, c)), np.zeros((1, 1, 1, c)))
    counted, inputs = [], []
    for label, n, c_prev, c in layers:
        madds = try_student(conv_multiply_adds, 3, c_prev, (n, n, c))
        if madds is None:
            return None
        counted.append(int(madds))
        inputs.append((rng.standard_normal((1, n, n, c_prev)), rng.standard_normal((3, 3, c_prev, c)),
                       np.zeros((1, 1, 1, c))))
    best = [{name: float("inf") for name in implementations} for _ in layers]
    for _ in range(ROUNDS):  # the layers in turn, each round a third of the time: a busy moment of the machine
        for seconds, args in zip(best, inputs):  # slows one round of every layer, not all the runs of one layer
            for name, impl in implementations.items():
                seconds[name] = min(seconds[name], best_time(impl, args, repeats, budget=0.05 / ROUNDS))
    return [TimedLayer(label, n, c_prev, c, madds, n * n * c, seconds)
            for (label, n, c_prev, c), madds, seconds in zip(layers, counted, best)]


def spreads(rows: list[TimedLayer], implementation: str) -> dict[str, float]:
    """For each count, how far the time per counted unit varies across the layers (largest / smallest):
    1 when the time is exactly proportional to the count. The count with the smaller spread predicts."""
    out = {}
    for name, attr in COUNTS.items():
        per_unit = [r.seconds[implementation] / getattr(r, attr) for r in rows]
        out[name] = max(per_unit) / min(per_unit)
    return out


def time_against_counts(conv_multiply_adds: Callable, conv_forward: Callable, conv_vectorized: Callable,
                        repeats: int = 3) -> Optional[list[TimedLayer]]:
    """Four conv layers timed with notebook 1's loops and vectorized, against multiply-adds and against the
    loop's (position, filter) iterations: a table, which count predicts each implementation, and a figure."""
    implementations = {"loops": lambda x, W, b: conv_forward(x, W, b, {"stride": 1, "pad": 1}),
                       "vectorized": lambda x, W, b: conv_vectorized(x, W, b, 1)}
    rows = time_layers(conv_multiply_adds, implementations, repeats=repeats)
    if rows is None:
        return None
    print(f"{'layer':5s} {'input -> output':18s} {'multiply-adds':>14s} {'(position, filter)':>19s} "
          f"{'loops ms':>9s} {'vectorized ms':>14s}")
    for r in rows:
        print(f"{r.label:5s} {r.shape:18s} {r.multiply_adds:>14,d} {r.pairs:>19,d} {r.seconds['loops'] * 1e3:>9.2f} "
              f"{r.seconds['vectorized'] * 1e3:>14.3f}")
    base = rows[0]
    print(f"\nRelative to layer {base.label}:")
    print(f"{'layer':5s} {'multiply-adds':>14s} {'(position, filter)':>19s} {'loops':>7s} {'vectorized':>11s}")
    for r in rows:
        print(f"{r.label:5s} {r.multiply_adds / base.multiply_adds:>13.2f}x {r.pairs / base.pairs:>18.2f}x "
              f"{r.seconds['loops'] / base.seconds['loops']:>6.2f}x "
              f"{r.seconds['vectorized'] / base.seconds['vectorized']:>10.2f}x")
    print()
    verdicts = []
    for impl in implementations:
        s = spreads(rows, impl)
        best = min(s, key=s.get)
        verdicts.append(f"{impl}: {best}")
        print(f"{impl:10s}: time per multiply-add varies {s['multiply-adds']:.1f}-fold across the layers, time per "
              f"(position, filter) pair {s['(position, filter) pairs']:.1f}-fold: the {best} predict its time.")
    _figure(rows, verdicts)
    return rows


def _figure(rows: list[TimedLayer], verdicts: list[str]) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    styles = {"loops": (OKABE_ITO["vermillion"], "s", "-"), "vectorized": (OKABE_ITO["blue"], "o", "--")}
    for ax, (count, attr) in zip(axes, COUNTS.items()):
        for impl, (colour, marker, ls) in styles.items():
            xs = [getattr(r, attr) for r in rows]
            ys = [r.seconds[impl] * 1e3 for r in rows]
            ax.scatter(xs, ys, color=colour, marker=marker, label=impl, zorder=3)
            # each point names its layer (colour is not the only cue); points that share a count share one label,
            # their layers listed from the highest time down (the loop's A, B, C share their pairs)
            for x in sorted(set(xs)):
                here = sorted((y, r.label) for r, xx, y in zip(rows, xs, ys) if xx == x)
                ax.annotate(", ".join(label for _, label in reversed(here)) + f" ({impl[0]})", (x, here[-1][0]),
                            textcoords="offset points", xytext=(6, 3), fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{count} (log scale)")
        ax.grid(True, which="major", color="#dddddd")
    axes[0].set_ylabel("time in ms (log scale)")
    axes[0].legend(title="l = loops, v = vectorized", fontsize=8)
    axes[0].set_title("time against multiply-adds")
    axes[1].set_title("time against the loop's (position, filter) pairs")
    fig.suptitle("One conv layer, 3x3 filters, four shapes: which count does each implementation's time follow?")
    plt.tight_layout()
    show_figure(fig, "Two log-log scatter plots of the time of four conv layers, loops (squares, l) and vectorized "
                     "(circles, v), against their multiply-adds (left) and against their (position, filter) pairs "
                     "(right): " + "; ".join(f"layer {r.label} ({r.shape}): {r.multiply_adds:,} multiply-adds, "
                                            f"{r.pairs:,} pairs, loops {r.seconds['loops'] * 1e3:.2f} ms, vectorized "
                                            f"{r.seconds['vectorized'] * 1e3:.3f} ms" for r in rows)
                     + ". The count that predicts each: " + ", ".join(verdicts) + ".")


# ---------- memory in training: parameters against activations
@dataclass(frozen=True)
class StepMemory:
    """Bytes one training step of a network holds, for one batch size."""
    batch: int
    parameters: int          # the weights and biases
    gradients: int           # one gradient per parameter
    activations: int         # what the forward pass keeps for the backward pass (distinct buffers)
    peak: int                # the most memory NumPy held at once during forward and backward (tracemalloc)
    kept: dict               # name -> bytes of each buffer kept, under its first name (views share it)


def _owner(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _distinct_bytes(arrays) -> int:
    """Bytes of the memory the arrays use, each buffer counted once (a reshape or view shares its base's)."""
    return sum({id(_owner(a)): _owner(a).nbytes for a in arrays}.values())


def measure_step_memory(forward: Callable, backward: Callable, params: dict, X: np.ndarray, y: np.ndarray,
                        batch: int) -> StepMemory:
    """One forward and backward pass on `batch` images: the bytes of the parameters, the gradients, the
    activations kept between the two passes, and the peak NumPy allocated (traced from the step's start)."""
    tracemalloc.start()
    try:
        _, cache = forward(params, X[:batch])
        grads, _ = backward(params, cache, y[:batch])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    kept = {k: v for k, v in cache.items() if isinstance(v, np.ndarray)}
    owners: dict = {}  # the first name of each buffer: a view (flat is P reshaped) is not counted twice
    for k, v in kept.items():
        if all(_owner(v) is not _owner(kept[o]) for o in owners):
            owners[k] = _owner(v).nbytes
    return StepMemory(batch, _distinct_bytes(params.values()), _distinct_bytes(grads.values()),
                      _distinct_bytes(kept.values()), peak, owners)


def training_memory(forward: Callable, backward: Callable, params: dict, X: np.ndarray, y: np.ndarray,
                    batches: tuple[int, ...] = (1, 64, 256)) -> list[StepMemory]:
    """Parameters against activations in one training step of Part 3's network, at a few batch sizes."""
    rows = [measure_step_memory(forward, backward, params, X, y, b) for b in batches]
    print("Bytes (float64) of one training step: forward and backward on a batch of images\n")
    print(f"{'batch':>6s} {'parameters':>12s} {'gradients':>12s} {'activations kept':>17s} {'peak of the step':>17s} "
          f"{'activations / parameters':>25s}")
    for r in rows:
        print(f"{r.batch:6d} {r.parameters:>12,d} {r.gradients:>12,d} {r.activations:>17,d} {r.peak:>17,d} "
              f"{r.activations / r.parameters:>24.1f}x")
    middle = rows[len(rows) // 2]
    print(f"\nkept for the backward pass at a batch of {middle.batch}: "
          + ", ".join(f"{k} {v:,}" for k, v in middle.kept.items()))
    return rows
