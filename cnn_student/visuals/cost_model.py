"""05_vectorized, what a layer costs: the memory that training keeps for the backward pass, the number
types (float64, float32, flush-to-zero), which layers are memory-bound (bytes moved against multiply-adds),
and the uneven overlap counts of a strided backward pass (the checkerboard of transposed convolutions).

Counts are exact and computed here from the layers' shapes; what depends on the machine (times, the
matrix-product rate, the copy bandwidth) is measured in the student's kernel, with the student's own
layers where the notebook has them."""
from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass
from typing import Callable, Optional

import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..protocol import grading, grading_note
from ._common import OKABE_ITO, label_cells, matrix_text, show_figure, try_student
from ..timing import best_time
from ..update_rules import FORMS, DecayEnd, decay_to_the_end

MB = 1e6  # bytes in the megabytes printed here (decimal, as memory sizes are quoted for GPUs)


@dataclass(frozen=True)
class Layer:
    """One layer of a network, as the cost model sees it. kind: "conv" (n_out filters of f x f, stride, pad),
    "relu", "pool" (f x f windows, stride) or "dense" (n_out units, on its input flattened)."""
    name: str
    kind: str
    n_out: int = 0
    f: int = 1
    stride: int = 1
    pad: int = 0

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one example's output, from one example's input shape (n_H, n_W, n_C) or (n,)."""
        if self.kind in ("conv", "pool"):
            n_H, n_W, n_C = shape
            size = lambda n: (n + 2 * self.pad - self.f) // self.stride + 1  # noqa: E731
            return size(n_H), size(n_W), self.n_out if self.kind == "conv" else n_C
        if self.kind == "dense":
            return (self.n_out,)
        return shape

    def parameters(self, shape: tuple[int, ...]) -> int:
        """Weights and biases."""
        if self.kind == "conv":
            return (self.f * self.f * shape[-1] + 1) * self.n_out
        if self.kind == "dense":
            return (int(np.prod(shape)) + 1) * self.n_out
        return 0

    def multiply_adds(self, shape: tuple[int, ...]) -> int:
        """Multiply-adds of one example's forward pass (biases not counted; ReLU and pooling do none)."""
        out = int(np.prod(self.output_shape(shape)))
        if self.kind == "conv":
            return out * self.f * self.f * shape[-1]
        if self.kind == "dense":
            return out * int(np.prod(shape))
        return 0


def shapes(layers: tuple[Layer, ...], input_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Each layer's input shape (one example), in order; the last entry is the network's output shape."""
    out = [input_shape]
    for layer in layers:
        out.append(layer.output_shape(out[-1]))
    return out


def _vgg16() -> tuple[Layer, ...]:
    """VGG-16 (Simonyan and Zisserman, 2015, configuration D): 13 conv layers of 3x3, pad 1, each followed by a
    ReLU, 5 max pools of 2x2, stride 2, and 3 dense layers (ReLU after the first two)."""
    layers: list[Layer] = []
    for block, (width, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), 1):
        for k in range(1, convs + 1):
            layers += [Layer(f"conv{block}_{k}", "conv", width, 3, 1, 1), Layer(f"relu{block}_{k}", "relu")]
        layers.append(Layer(f"pool{block}", "pool", f=2, stride=2))
    return tuple(layers + [Layer("fc6", "dense", 4096), Layer("relu6", "relu"), Layer("fc7", "dense", 4096),
                           Layer("relu7", "relu"), Layer("fc8", "dense", 1000)])


VGG16, VGG16_INPUT = _vgg16(), (224, 224, 3)
# a small network for 32x32 colour images, run here with the student's own conv and pool layers
SMALL = (Layer("conv1", "conv", 16, 3, 1, 1), Layer("relu1", "relu"), Layer("pool1", "pool", f=2, stride=2),
         Layer("conv2", "conv", 32, 3, 1, 1), Layer("relu2", "relu"), Layer("pool2", "pool", f=2, stride=2),
         Layer("conv3", "conv", 64, 3, 1, 1), Layer("relu3", "relu"), Layer("pool3", "pool", f=2, stride=2),
         Layer("fc", "dense", 10))
SMALL_INPUT = (32, 32, 3)


# ---------- the window matrix (im2col)
def window_matrix_bytes(layer: Layer, shape: tuple[int, ...], m: int = 1, itemsize: int = 8) -> int:
    """Bytes of a conv layer's whole im2col matrix: one row per output position, one column per weight."""
    n_H, n_W, _ = layer.output_shape(shape)
    return m * n_H * n_W * layer.f * layer.f * shape[-1] * itemsize


def window_matrix_memory(conv_forward: Callable, m: int = 2, shape: tuple[int, ...] = (56, 56, 64)) -> None:
    """The most memory the student's conv layer allocates at once (tracemalloc, which NumPy reports its arrays
    to), against its input, its output and the layer's whole window matrix."""
    layer = Layer("conv", "conv", shape[-1], 3, 1, 1)
    rng = np.random.default_rng(5)
    A, W = rng.standard_normal((m, *shape)), rng.standard_normal((3, 3, shape[-1], shape[-1]))
    b, hp = np.zeros((1, 1, 1, shape[-1])), {"stride": 1, "pad": 1}
    if try_student(conv_forward, A[:1, :4, :4], W, b, hp) is None:  # written? (a small call, not measured)
        return
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        conv_forward(A, W, b, hp)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()
    matrix = window_matrix_bytes(layer, shape, m)
    output = m * int(np.prod(layer.output_shape(shape))) * 8
    vgg = Layer("conv1_2", "conv", 64, 3, 1, 1)
    print(f"Your conv_forward_fast, 3x3, {shape[-1]} -> {shape[-1]} filters, pad 1, on {m} maps of {_shape_text(shape)} "
          f"(float64): input {_size(A.nbytes)}, output {_size(output)}; at most {_size(peak)} allocated at once "
          f"(measured). The layer's whole window matrix: {_size(matrix)}, {matrix / A.nbytes:.0f} times its input.")
    print(f"For VGG-16's conv1_2 on one 224x224x64 map in float32, that matrix is "
          f"{_size(window_matrix_bytes(vgg, (224, 224, 64), 1, 4))}, against {_size(224 * 224 * 64 * 4)} of input.")


# ---------- running a network with the student's layers
def _params(layers: tuple[Layer, ...], input_shape: tuple[int, ...], seed: int = 0) -> list[tuple]:
    """Random (W, b) for each conv and dense layer, () for the others."""
    rng = np.random.default_rng(seed)
    params = []
    for layer, shape in zip(layers, shapes(layers, input_shape)):
        if layer.kind == "conv":
            params.append((rng.standard_normal((layer.f, layer.f, shape[-1], layer.n_out)) * 0.1,
                           np.zeros((1, 1, 1, layer.n_out))))
        elif layer.kind == "dense":
            params.append((rng.standard_normal((int(np.prod(shape)), layer.n_out)) * 0.1, np.zeros(layer.n_out)))
        else:
            params.append(())
    return params


def _forward(layer: Layer, params: tuple, A: np.ndarray, conv_forward: Callable, pool_forward: Callable):
    """(output, cache) of one layer on A, as the notebooks' layers return them; None when the student's layer is
    not written yet. ReLU and the dense layer are this package's: ReLU keeps its input Z, the dense layer its
    flattened input."""
    if layer.kind == "conv":
        W, b = params
        return try_student(conv_forward, A, W, b, {"stride": layer.stride, "pad": layer.pad})
    if layer.kind == "pool":
        return try_student(pool_forward, A, {"f": layer.f, "stride": layer.stride}, "max")
    if layer.kind == "relu":
        return np.maximum(A, 0), A
    W, b = params
    flat = A.reshape(A.shape[0], -1)
    return flat @ W + b, (flat, W, b)


def _owner(a: np.ndarray) -> np.ndarray:
    """The array that owns a view's memory (what keeping the view keeps alive)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _held(cache: object, skip: set[int]) -> dict[int, int]:
    """{id of an owning array: its bytes} for every array in a cache, parameters (ids in skip) left out."""
    items = cache if isinstance(cache, tuple) else (cache,)
    held = {}
    for item in items:
        if isinstance(item, np.ndarray) and id(item) not in skip:
            owner = _owner(item)
            held[id(owner)] = owner.nbytes
    return held


@dataclass(frozen=True)
class Kept:
    """What one layer's cache keeps for the backward pass: counted (its input) and measured (the arrays its
    cache holds, in bytes)."""
    layer: Layer
    input_shape: tuple[int, ...]
    counted_bytes: int
    measured_bytes: int
    parameter_bytes: int


def kept_for_backward(conv_forward: Callable, pool_forward: Callable, m: int = 8) -> Optional[tuple[list[Kept], int]]:
    """Run SMALL on m examples with the student's layers; per layer what its cache keeps, and the bytes of all
    the distinct arrays the caches keep (a layer's output is the next one's input: kept once). None when a
    layer is not written yet."""
    params = _params(SMALL, SMALL_INPUT)
    skip = {id(p) for ps in params for p in ps}
    A = np.random.default_rng(1).standard_normal((m, *SMALL_INPUT))
    rows, everything, caches = [], {}, []  # caches stay alive until counted: ids of freed arrays are reused
    for layer, shape, ps in zip(SMALL, shapes(SMALL, SMALL_INPUT), params):
        out = _forward(layer, ps, A, conv_forward, pool_forward)
        if out is None:
            return None
        A, cache = np.asarray(out[0]), out[1]
        caches.append(cache)
        held = _held(cache, skip)
        everything.update(held)
        rows.append(Kept(layer, shape, m * int(np.prod(shape)) * 8, sum(held.values()),
                         sum(p.nbytes for p in ps)))
    return rows, sum(everything.values())


def _size(n_bytes: float) -> str:
    return f"{n_bytes / MB:,.2f} MB" if n_bytes >= 0.01 * MB else f"{n_bytes:,.0f} B"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _grouped(layers: tuple[Layer, ...], input_shape: tuple[int, ...]) -> list[tuple[str, int, int]]:
    """(name, numbers kept per example, parameters) per weight layer with its ReLU, and per pool."""
    rows: list[tuple[str, int, int]] = []
    for layer, shape in zip(layers, shapes(layers, input_shape)):
        kept, params = int(np.prod(shape)), layer.parameters(shape)
        if layer.kind == "relu":
            name, k, p = rows[-1]
            rows[-1] = (f"{name} + ReLU", k + kept, p)
        else:
            rows.append((layer.name, kept, params))
    return rows


def training_memory(conv_forward: Callable, pool_forward: Callable, m: int = 8, batch: int = 32) -> None:
    """What training keeps for the backward pass: measured in the caches of the student's layers on a small
    network, then counted by the same rule for VGG-16 (float32, a batch of `batch`) against its parameters."""
    measured = kept_for_backward(conv_forward, pool_forward, m)
    if measured is None:
        return
    rows, distinct = measured
    print(f"Your layers on a batch of {m} images of {_shape_text(SMALL_INPUT)} (float64, 8 bytes a number). "
          "Each cache keeps the layer's input:")
    print(f"{'layer':8s}{'input kept (one image)':>24s}{'counted: m·numbers·8':>22s}{'in your cache':>16s}"
          f"{'parameters':>13s}")
    for r in rows:
        print(f"{r.layer.name:8s}{_shape_text(r.input_shape):>24s}{_size(r.counted_bytes):>22s}"
              f"{_size(r.measured_bytes):>16s}{_size(r.parameter_bytes):>13s}")
    counted = sum(r.counted_bytes for r in rows)
    params = sum(r.parameter_bytes for r in rows)
    print(f"{'all':8s}{'':>24s}{_size(counted):>22s}{_size(distinct):>16s}{_size(params):>13s}")
    if distinct == counted:
        print(f"Your caches keep {_size(distinct)}, exactly the layers' inputs: {distinct / params:.1f} times the "
              f"parameters at a batch of {m}. The activations grow with the batch; the parameters do not.")
    else:
        print(f"Your caches keep {_size(distinct)}, not the {_size(counted)} of the layers' inputs: the rows where "
              "'in your cache' differs hold other arrays (a padded copy, the im2col matrix) or miss the input.")
    vgg = _grouped(VGG16, VGG16_INPUT)
    kept = np.array([k * 4 * batch for _, k, _ in vgg], dtype=float)
    weights = np.array([p * 4 for _, _, p in vgg], dtype=float)
    names = [name for name, _, _ in vgg]
    fig, ax = plt.subplots(figsize=(9, 7.5))
    y = np.arange(len(vgg))
    ax.barh(y - 0.2, kept / MB, 0.4, color=OKABE_ITO["blue"], label=f"activations kept, batch of {batch}")
    ax.barh(y + 0.2, np.where(weights > 0, weights, np.nan) / MB, 0.4, color=OKABE_ITO["orange"], hatch="//",
            edgecolor="black", label="parameters (pools have none)")
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("megabytes in float32 (log scale)")
    ax.set_title(f"VGG-16 training on {_shape_text(VGG16_INPUT)} images: memory kept for the backward pass")
    ax.legend(loc="lower right")
    fig.subplots_adjust(left=0.17, right=0.98, top=0.95, bottom=0.08)  # fixed margins: tight_layout costs 0.5 s
    show_figure(fig, f"Horizontal bar chart, log scale, one pair of bars per layer of VGG-16 (float32): the activations "
                     f"its backward pass keeps for a batch of {batch} (solid) and its parameters (hatched), in MB. "
                     + "; ".join(f"{n}: {k / MB:,.1f} and " + (f"{w / MB:,.2f}" if w else "none")
                                 for n, k, w in zip(names, kept, weights))
                     + f". In all: activations {kept.sum() / MB:,.0f} MB, parameters {weights.sum() / MB:,.0f} MB.")
    print(f"VGG-16, by the rule your caches follow (every layer keeps its input), float32, a batch of {batch}: "
          f"activations {kept.sum() / MB:,.0f} MB, parameters {weights.sum() / MB:,.0f} MB "
          f"({sum(p for _, _, p in vgg):,} of them; with their gradients and Adam's two moments, 4 times that: "
          f"{4 * weights.sum() / MB:,.0f} MB). The conv and pooling layers keep "
          f"{kept[:-3].sum() / kept.sum():.1%} of the activations and hold {weights[:-3].sum() / weights.sum():.1%} of "
          f"the parameters; the three dense layers hold the other {weights[-3:].sum() / weights.sum():.1%}.")


# ---------- number types
DECAY_THETA, DECAY_RATE = 0.5, 0.001  # notebook 4's weight: θ = 0.5, lr·λ = 0.001, a gradient of 0 at every step


def _im2col_product(dtype: type, m: int = 4, n: int = 32, c: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The two matrices an im2col conv layer multiplies (the reference conv_forward_fast's), for a 3x3 conv,
    c -> c channels, pad 1, on m images of n x n."""
    rng = np.random.default_rng(2)
    A = np.pad(rng.standard_normal((m, n, n, c)), ((0, 0), (1, 1), (1, 1), (0, 0))).astype(dtype)
    cols = sliding_window_view(A, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3).reshape(-1, 9 * c)
    return np.ascontiguousarray(cols), rng.standard_normal((9 * c, c)).astype(dtype)


def number_types() -> None:
    """float64 against float32: bytes, precision, range, the time of one conv layer's matrix product, and
    where weight decay with a zero gradient ends, with and without flush-to-zero, in both ways of writing its
    step (notebook 4's simulation, cnn_student.update_rules: one source for both notebooks' numbers)."""
    kinds = (np.float64, np.float32)
    names = [np.dtype(k).name for k in kinds]
    info = [np.finfo(k) for k in kinds]

    def ends(lr_lambda: float, flush: bool, form: str) -> list[DecayEnd]:
        return [decay_to_the_end(DECAY_THETA, lr_lambda, name, flush, form) for name in names]
    kept, multiplied, subtracted = ends(DECAY_RATE, False, "subtract"), ends(DECAY_RATE, True, "multiply"), \
        ends(DECAY_RATE, True, "subtract")
    halves = ends(0.5, False, "subtract")    # the step rounds to 0 at the smallest subnormal number: it stays
    beyond = ends(0.6, False, "subtract")    # above 1/2 the step rounds to the whole of it: θ reaches 0
    print(f"{'':52s}{'float64':>14s}{'float32':>14s}")
    rows = [("bytes per number", [f"{np.dtype(k).itemsize}" for k in kinds]),
            ("relative precision (machine epsilon)", [f"{i.eps:.2g}" for i in info]),
            ("smallest normal number", [f"{i.tiny:.3g}" for i in info]),
            ("smallest subnormal number", [f"{i.smallest_subnormal:.3g}" for i in info])]
    if grading():
        grading_note("the matrix products are not timed here")
    else:
        products = [_im2col_product(k) for k in kinds]
        times: list[list[float]] = [[] for _ in kinds]
        for _ in range(2):  # the types in turn: a busy moment of the machine slows both, not one of them
            for k, product in enumerate(products):
                times[k].append(best_time(np.matmul, product))
        seconds = [min(t) for t in times]
        rows.append(("3x3 conv, 64 -> 64 channels, 4 images of 32x32: the", [""] * 2))
        rows.append(("  product of its two im2col matrices, measured", [f"{s * 1e3:.1f} ms" for s in seconds]))
    rows += [(f"weight decay, θ = {DECAY_THETA}, lr·λ = {DECAY_RATE}, gradient 0:", [""] * 2),
             ("  subnormal numbers kept: θ stops at", [f"{e.theta:.4g}" for e in kept]),
             ("    after step", [f"{e.steps:,}" for e in kept]),
             (f"  flush-to-zero, {FORMS['multiply']}: θ is 0 after step",
              [f"{e.steps:,}" if e.theta == 0 else f"stops, {e.theta:.3g}" for e in multiplied]),
             (f"  flush-to-zero, {FORMS['subtract']}: θ stops at", [f"{e.theta:.4g}" for e in subtracted]),
             ("    after step", [f"{e.steps:,}" for e in subtracted]),
             (f"lr·λ = 0.5, subnormals kept, {FORMS['subtract']}: stops at", [f"{e.theta:.3g}" for e in halves]),
             ("lr·λ = 0.6, subnormals kept: θ is 0 after step",
              [f"{e.steps:,}" if e.theta == 0 else f"stops, {e.theta:.3g}" for e in beyond])]
    for name, values in rows:
        print(f"{name:52s}" + "".join(f"{v:>14s}" for v in values))
    if not grading():
        print(f"(matrix products: float32 took {seconds[1] / seconds[0]:.2f} times the time of float64, "
              "best of several runs of each, the two types in turn)")
    half = np.float64(info[0].tiny) / 2
    print(f"In this kernel, the smallest normal float64 halved is {half:.3g}: "
          + ("not 0, so NumPy keeps subnormal numbers here (flush-to-zero is off; the rows under flush-to-zero "
             "simulate it, as notebook 4 did)." if half else
             "0: this kernel flushes subnormal results to zero (something set the processor's flush-to-zero mode)."))


# ---------- memory-bound layers
@dataclass(frozen=True)
class Case:
    """A layer on a batch, sized like a real network's layer (its data larger than a processor's caches where
    the layer is cheap)."""
    what: str
    layer: Layer
    m: int
    input_shape: tuple[int, ...]


# maps of 56x56x64 (ResNet's first stage after its stem; VGG-16's 56x56 maps have 128 or 256 channels), a first layer on 3
# channels, and a dense layer
CASES = (Case("ReLU, 8 maps of 56x56x64", Layer("relu", "relu"), 8, (56, 56, 64)),
         Case("max pool 2x2, stride 2, same input", Layer("pool", "pool", f=2, stride=2), 8, (56, 56, 64)),
         Case("dense 1024 -> 1024, batch of 8", Layer("dense", "dense", 1024), 8, (1024,)),
         Case("conv 3x3, 3 -> 64, a map of 56x56x3", Layer("conv", "conv", 64, 3, 1, 1), 1, (56, 56, 3)),
         Case("conv 1x1, 64 -> 64, a map of 56x56x64", Layer("conv", "conv", 64, 1, 1, 0), 1, (56, 56, 64)),
         Case("conv 3x3, 64 -> 64, same input", Layer("conv", "conv", 64, 3, 1, 1), 1, (56, 56, 64)))


@dataclass(frozen=True)
class Traffic:
    """One case's forward pass: its multiply-adds, the bytes it must move at least (input, output and
    parameters, once each, float64) and the time the layer took, best of a few runs."""
    case: Case
    multiply_adds: int
    bytes_moved: int
    seconds: float

    @property
    def intensity(self) -> float:
        """Multiply-adds per byte moved."""
        return self.multiply_adds / self.bytes_moved


@dataclass(frozen=True)
class Machine:
    """This machine, measured: multiply-adds per second and bytes moved per second, the best it reached."""
    multiply_adds_per_second: float
    bytes_per_second: float

    @property
    def ridge(self) -> float:
        """Multiply-adds per byte below which a layer waits on memory rather than on arithmetic."""
        return self.multiply_adds_per_second / self.bytes_per_second

    def least_seconds(self, t: Traffic) -> float:
        """The least time a layer can take: its multiply-adds at the best rate, or its bytes, whichever is longer."""
        return max(t.multiply_adds / self.multiply_adds_per_second, t.bytes_moved / self.bytes_per_second)


def count(case: Case) -> tuple[int, int]:
    """(multiply-adds, bytes moved at least) of a case, float64."""
    layer, shape = case.layer, case.input_shape
    numbers = int(np.prod(shape)) + int(np.prod(layer.output_shape(shape)))
    return case.m * layer.multiply_adds(shape), 8 * (case.m * numbers + layer.parameters(shape))


def measure_machine(measured: list[Traffic], n: int = 384, copy_bytes: int = 32 * 2 ** 20) -> Machine:
    """The best rates this kernel reaches: multiply-adds per second of a float64 matrix product of n x n by
    n x n, bytes per second of a copy of copy_bytes (read once and written once: twice that traffic, more
    than most processors' caches hold), best of a few runs each, or the rate of a measured layer where one did better (a rate a layer beat
    was not the best: so every layer's least time is a true bound)."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    src = rng.standard_normal(copy_bytes // 8)
    dst = src.copy()  # written once before timing: its pages exist
    arithmetic = max(n ** 3 / best_time(np.matmul, (a, b), budget=0.02),
                     *(t.multiply_adds / t.seconds for t in measured))
    memory = max(2 * src.nbytes / best_time(np.copyto, (dst, src), budget=0.02),
                 *(t.bytes_moved / t.seconds for t in measured))
    return Machine(arithmetic, memory)


def layer_traffic(conv_forward: Callable, pool_forward: Callable) -> Optional[list[Traffic]]:
    """Every case counted and timed: the student's conv and pool layers, this package's ReLU and dense layer."""
    rng = np.random.default_rng(4)
    rows = []
    for case in CASES:
        (params,) = _params((case.layer,), case.input_shape)
        A = rng.standard_normal((case.m, *case.input_shape))
        start = time.perf_counter()
        if _forward(case.layer, params, A, conv_forward, pool_forward) is None:
            return None
        first = time.perf_counter() - start
        seconds = min(first, best_time(_forward, (case.layer, params, A, conv_forward, pool_forward), budget=0.04))
        rows.append(Traffic(case, *count(case), seconds))
    return rows


def memory_bound(conv_forward: Callable, pool_forward: Callable) -> None:
    """Which layers are memory-bound on this machine: multiply-adds per byte against the machine's ridge
    point, and each layer's measured time against the least time its bytes and multiply-adds allow."""
    if grading():  # the grading machine's speed says nothing of the code; the layers run once, untimed
        for case in CASES:
            (params,) = _params((case.layer,), case.input_shape)
            if _forward(case.layer, params, np.zeros((1, *case.input_shape)), conv_forward, pool_forward) is None:
                return
        grading_note("the layers and the machine are not timed here")
        return
    rows = layer_traffic(conv_forward, pool_forward)
    if rows is None:
        return
    machine = measure_machine(rows)
    least = [machine.least_seconds(t) for t in rows]
    bound = ["memory" if t.intensity < machine.ridge else "compute" for t in rows]
    print(f"This machine, measured now (the best of a matrix product, a 32 MB copy and the layers below): "
          f"{machine.multiply_adds_per_second / 1e9:.2f} G multiply-adds/s, {machine.bytes_per_second / 1e9:.2f} GB/s.\n"
          f"Its ridge: {machine.ridge:.2f} multiply-adds per byte. A layer doing fewer per byte it moves waits on "
          "memory: it is memory-bound.\n")
    print(f"{'layer (float64)':40s}{'multiply-adds':>14s}{'bytes moved':>13s}{'per byte':>9s}{'bound by':>9s}"
          f"{'least':>11s}{'measured':>11s}")
    for t, b, s in zip(rows, bound, least):
        print(f"{t.case.what:40s}{t.multiply_adds:>14,d}{t.bytes_moved:>13,d}{t.intensity:>9.2f}{b:>9s}"
              f"{s * 1e3:>8.2f} ms{t.seconds * 1e3:>8.2f} ms")
    labels = [f"{k + 1}" for k in range(len(rows))]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4))
    x = np.arange(len(rows))
    intensity = np.array([t.intensity for t in rows])
    memory = intensity < machine.ridge
    left.bar(x[memory], intensity[memory], color=OKABE_ITO["vermillion"], hatch="//", edgecolor="black",
             label="memory-bound")
    left.bar(x[~memory], intensity[~memory], color=OKABE_ITO["blue"], label="compute-bound")
    left.axhline(machine.ridge, color="black", ls="--", label=f"this machine's ridge, {machine.ridge:.2f}")
    for k, v in enumerate(intensity):
        left.text(k, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    left.set_xticks(x, labels)
    left.set_xlabel("layer (numbered as in the table, top to bottom)")
    left.set_ylabel("multiply-adds per byte moved")
    left.set_title("Work per byte")
    left.legend(fontsize=8)
    right.bar(x - 0.2, [t.seconds * 1e3 for t in rows], 0.4, color=OKABE_ITO["blue"], label="measured")
    right.bar(x + 0.2, np.array(least) * 1e3, 0.4, color=OKABE_ITO["orange"], hatch="//", edgecolor="black",
              label="least time its bytes and multiply-adds allow")
    right.set_yscale("log")
    right.set_xticks(x, labels)
    right.set_xlabel("layer (numbered as in the table, top to bottom)")
    right.set_ylabel("milliseconds (log scale)")
    right.set_title("Time")
    right.legend(fontsize=8)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.92, bottom=0.15, wspace=0.22)
    show_figure(fig, "Two bar charts of the layers in the table, numbered 1 to "
                     f"{len(rows)}. Left: multiply-adds per byte moved, with this machine's ridge at "
                     f"{machine.ridge:.2f} as a dashed line; bars under it are hatched (memory-bound). Right, log "
                     "scale: each layer's measured time beside the least time its bytes and multiply-adds allow. "
                     + "; ".join(f"{k + 1}, {t.case.what}: {t.intensity:.2f} per byte, {b}-bound, measured "
                                 f"{t.seconds * 1e3:.2f} ms, least {s * 1e3:.2f} ms"
                                 for k, (t, b, s) in enumerate(zip(rows, bound, least))) + ".")


# ---------- the checkerboard of a strided backward pass
def overlap_counts(n_out: int, f: int, stride: int) -> np.ndarray:
    """How many windows cover each input pixel when n_out x n_out windows of f x f sit stride apart (pad 0):
    the dA_prev of a conv backward pass with every dZ and every weight 1. Along one axis, pixel i lies in the
    windows h with h·stride <= i < h·stride + f; in two dimensions the counts multiply."""
    n_in = (n_out - 1) * stride + f
    along = np.zeros(n_in, dtype=int)
    for h in range(n_out):
        along[h * stride:h * stride + f] += 1
    return np.outer(along, along)


def interior(counts: np.ndarray, f: int) -> np.ndarray:
    """The counts away from the border (f - 1 pixels in from each edge), where every pixel has its full share
    of windows: what a transposed convolution paints across the middle of an image."""
    return counts[f - 1:counts.shape[0] - f + 1, f - 1:counts.shape[1] - f + 1]


def checkerboard(conv_backward: Callable, n_out: int = 5, cases: tuple[tuple[int, int], ...] = ((3, 2), (4, 2))) -> None:
    """The student's conv_backward with dZ and W all ones, one channel, pad 0: dA_prev counts, for every input
    pixel, the windows it lies in. Drawn for each (f, stride) of cases, beside the counts it should hold."""
    results = []
    for f, stride in cases:
        expected = overlap_counts(n_out, f, stride)
        n_in = expected.shape[0]
        cache = (np.zeros((1, n_in, n_in, 1)), np.ones((f, f, 1, 1)), np.zeros((1, 1, 1, 1)),
                 {"stride": stride, "pad": 0})
        out = try_student(conv_backward, np.ones((1, n_out, n_out, 1)), cache)
        if out is None:
            return
        results.append((f, stride, np.asarray(out[0])[0, :, :, 0], expected))
    fig, axes = plt.subplots(1, len(results), figsize=(5.2 * len(results), 5.4))
    said = []
    for ax, (f, stride, got, expected) in zip(np.atleast_1d(axes), results):
        shown = np.round(got, 6)
        image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=max(float(shown.max()), 1.0) * 1.15)
        label_cells(ax, image, shown, fontsize=8)
        middle = interior(shown, f)
        values = sorted({float(v) for v in middle.ravel()})
        ax.set_title(f"f = {f}, stride = {stride}: away from the border,\nevery pixel in "
                     + (f"{values[0]:g} windows" if len(values) == 1 else f"{', '.join(f'{v:g}' for v in values)} windows"),
                     fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        right = got.shape == expected.shape and np.allclose(got, expected)
        said.append(f"f = {f}, stride = {stride}, {shown.shape[0]}x{shown.shape[1]} input: {matrix_text(shown)}"
                    + ("" if right else " (these are not the window counts: your dA_prev differs from them by up to "
                       f"{np.max(np.abs(got - expected)) if got.shape == expected.shape else 'its shape'})"))
        print(f"f = {f}, stride = {stride}: interior counts {', '.join(f'{v:g}' for v in values)}"
              + ("" if right else "   ✘ your dA_prev is not the window counts: check conv_backward_fast"))
    fig.suptitle(f"dA_prev of your conv_backward_fast with dZ and W all ones ({n_out}x{n_out} outputs, pad 0): "
                 "how many windows cover each input pixel", fontsize=10)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.84, bottom=0.02, wspace=0.08)
    show_figure(fig, f"{len(results)} grids, each cell labelled with the number of windows that cover that input pixel. "
                     + " ".join(s + "." for s in said))
