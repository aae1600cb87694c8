"""03_backprop: conv_backward, create_mask_from_window, distribute_value, pool_backward.

Case dicts (the vectorized notebook 05 reuses these specs):
- conv_backward: {"m", "H", "W", "C", "f", "n_C", "pad", "stride", "seed"}; args (dZ, cache) with
  cache = (A_prev, W, b, {"stride", "pad"}); A_prev, W, b drawn as for conv_forward, then dZ.
- create_mask_from_window: {"f": f} for an f x f window or {"shape": [n_H, n_W]}, a "seed", and an
  optional "offset" added to every value (offset -5 makes the maximum negative).
- distribute_value: {"dz": number, "shape": [n_H, n_W]}; no randomness.
- pool_backward: {"m", "H", "W", "C", "f", "stride", "mode", "seed"}; args (dA, cache, mode) with
  cache = (A_prev, {"f", "stride"}); A_prev drawn as for pool_forward, then dA.
Standard normal values have no ties, so any correct routing of a max window gets full marks.

The hints look only at the geometry of the windows and at simple transforms of the expected
result; they never compute a gradient themselves (students can read this package).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, FunctionSpec, fallback, register
from ._hints import out_size


# ---------- window geometry shared by the conv and pool hints
def _coverage_1d(n: int, f: int, pad: int, stride: int, starts_step: Optional[int] = None) -> np.ndarray:
    """How many windows cover each of the n input positions (padding cropped)."""
    n_out = out_size(n, f, pad, stride)
    count = np.zeros(n + 2 * pad, int)
    step = stride if starts_step is None else starts_step
    for k in range(n_out):
        count[k * step:k * step + f] += 1
    return count[pad:pad + n]


def _coverage(H: int, W: int, f: int, pad: int, stride: int, starts_step: Optional[int] = None) -> np.ndarray:
    """(H, W) count of the windows that cover each input position."""
    return np.outer(_coverage_1d(H, f, pad, stride, starts_step), _coverage_1d(W, f, pad, stride, starts_step))


def _same_shape(ctx: Context) -> bool:
    return isinstance(ctx.rec_part, np.ndarray) and ctx.rec_part.shape == np.shape(ctx.exp_part) \
        and ctx.rec_part.dtype.kind in "biuf"


def _overlap_hint(ctx: Context, f: int, pad: int, stride: int, what: str) -> Optional[str]:
    """Wrong only where several windows overlap: the gradients were assigned, not added up."""
    if not _same_shape(ctx) or f <= stride:
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    wrong = ~np.all(np.isclose(rec, exp), axis=(0, 3))
    cover = _coverage(exp.shape[1], exp.shape[2], f, pad, stride)
    if wrong.any() and np.all(cover[wrong] >= 2):
        return (f"the inputs that one window reaches are right, but those reached by several overlapping "
                f"windows (f = {f} > stride = {stride}) are wrong: add each window's gradient with += "
                f"({what} += ...), do not assign it with =")
    return None


def _stride_hint(ctx: Context, f: int, pad: int, stride: int) -> Optional[str]:
    """Nothing reaches the inputs that only windows moved by the stride cover: the stride is ignored."""
    if not _same_shape(ctx) or stride == 1:
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    reach = _coverage(exp.shape[1], exp.shape[2], f, pad, stride, starts_step=1) > 0
    far = ~reach & (_coverage(exp.shape[1], exp.shape[2], f, pad, stride) > 0)
    if far.any() and np.allclose(rec[:, far, :], 0) and not np.allclose(exp[:, far, :], 0):
        return ("no gradient reached the bottom/right inputs that the later windows cover: the window of "
                "output position (h, w) starts at vert_start = h * stride (horiz_start = w * stride) and ends "
                "f further on, vert_end = vert_start + f")
    return None


def _shape_like(ctx: Context, like: str) -> Optional[str]:
    rec, exp = ctx.rec_part, ctx.exp_part
    if isinstance(rec, np.ndarray) and rec.shape != np.shape(exp):
        return f"{ctx.part} must have the shape of {like}, {np.shape(exp)}; yours has shape {rec.shape}"
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


CROP = "da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]"


def _conv_dA_prev(ctx: Context) -> Optional[str]:
    if ctx.part != "dA_prev":
        return None
    c = ctx.case
    p, rec, exp = c["pad"], ctx.rec_part, ctx.exp_part
    if isinstance(rec, np.ndarray) and rec.shape == (c["m"], c["H"] + 2 * p, c["W"] + 2 * p, c["C"]) and p:
        return f"dA_prev still has the padding: crop it off both sides, dA_prev[i] = {CROP}"
    if isinstance(rec, np.ndarray) and rec.shape != exp.shape:
        return (f"dA_prev must have the shape of A_prev, {exp.shape}; crop the padded gradient with {CROP}"
                + (" (a slice [pad:-pad] is empty when pad is 0)" if p == 0 else ""))
    if not _same_shape(ctx):
        return None
    if p and np.allclose(rec[:, p:, p:], exp[:, :-p, :-p]) and not np.allclose(rec, exp):
        return (f"dA_prev is shifted by pad: the padding must be cropped from both sides (top and left too): "
                f"{CROP}")
    return _overlap_hint(ctx, c["f"], p, c["stride"], "da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]") \
        or _stride_hint(ctx, c["f"], p, c["stride"])


def _last_slice_product(ctx: Context) -> np.ndarray:
    """dW if only the last (i, h, w) of the loops were kept: what assignment instead of += gives."""
    dZ, (A, W, b, hp) = ctx.args
    f, s, p = W.shape[0], hp["stride"], hp["pad"]
    h, w = dZ.shape[1] - 1, dZ.shape[2] - 1
    A_pad = np.pad(A, ((0, 0), (p, p), (p, p), (0, 0)))
    window = A_pad[-1, h * s:h * s + f, w * s:w * s + f, :]
    return window[..., None] * dZ[-1, h, w, :]


def _conv_dW(ctx: Context) -> Optional[str]:
    if ctx.part != "dW":
        return None
    shape = _shape_like(ctx, "W")
    if shape or not _same_shape(ctx):
        return shape
    rec, exp = ctx.rec_part, ctx.exp_part
    dZ, (A, W, b, hp) = ctx.args
    m = dZ.shape[0]
    if m > 1 and np.allclose(rec * m, exp):
        return "dW was divided by m: the gradient of this layer is a plain sum over examples and positions"
    if np.allclose(rec * dZ[0, ..., 0].size * m, exp):
        return "dW was averaged over the positions: it is a sum, dW[:, :, :, c] += a_slice * dZ[i, h, w, c]"
    if np.allclose(rec, _last_slice_product(ctx)):
        return ("dW holds only the last position's product: add every position's with "
                "dW[:, :, :, c] += a_slice * dZ[i, h, w, c], do not assign it")
    if np.allclose(rec, W * dZ.sum(axis=(0, 1, 2))):
        return ("dW is a multiple of W: the weights' gradient gathers the INPUT slices, "
                "dW[:, :, :, c] += a_slice * dZ[i, h, w, c] (and dA_prev gathers W)")
    return None


def _conv_db(ctx: Context) -> Optional[str]:
    if ctx.part != "db":
        return None
    shape = _shape_like(ctx, "b")
    if shape:
        return shape + ": keep the four axes, e.g. db[:, :, :, c] += dZ[i, h, w, c]"
    if not _same_shape(ctx):
        return None
    rec, exp = ctx.rec_part, ctx.exp_part
    dZ = ctx.args[0]
    m, n_H, n_W, _ = dZ.shape
    if np.allclose(rec * m * n_H * n_W, exp) or np.allclose(rec, dZ.mean(axis=(0, 1, 2))):
        return "db was averaged: it is the SUM of dZ over examples and positions, one value per filter"
    if m > 1 and np.allclose(rec * m, exp):
        return "db was divided by m: it is the plain sum of dZ over examples and positions"
    if m > 1 and np.allclose(rec.reshape(-1), dZ[-1].sum(axis=(0, 1))):
        return "db holds only the last example: it sums dZ over ALL examples (add with +=, never reset it per example)"
    if np.allclose(rec.reshape(-1), dZ[-1, -1, -1]):
        return "db holds only the last position: add every dZ[i, h, w, c] with +=, do not assign it"
    if np.allclose(rec, dZ.sum()):
        return "every filter got the same db, the sum of all of dZ: sum each filter's channel on its own"
    return None


@fallback
def _conv_general(ctx: Context) -> Optional[str]:
    formulas = {
        "dA_prev": "every output value (i, h, w, c) ADDS its contribution, with += (never =: windows overlap "
                   "and all n_C filters touch the same inputs): da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += "
                   "W[:, :, :, c] * dZ[i, h, w, c], with vert_start = h * stride on the PADDED input; then "
                   f"dA_prev[i] = {CROP}",
        "dW": "for each (i, h, w, c): dW[:, :, :, c] += a_slice * dZ[i, h, w, c], where a_slice is the window "
              "of the PADDED input a_prev_pad = A_prev_pad[i] (the same slice as in conv_forward)",
        "db": "db[:, :, :, c] += dZ[i, h, w, c] for every example and position",
    }
    return formulas.get(ctx.part)


register(FunctionSpec("conv_backward", _conv_args, parts=("dA_prev", "dW", "db"),
                      arg_names=("dZ", "cache"), hints=[_conv_dA_prev, _conv_dW, _conv_db, _conv_general]))


# ---------- create_mask_from_window(x)
def _mask_args(case: dict, rng: np.random.Generator) -> tuple:
    shape = tuple(case["shape"]) if "shape" in case else (case["f"], case["f"])
    return (rng.standard_normal(shape) + case.get("offset", 0.0),)


def _mask_hint(ctx: Context) -> Optional[str]:
    x = ctx.args[0]
    rec = ctx.received
    if not isinstance(rec, np.ndarray) or rec.shape != x.shape:
        return (f"return an array shaped like x, {x.shape}, True where x equals its maximum (x == np.max(x)); "
                "np.argmax gives a position, not a mask")
    if rec.dtype.kind not in "biuf":
        return None
    picks = rec.astype(bool)
    candidates = [
        (x == np.min(x), "your mask marks the minimum: max pooling routes the gradient to the largest value, x == np.max(x)"),
        (x > 0, "your mask marks the positive values, as ReLU's would; max pooling marks only the largest value, x == np.max(x)"),
        (np.abs(x) == np.max(np.abs(x)), "your mask marks the largest absolute value; compare x itself with np.max(x)"),
        (x == np.max(x, axis=0), "your mask has one True per column: take the maximum of the whole window, np.max(x) with no axis"),
        (x == np.max(x, axis=1, keepdims=True), "your mask has one True per row: take the maximum of the whole window, np.max(x) with no axis"),
    ]
    for mask, text in candidates:
        if np.array_equal(picks, mask):
            return text
    if picks.all():
        return "every entry is True: only the maximum of the window gets the gradient, x == np.max(x)"
    return None


register(FunctionSpec("create_mask_from_window", _mask_args, arg_names=("x",), hints=[_mask_hint], exact=True))


# ---------- distribute_value(dz, shape)
def _distribute_args(case: dict, rng: np.random.Generator) -> tuple:
    return case["dz"], tuple(case["shape"])


def _distribute_hint(ctx: Context) -> Optional[str]:
    dz, (n_H, n_W) = ctx.args
    rec = ctx.received
    if not isinstance(rec, np.ndarray) or rec.shape != (n_H, n_W):
        return f"return an array of the given shape {(n_H, n_W)}, every entry dz / (n_H * n_W): np.full(shape, dz / (n_H * n_W))"
    value = float(rec.reshape(-1)[0])
    if not np.allclose(rec, value):
        return "every entry must be the same, dz / (n_H * n_W): average pooling weighs its inputs equally"
    for count, text in ((1, "dz was not divided"), (n_H + n_W, "you divided by n_H + n_W"),
                        (n_H, "you divided by n_H only"), (n_W, "you divided by n_W only"),
                        (n_H * n_H, "you divided by n_H * n_H, as if the window were square"),
                        (1 / (n_H * n_W), "you multiplied by the number of entries")):
        if np.isclose(value, dz / count):
            return f"{text}: the window has n_H * n_W = {n_H * n_W} entries, each gets dz / {n_H * n_W}"
    return None


register(FunctionSpec("distribute_value", _distribute_args, arg_names=("dz", "shape"), hints=[_distribute_hint]))


# ---------- pool_backward(dA, cache, mode)
def _pool_args(case: dict, rng: np.random.Generator) -> tuple:
    m, H, W, C, f, s = case["m"], case["H"], case["W"], case["C"], case["f"], case["stride"]
    A = rng.standard_normal((m, H, W, C))
    dA = rng.standard_normal((m, out_size(H, f, 0, s), out_size(W, f, 0, s), C))
    return dA, (A, {"f": f, "stride": s}), case["mode"]


def _pool_hint(ctx: Context) -> Optional[str]:
    shape = _shape_like(ctx, "A_prev")
    if shape:
        return shape + ": start from dA_prev = np.zeros(A_prev.shape)"
    if not _same_shape(ctx):
        return None
    c, rec, exp = ctx.case, ctx.rec_part, ctx.exp_part
    f, s, mode = c["f"], c["stride"], c["mode"]
    reached = (np.abs(rec) > 1e-12)
    if mode == "average" and np.allclose(rec, exp * f * f):
        return "the gradient was not divided: average pooling gives each of the f * f inputs dz / (f * f) (distribute_value)"
    cover = _coverage(exp.shape[1], exp.shape[2], f, 0, s) > 0
    if mode == "average" and f > 1 and np.count_nonzero(reached) < 0.5 * np.count_nonzero(np.broadcast_to(cover[None, :, :, None], exp.shape)):
        return ("only a few inputs received gradient, as in max pooling: is mode ignored? Average pooling "
                "spreads each window's gradient over all of its f * f inputs")
    if mode == "max" and f > 1 and np.count_nonzero(reached) > np.count_nonzero(np.abs(exp) > 1e-12) * 2:
        return ("almost every input received gradient, as in average pooling: is mode ignored? Max pooling "
                "sends each window's gradient only to the input that was its maximum")
    return _overlap_hint(ctx, f, 0, s, "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]") \
        or _stride_hint(ctx, f, 0, s)


@fallback
def _pool_general(ctx: Context) -> Optional[str]:
    mode = ctx.case["mode"]
    how = ("create_mask_from_window(a_prev_slice) * dA[i, h, w, c], with a_prev_slice the window of A_prev"
           if mode == "max" else "distribute_value(dA[i, h, w, c], (f, f))")
    return (f"for each output position (i, h, w, c) add {how} to dA_prev[i, vert_start:vert_end, "
            "horiz_start:horiz_end, c]: the window starts at h * stride, ends f further on, and takes the "
            "gradient dA[i, h, w, c] of ITS output position; the helper functions' tests must pass first")


register(FunctionSpec("pool_backward", _pool_args, arg_names=("dA", "cache", "mode"),
                      hints=[_pool_hint, _pool_general]))
