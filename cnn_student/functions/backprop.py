"""03_backprop: conv_backward, create_mask_from_window, distribute_value, pool_backward.

Case dicts (the vectorized notebook 05 reuses these specs):
- conv_backward: {"m", "H", "W", "C", "f", "n_C", "pad", "stride", "seed"}; args (dZ, cache) with
  cache = (A_prev, W, b, {"stride", "pad"}); A_prev, W, b drawn as for conv_forward, then dZ.
- create_mask_from_window: {"f": f} for an f x f window or {"shape": [n_rows, n_cols]}, a "seed", an
  optional "offset" added to every value (offset -5 makes the maximum negative) and an optional
  "ties": k, which draws whole numbers 0 .. k-1 instead of normal values, so that maxima tie
  (k = 1: a window of zeros, as after a ReLU).
- distribute_value: {"dz": number, "shape": [n_rows, n_cols]}; no randomness.
- pool_backward: {"m", "H", "W", "C", "f", "stride", "mode", "seed"} and an optional "ties": k as above;
  args (dA, cache, mode) with cache = (A_prev, {"f", "stride"}); A_prev drawn as for pool_forward, then dA.
Ties are graded by the contract's rule: a max window routes its whole gradient to its first maximum in
row-major order (as PyTorch does). Standard normal values have no ties; cases with "ties" have many.

The hints look only at the geometry of the windows and at simple transforms of the expected
result; they never compute a gradient themselves and never spell a line of the reference (students
can read this package). The formulas are stated, at grading only, by autograder/grading/pipeline/explanations.py.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, FunctionSpec, cause, fallback, register
from ._hints import out_size, padded_hw


# ---------- causes shared by the conv and pool gradients
OVERLAP = cause("gradient.overlaps_replaced", "where windows overlap, each window's gradient replaces the earlier "
                                             "ones instead of adding to them")
STRIDE = cause("gradient.stride_ignored", "the windows do not move by the stride, so later inputs get no gradient")
SPAN = cause("gradient.window_spans_stride", "the windows span stride rows and columns instead of f")
SHAPE = cause("gradient.shape", "a gradient does not have the shape of what it is the gradient of")
WHERE = cause("gradient.wrong_values", "right shape, wrong values that no specific check recognises "
                                       "(the feedback names the first wrong entry and its windows)", specific=False)


# ---------- window geometry shared by the conv and pool hints
def _coverage_1d(n: int, f: int, pad: int, stride: int, starts_step: Optional[int] = None,
                 span: Optional[int] = None) -> np.ndarray:
    """How many windows cover each of the n input positions (padding cropped); `starts_step` and `span`
    replace the windows' step and width (a mistake's geometry), their number stays the layer's."""
    n_out = out_size(n, f, pad, stride)
    count = np.zeros(n + 2 * pad, int)
    step = stride if starts_step is None else starts_step
    width = f if span is None else span
    for k in range(n_out):
        count[k * step:k * step + width] += 1
    return count[pad:pad + n]


def _coverage(H: int, W: int, f: int, pad: int, stride: int, starts_step: Optional[int] = None,
              span: Optional[int] = None) -> np.ndarray:
    """(H, W) count of the windows that cover each input position."""
    return np.outer(_coverage_1d(H, f, pad, stride, starts_step, span), _coverage_1d(W, f, pad, stride, starts_step, span))


def _same_shape(ctx: Context) -> bool:
    return isinstance(ctx.rec_part, np.ndarray) and ctx.rec_part.shape == np.shape(ctx.exp_part) \
        and ctx.rec_part.dtype.kind in "biuf"


def _first_wrong(ctx: Context) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(~np.isclose(ctx.rec_part, ctx.exp_part))[0])


def _windows_over(r: int, n_out: int, f: int, pad: int, stride: int) -> list[int]:
    """The output rows (or columns) whose window covers input row r."""
    return [h for h in range(n_out) if h * stride <= r + pad < h * stride + f]


def _overlap_hint(ctx: Context, f: int, pad: int, stride: int) -> Optional[str]:
    """Wrong only where several windows overlap: the gradients were assigned, not added up."""
    if not _same_shape(ctx) or f <= stride:
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    wrong = ~np.all(np.isclose(rec, exp), axis=(0, 3))
    cover = _coverage(exp.shape[1], exp.shape[2], f, pad, stride)
    if wrong.any() and np.all(cover[wrong] >= 2):
        r, q = (int(i) for i in np.argwhere(wrong)[0])
        return OVERLAP(f"the inputs that one window reaches are right, but those reached by several overlapping "
                f"windows (f = {f} > stride = {stride}) are wrong, first input (row {r}, column {q}), which "
                f"{int(cover[r, q])} windows cover: each window's gradient must be added to what the earlier "
                f"windows put there; yours replaces it")
    return None


def _stride_hint(ctx: Context, f: int, pad: int, stride: int) -> Optional[str]:
    """Nothing reaches the inputs that only windows moved by the stride cover: the stride is ignored."""
    if not _same_shape(ctx) or stride == 1:
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    reach = _coverage(exp.shape[1], exp.shape[2], f, pad, stride, starts_step=1) > 0
    far = ~reach & (_coverage(exp.shape[1], exp.shape[2], f, pad, stride) > 0)
    if far.any() and np.allclose(rec[:, far, :], 0) and not np.allclose(exp[:, far, :], 0):
        n_H = out_size(exp.shape[1], f, pad, stride)
        top = (n_H - 1) * stride - pad
        return STRIDE(f"no gradient reached the bottom/right inputs that only the later windows cover: the windows "
                f"move by stride = {stride} and span f = {f} rows and columns, so the last of the {n_H} window "
                f"rows covers input rows {max(top, 0)} to {top + f - 1}")
    return None


def _window_size_hint(ctx: Context, f: int, pad: int, stride: int) -> Optional[str]:
    """Gradient reaches only the first `stride` rows and columns of each window: the window spans
    stride, not f (visible when f > stride leaves inputs that only the wider windows cover)."""
    if not _same_shape(ctx) or f <= stride:
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    H, W = exp.shape[1], exp.shape[2]
    narrow = _coverage(H, W, f, pad, stride, span=stride) > 0
    outside = ~narrow & (_coverage(H, W, f, pad, stride) > 0)
    if outside.any() and np.allclose(rec[:, outside, :], 0) and not np.allclose(exp[:, outside, :], 0):
        r, q = (int(i) for i in np.argwhere(outside & ~np.all(np.isclose(rec, exp), axis=(0, 3)))[0])
        return SPAN(f"only the first {stride} rows and columns of each window received gradient: the windows move by "
                f"stride = {stride} but span f = {f} rows and columns, so input (row {r}, column {q}), which a "
                f"window covers, got nothing")
    return None


def _shape_like(ctx: Context, like: str) -> Optional[str]:
    rec, exp = ctx.rec_part, ctx.exp_part
    if isinstance(rec, np.ndarray) and rec.shape != np.shape(exp):
        return SHAPE(f"{ctx.part} must have the shape of {like}, {np.shape(exp)}; yours has shape {rec.shape}")
    return None


# ---------- conv_backward(dZ, cache)
def _conv_args(case: dict, rng: np.random.Generator) -> tuple:
    m, H, W_, C, f, n_C = case["m"], case["H"], case["W"], case["C"], case["f"], case["n_C"]
    pad, stride = case["pad"], case["stride"]
    A = rng.standard_normal((m, H, W_, C))
    W = rng.standard_normal((f, f, C, n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    dZ = rng.standard_normal((m, out_size(H, f, pad, stride), out_size(W_, f, pad, stride), n_C))
    return dZ, (A, W, b, {"stride": stride, "pad": pad})


DA_REPLACED = cause("conv_backward.dA_contributions_replaced", "dA_prev keeps one contribution per input: the "
                                                              "windows' and filters' contributions replace each other")
DA_PADDED = cause("conv_backward.dA_keeps_padding", "dA_prev keeps the padding rows and columns")
DA_CROP = cause("conv_backward.dA_crop", "the padding is cropped wrongly from dA_prev (wrong size, or one side only)")
DW_OVER_M = cause("conv_backward.dW_divided_by_m", "dW is divided by the number of examples")
DW_MEAN = cause("conv_backward.dW_averaged", "dW is averaged over examples and positions instead of summed")
DW_LAST = cause("conv_backward.dW_last_position_only", "dW keeps only the last position's contribution")
DW_FROM_W = cause("conv_backward.dW_from_W", "dW is built from W instead of the input windows")
DB_SHAPE = cause("conv_backward.db_shape", "db does not keep b's shape (1, 1, 1, n_C)")
DB_MEAN = cause("conv_backward.db_averaged", "db is averaged instead of summed")
DB_OVER_M = cause("conv_backward.db_divided_by_m", "db is divided by the number of examples")
DB_LAST_EXAMPLE = cause("conv_backward.db_last_example_only", "db keeps only the last example's sum")
DB_LAST = cause("conv_backward.db_last_position_only", "db keeps only the last position's value")
DB_ALL = cause("conv_backward.db_one_sum_for_all", "every filter gets the sum of all of dZ")


def _conv_dA_replaced(ctx: Context) -> Optional[str]:
    """The first wrong input holds one product only, the last filter's in the last window over it:
    what writing each contribution over the previous one leaves."""
    dZ, (A, W, b, hp) = ctx.args
    f, s, p = W.shape[0], hp["stride"], hp["pad"]
    i, r, q, k = _first_wrong(ctx)
    rows, cols = _windows_over(r, dZ.shape[1], f, p, s), _windows_over(q, dZ.shape[2], f, p, s)
    if not rows or not cols:
        return None
    h, w = rows[-1], cols[-1]
    last = W[r + p - h * s, q + p - w * s, k, -1] * dZ[i, h, w, -1]
    if np.isclose(ctx.rec_part[i, r, q, k], last) and len(rows) * len(cols) * dZ.shape[3] > 1:
        return DA_REPLACED(f"dA_prev[{i}, {r}, {q}, {k}] holds one contribution only, that of the last filter ({dZ.shape[3] - 1}) "
                f"in the last window over it (output ({h}, {w})): the contributions of all "
                f"{len(rows) * len(cols)} windows over it and all {dZ.shape[3]} filters must add up; yours replace "
                "each other")
    return None


def _conv_dA_prev(ctx: Context) -> Optional[str]:
    if ctx.part != "dA_prev":
        return None
    c = ctx.case
    p, rec, exp = c["pad"], ctx.rec_part, ctx.exp_part
    if isinstance(rec, np.ndarray) and rec.shape == (c["m"], c["H"] + 2 * p, c["W"] + 2 * p, c["C"]) and p:
        return DA_PADDED(f"dA_prev still has the padding: shape {rec.shape} instead of A_prev's {exp.shape}; the gradient "
                f"of the {p} padding rows and columns on each side is dropped")
    if isinstance(rec, np.ndarray) and rec.shape != exp.shape:
        return DA_CROP(f"dA_prev must have the shape of A_prev, {exp.shape}, not {rec.shape}: remove pad = {p} rows and "
                "columns from each side of the padded gradient"
                + (" (with pad = 0 a slice that ends at -pad is empty)" if p == 0 else ""))
    if not _same_shape(ctx):
        return None
    if p and np.allclose(rec[:, p:, p:], exp[:, :-p, :-p]) and not np.allclose(rec, exp):
        return DA_CROP(f"dA_prev is shifted by pad = {p}: the padding must be cropped from the top and the left too, "
                "not only from the bottom and the right")
    return _overlap_hint(ctx, c["f"], p, c["stride"]) or _stride_hint(ctx, c["f"], p, c["stride"]) \
        or _conv_dA_replaced(ctx)


def _last_slice_product(ctx: Context) -> np.ndarray:
    """dW if only the last (i, h, w) of the loops were kept: what assignment instead of += gives."""
    dZ, (A, W, b, hp) = ctx.args
    f, s, p = W.shape[0], hp["stride"], hp["pad"]
    h, w = dZ.shape[1] - 1, dZ.shape[2] - 1
    top, left = h * s, w * s
    window = padded_hw(A, p)[-1, top:top + f, left:left + f, :]
    return window[..., None] * dZ[-1, h, w, :]


def _conv_dW(ctx: Context) -> Optional[str]:
    if ctx.part != "dW":
        return None
    shape = _shape_like(ctx, "W")
    if shape or not _same_shape(ctx):
        return shape
    rec, exp = ctx.rec_part, ctx.exp_part
    dZ, (A, W, b, hp) = ctx.args
    m, n_H, n_W, _ = dZ.shape
    if m > 1 and np.allclose(rec * m, exp):
        return DW_OVER_M(f"dW was divided by m = {m}: the gradient of this layer is a plain sum over examples and "
                "positions (dZ already carries any 1/m of the loss)")
    if np.allclose(rec * n_H * n_W * m, exp):
        return DW_MEAN(f"dW was averaged over the {m}*{n_H}*{n_W} = {m * n_H * n_W} (example, position) pairs: it is "
                "their sum")
    if np.allclose(rec, _last_slice_product(ctx)):
        return DW_LAST(f"dW holds only the last position's contribution (example {m - 1}, output ({n_H - 1}, {n_W - 1})): "
                f"the contributions of all {m * n_H * n_W} (example, position) pairs must add up; yours replace "
                "each other")
    if np.allclose(rec, W * dZ.sum(axis=(0, 1, 2))):
        return DW_FROM_W("dW is W times the sum of dZ: the weights' gradient is built from the input windows the filter "
                "met, each times its dZ; W is what dA_prev is built from")
    return None


def _conv_db(ctx: Context) -> Optional[str]:
    if ctx.part != "db":
        return None
    shape = _shape_like(ctx, "b")
    if shape:
        return DB_SHAPE(shape + ": keep b's four axes, one value per filter on the last")
    if not _same_shape(ctx):
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    dZ = ctx.args[0]
    m, n_H, n_W, _ = dZ.shape
    if np.allclose(rec * m * n_H * n_W, exp) or np.allclose(rec, dZ.mean(axis=(0, 1, 2))):
        return DB_MEAN(f"db was averaged: it is the SUM of dZ over the {m} examples and {n_H}*{n_W} positions, "
                "one value per filter")
    if m > 1 and np.allclose(rec * m, exp):
        return DB_OVER_M(f"db was divided by m = {m}: it is the plain sum of dZ over examples and positions")
    if m > 1 and np.allclose(rec.reshape(-1), dZ[-1].sum(axis=(0, 1))):
        return DB_LAST_EXAMPLE(f"db holds only the last example's sum (example {m - 1}): it sums dZ over ALL {m} examples; "
                "was it reset for each example?")
    if np.allclose(rec.reshape(-1), dZ[-1, -1, -1]):
        return DB_LAST(f"db holds only the last position (example {m - 1}, output ({n_H - 1}, {n_W - 1})): every value "
                "of dZ must add up; yours replace each other")
    if np.allclose(rec, dZ.sum()):
        return DB_ALL("every filter got the same db, the sum of all of dZ: each filter sums its own channel of dZ")
    return None


@fallback
@WHERE
def _conv_general(ctx: Context) -> Optional[str]:
    """Where the first wrong value is, and which windows and values it is made of: no formula."""
    if not _same_shape(ctx):
        return None
    dZ, (A, W, b, hp) = ctx.args
    f, s, p = W.shape[0], hp["stride"], hp["pad"]
    m, n_H, n_W, _ = dZ.shape
    idx = _first_wrong(ctx)
    if ctx.part == "dA_prev":
        i, r, q, k = idx
        rows, cols = _windows_over(r, n_H, f, p, s), _windows_over(q, n_W, f, p, s)
        return (f"dA_prev[{i}, {r}, {q}, {k}] is wrong. That input lies in the windows of output rows {rows} "
                f"and columns {cols} (f = {f}, stride = {s}, pad = {p}); it must collect, from each of those "
                f"{len(rows) * len(cols)} windows and each of the {dZ.shape[3]} filters, the weight of the filter "
                "that met it times that output's dZ")
    if ctx.part == "dW":
        a, bb, k, c = idx
        return (f"dW[{a}, {bb}, {k}, {c}] is wrong. Weight W[{a}, {bb}, {k}, {c}] met one input value in each of "
                f"the {m}*{n_H}*{n_W} = {m * n_H * n_W} windows of filter {c} (the value {a} rows and {bb} columns "
                f"into the window, channel {k}, on the padded input); its gradient collects every one of those "
                "meetings, each weighted by that window's dZ")
    if ctx.part == "db":
        return (f"db[0, 0, 0, {idx[-1]}] is wrong: bias {idx[-1]} is added to all {m * n_H * n_W} outputs of "
                f"filter {idx[-1]}, so its gradient collects the dZ of each of them")
    return None


register(FunctionSpec("conv_backward", _conv_args, parts=("dA_prev", "dW", "db"),
                      arg_names=("dZ", "cache"), hints=[_conv_dA_prev, _conv_dW, _conv_db, _conv_general]))


# ---------- create_mask_from_window(x)
def draw(case: dict, rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Normal values (no ties), or with "ties": k whole numbers 0 .. k-1 as floats (many ties)."""
    if "ties" in case:
        return rng.integers(0, case["ties"], shape).astype(float)
    return rng.standard_normal(shape)


def tied_maxima(x: np.ndarray) -> np.ndarray:
    """Boolean, shaped like the window x: every entry equal to its maximum."""
    return x == np.max(x)


def _mask_args(case: dict, rng: np.random.Generator) -> tuple:
    shape = tuple(case["shape"]) if "shape" in case else (case["f"], case["f"])
    return (draw(case, rng, shape) + case.get("offset", 0.0),)


MASK_NOT_ARRAY = cause("create_mask_from_window.not_a_mask", "returns something other than a boolean array shaped "
                                                               "like the window (np.argmax gives a position)")
MASK_MIN = cause("create_mask_from_window.minimum", "the mask marks the minimum")
MASK_POSITIVE = cause("create_mask_from_window.positive_values", "the mask marks every positive value, as ReLU's would")
MASK_ABS = cause("create_mask_from_window.absolute_value", "the mask marks the largest absolute value")
MASK_PER_AXIS = cause("create_mask_from_window.per_row_or_column", "the mask marks a maximum per row or per column, "
                                                                   "not one for the whole window")
MASK_ALL = cause("create_mask_from_window.all_true", "every entry of the mask is True")
MASK_EVERY_MAX = cause("create_mask_from_window.every_tied_maximum", "where the maximum ties, every tied entry is "
                                                                    "marked, so the window's gradient is counted once "
                                                                    "per tied entry")
MASK_NOT_FIRST = cause("create_mask_from_window.not_the_first_maximum", "where the maximum ties, one maximum is marked "
                                                                       "but not the first in row-major order")


def _mask_hint(ctx: Context) -> Optional[str]:
    x = ctx.args[0]
    rec = ctx.received
    top = tuple(int(i) for i in np.unravel_index(np.argmax(x), x.shape))
    if not isinstance(rec, np.ndarray) or rec.shape != x.shape:
        got = f"{type(rec).__name__} {rec!r}" if not isinstance(rec, np.ndarray) else f"shape {rec.shape}"
        return MASK_NOT_ARRAY(f"return an array shaped like x, {x.shape}, with one True/False per entry of the window; you "
                f"returned {got}. np.argmax gives a position (here {int(np.argmax(x))}), not a mask")
    if rec.dtype.kind not in "biuf":
        return None
    picks = rec.astype(bool)
    where = f"the window's maximum is x{list(top)} = {x[top]:.4g}"
    tied = tied_maxima(x)
    k = int(tied.sum())
    if k > 1:
        at = [list(map(int, i)) for i in np.argwhere(tied)]
        rule = (f"x's maximum {x[top]:.4g} appears {k} times, at {at}; the mask is True at exactly one position, the "
                f"first of them in row-major order (row by row, left to right): x{list(top)}")
        if np.array_equal(picks, tied):
            return MASK_EVERY_MAX(f"every tied input received the whole gradient: the window's gradient was counted {k} "
                                  f"times. {rule}")
        if picks.sum() == 1 and tied[picks].all():
            mine = [int(i) for i in np.argwhere(picks)[0]]
            return MASK_NOT_FIRST(f"your mask marks the maximum at x{mine}, a later one. It passes the window's "
                                  f"gradient on once, which is all a gradient check can prove at a tie, but the "
                                  f"rule is a convention and this course's (PyTorch's and TensorFlow's on CPU) "
                                  f"is the first: {rule}")
    low = tuple(int(i) for i in np.unravel_index(np.argmin(x), x.shape))
    big = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(x)), x.shape))
    candidates = [
        (x == np.min(x), MASK_MIN, f"your mask marks the minimum, x{list(low)} = {x[low]:.4g}: max pooling routes the "
                         f"gradient to the largest value; {where}"),
        (x > 0, MASK_POSITIVE, f"your mask marks the {int(np.sum(x > 0))} positive values, as ReLU's would; max pooling marks "
                f"only the largest one: {where}"),
        (np.abs(x) == np.max(np.abs(x)), MASK_ABS, f"your mask marks the largest absolute value, x{list(big)} = {x[big]:.4g}; "
                                         f"max pooling compares the values themselves: {where}"),
        (x == np.max(x, axis=0), MASK_PER_AXIS, f"your mask has one True per column ({x.shape[1]} of them): max pooling takes "
                                 f"the maximum of the whole window, one True in all; {where}"),
        (x == np.max(x, axis=1, keepdims=True), MASK_PER_AXIS, f"your mask has one True per row ({x.shape[0]} of them): max "
                                                f"pooling takes the maximum of the whole window, one True in "
                                                f"all; {where}"),
    ]
    for mask, named, text in candidates:
        if np.array_equal(picks, mask):
            return named(text)
    if picks.all():
        return MASK_ALL(f"every entry is True: only the window's maximum gets the gradient; {where}")
    return None


register(FunctionSpec("create_mask_from_window", _mask_args, arg_names=("x",), hints=[_mask_hint], exact=True))


# ---------- distribute_value(dz, shape)
def _distribute_args(case: dict, rng: np.random.Generator) -> tuple:
    return case["dz"], tuple(case["shape"])


SHARE_SHAPE = cause("distribute_value.shape", "returns something other than an array of the given shape")
SHARE_UNEQUAL = cause("distribute_value.unequal", "the entries are not all equal")
SHARE_DIVISOR = cause("distribute_value.wrong_divisor", "dz is not shared equally among the n_rows*n_cols entries "
                                                        "(not divided, or divided by another count)")


def _distribute_hint(ctx: Context) -> Optional[str]:
    dz, (n_rows, n_cols) = ctx.args
    rec = ctx.received
    n = n_rows * n_cols
    share = f"the window has n_rows*n_cols = {n_rows}*{n_cols} = {n} entries, which share dz = {dz:g} equally: together they add up to dz"
    if not isinstance(rec, np.ndarray) or rec.shape != (n_rows, n_cols):
        got = f"shape {rec.shape}" if isinstance(rec, np.ndarray) else f"{type(rec).__name__}"
        return SHARE_SHAPE(f"return an array of the given shape {(n_rows, n_cols)}, not {got}: {share}")
    value = float(rec.reshape(-1)[0])
    if not np.allclose(rec, value):
        return SHARE_UNEQUAL(f"every entry must be the same: average pooling weighs its inputs equally; {share}")
    for count, text in ((1, "dz was not divided"), (n_rows + n_cols, f"you divided by n_rows + n_cols = {n_rows + n_cols}"),
                        (n_rows, f"you divided by n_rows = {n_rows} only"), (n_cols, f"you divided by n_cols = {n_cols} only"),
                        (n_rows * n_rows, f"you divided by n_rows*n_rows = {n_rows * n_rows}, as if the window were square"),
                        (1 / n, f"you multiplied by the number of entries, {n}")):
        if np.isclose(value, dz / count):
            return SHARE_DIVISOR(f"{text}: {share}; yours add up to {value * n:g}")
    return None


register(FunctionSpec("distribute_value", _distribute_args, arg_names=("dz", "shape"), hints=[_distribute_hint]))


# ---------- pool_backward(dA, cache, mode)
def _pool_args(case: dict, rng: np.random.Generator) -> tuple:
    m, H, W, C, f, s = case["m"], case["H"], case["W"], case["C"], case["f"], case["stride"]
    A = draw(case, rng, (m, H, W, C))
    dA = rng.standard_normal((m, out_size(H, f, 0, s), out_size(W, f, 0, s), C))
    return dA, (A, {"f": f, "stride": s}), case["mode"]


POOL_NOT_DIVIDED = cause("pool_backward.average_not_divided", "average mode does not divide each window's "
                                                               "gradient among its f*f inputs")
POOL_MODE = cause("pool_backward.mode_ignored", "the mode argument is ignored (max routing where average is "
                                                "asked, or the reverse)")
POOL_TIES = cause("pool_backward.tied_inputs_each_get_all", "in windows whose maximum ties, every tied input "
                                                           "receives the window's whole gradient")


def _later_tied_maxima(A_prev: np.ndarray, f: int, s: int) -> tuple[np.ndarray, int, int]:
    """Where the inputs are that tie for a window's maximum without being its first one (True there),
    how many windows tie, and the most inputs tied in one window: geometry only, no gradient."""
    later = np.zeros(A_prev.shape, bool)
    windows, most = 0, 1
    for h in range(out_size(A_prev.shape[1], f, 0, s)):
        for w in range(out_size(A_prev.shape[2], f, 0, s)):
            block = A_prev[:, h * s:h * s + f, w * s:w * s + f, :]
            tied = block == block.max(axis=(1, 2), keepdims=True)
            counts = tied.sum(axis=(1, 2))
            windows += int(np.sum(counts > 1))
            most = max(most, int(counts.max()))
            first = np.cumsum(tied.reshape(block.shape[0], f * f, -1), axis=1).reshape(tied.shape) == 1
            later[:, h * s:h * s + f, w * s:w * s + f, :] |= tied & ~first
    return later, windows, most


def _pool_ties_hint(ctx: Context, f: int, s: int) -> Optional[str]:
    """Right everywhere but at inputs that tie, without being first, for some window's maximum."""
    A_prev = ctx.args[1][0]
    later, windows, most = _later_tied_maxima(A_prev, f, s)
    wrong = ~np.isclose(ctx.rec_part, ctx.exp_part)
    if not windows or not wrong.any() or not np.all(later[wrong]):
        return None
    return POOL_TIES(f"every tied input received the whole gradient: in the {windows} windows of this case whose "
                     f"maximum ties (up to {most} inputs each), the window's gradient was counted once per tied "
                     "input, so those windows pass on more gradient than they received. Each window routes its "
                     "gradient to one input, its first maximum in row-major order; create_mask_from_window's tests, "
                     "whose cases include ties, must pass first")


def _pool_hint(ctx: Context) -> Optional[str]:
    shape = _shape_like(ctx, "A_prev")
    if shape:
        return SHAPE(shape + ": one gradient per input of the pooling layer")
    if not _same_shape(ctx):
        return None
    c, rec, exp = ctx.case, ctx.rec_part, ctx.exp_part
    f, s, mode = c["f"], c["stride"], c["mode"]
    reached = (np.abs(rec) > 1e-12)
    if mode == "max":
        tie = _pool_ties_hint(ctx, f, s)
        if tie:
            return tie
    if mode == "average" and np.allclose(rec, exp * f * f):
        return POOL_NOT_DIVIDED(f"your values are f*f = {f * f} times too large: the gradient was not divided; average pooling "
                f"shares each window's gradient equally among its {f * f} inputs (as distribute_value does)")
    cover = _coverage(exp.shape[1], exp.shape[2], f, 0, s) > 0
    if mode == "average" and f > 1 and np.count_nonzero(reached) < 0.5 * np.count_nonzero(np.broadcast_to(cover[None, :, :, None], exp.shape)):
        return POOL_MODE(f"only {np.count_nonzero(reached)} of the {exp.size} inputs received gradient, as in max pooling: "
                f"is mode ignored? Average pooling spreads each window's gradient over all of its f*f = {f * f} inputs")
    if mode == "max" and f > 1 and np.count_nonzero(reached) > np.count_nonzero(np.abs(exp) > 1e-12) * 2:
        return POOL_MODE(f"{np.count_nonzero(reached)} of the {exp.size} inputs received gradient, as in average pooling: is "
                "mode ignored? Max pooling sends each window's gradient only to the input that was its maximum")
    return _window_size_hint(ctx, f, 0, s) or _overlap_hint(ctx, f, 0, s) or _stride_hint(ctx, f, 0, s)


@fallback
@WHERE
def _pool_general(ctx: Context) -> Optional[str]:
    """Where the first wrong value is and which windows cover it: no recipe."""
    if not _same_shape(ctx):
        return None
    c = ctx.case
    f, s, mode = c["f"], c["stride"], c["mode"]
    i, r, q, ch = _first_wrong(ctx)
    dA = ctx.args[0]
    rows, cols = _windows_over(r, dA.shape[1], f, 0, s), _windows_over(q, dA.shape[2], f, 0, s)
    share = ("all of it if this input is that window's first maximum (row-major), nothing otherwise" if mode == "max"
             else f"1/(f*f) = 1/{f * f} of it")
    return (f"dA_prev[{i}, {r}, {q}, {ch}] is wrong. That input lies in the windows of output rows {rows} and "
            f"columns {cols} (f = {f}, stride = {s}); from each of them it must receive its share of THAT window's "
            f"gradient dA[{i}, h, w, {ch}] ({mode} pooling: {share}), added up. The helper functions' tests must "
            "pass first")


register(FunctionSpec("pool_backward", _pool_args, arg_names=("dA", "cache", "mode"),
                      uses=("create_mask_from_window", "distribute_value"),
                      hints=[_pool_hint, _pool_general]))
