"""01_conv_forward: zero_pad, conv_single_step, conv_forward."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, FunctionSpec, fallback, register
from ._hints import cache_hint, per_channel_hint, window_position_hint, window_shape_hint


# ---------- zero_pad(X, pad); case {"shape": [m, H, W, C], "pad": p, "seed": s}
def _zero_pad_args(case: dict, rng: np.random.Generator) -> tuple:
    return rng.standard_normal(case["shape"]), case["pad"]


def _zero_pad_shape(ctx: Context) -> Optional[str]:
    (m, H, W, C), p = ctx.case["shape"], ctx.case["pad"]
    rec = ctx.received
    if not isinstance(rec, np.ndarray) or rec.shape == (m, H + 2 * p, W + 2 * p, C):
        return None
    fix = "np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', constant_values=0)"
    if rec.shape == (m + 2 * p, H + 2 * p, W + 2 * p, C + 2 * p):
        return f"you padded every axis, including the examples and the channels; pad only height and width: {fix}"
    if rec.shape == (m, H + p, W + p, C):
        return f"you padded only one side of height and width; pad both sides: {fix}"
    if rec.shape == (m + 2 * p, H + 2 * p, W, C) or rec.shape == (m, H, W + 2 * p, C + 2 * p):
        return f"the pad widths are on the wrong axes (NHWC: axis 1 is height, axis 2 is width): {fix}"
    return f"the padded array must have shape (m, n_H + 2*pad, n_W + 2*pad, n_C) = {(m, H + 2 * p, W + 2 * p, C)}: {fix}"


def _zero_pad_values(ctx: Context) -> Optional[str]:
    rec, exp, p = ctx.received, ctx.expected, ctx.case["pad"]
    if not isinstance(rec, np.ndarray) or rec.shape != exp.shape or p == 0:
        return None
    border = np.ones(exp.shape, bool)
    border[:, p:-p, p:-p, :] = False
    if np.allclose(rec[~border], exp[~border]) and not np.allclose(rec[border], 0):
        return "the border must be zeros: use mode='constant' with constant_values=0"
    if not np.allclose(rec[~border], exp[~border]):
        return "the original values must sit in the middle, unchanged: X goes to [:, pad:-pad, pad:-pad, :]"
    return None


register(FunctionSpec("zero_pad", _zero_pad_args, arg_names=("X", "pad"),
                      hints=[_zero_pad_shape, _zero_pad_values]))


# ---------- conv_single_step(a_slice_prev, W, b); case {"f": f, "C": n_C_prev, "seed": s}
def _single_step_args(case: dict, rng: np.random.Generator) -> tuple:
    f, C = case["f"], case["C"]
    return rng.standard_normal((f, f, C)), rng.standard_normal((f, f, C)), rng.standard_normal((1, 1, 1))


def _single_step_hint(ctx: Context) -> Optional[str]:
    a, W, b = ctx.args
    rec_arr = np.asarray(ctx.received) if not isinstance(ctx.received, (str, dict, tuple, list)) else None
    if rec_arr is None or rec_arr.dtype.kind not in "biuf":
        return "return one number: np.sum(a_slice_prev * W) + b.item()"
    if rec_arr.ndim > 0:
        return ("you returned an array of shape %s, not a number: b has shape (1, 1, 1), so "
                "`... + b` makes an array; add b.item() (or float(b[0, 0, 0])) instead" % (rec_arr.shape,))
    rec = float(rec_arr)
    s = float(np.sum(a * W))
    bias = float(b.reshape(()))
    if np.isclose(rec, s):
        return "the bias b is missing: add it after the sum, Z = np.sum(a_slice_prev * W) + float(b)"
    if np.isclose(rec, float(np.mean(a * W)) + bias) or np.isclose(rec, float(np.mean(a * W))):
        return "you averaged the products; convolution sums them: np.sum(a_slice_prev * W)"
    if np.isclose(rec, float(np.sum(a * W + bias))):
        return "the bias was added to every product before summing; add it once, after the sum"
    if np.isclose(rec, float(np.sum(a)) * float(np.sum(W)) + bias):
        return "multiply element by element first (a_slice_prev * W), then sum"
    return None


register(FunctionSpec("conv_single_step", _single_step_args, arg_names=("a_slice_prev", "W", "b"),
                      hints=[_single_step_hint]))


# ---------- conv_forward(A_prev, W, b, hparameters)
# case {"m", "H", "W", "C", "f", "n_C", "pad", "stride", "seed"}
def _conv_args(case: dict, rng: np.random.Generator) -> tuple:
    A = rng.standard_normal((case["m"], case["H"], case["W"], case["C"]))
    W = rng.standard_normal((case["f"], case["f"], case["C"], case["n_C"]))
    b = rng.standard_normal((1, 1, 1, case["n_C"]))
    return A, W, b, {"stride": case["stride"], "pad": case["pad"]}


def _conv_shape(ctx: Context) -> Optional[str]:
    c = ctx.case
    return window_shape_hint(ctx, c["H"], c["W"], c["f"], c["pad"], c["stride"], "Z") if ctx.part == "Z" else None


def _conv_bias(ctx: Context) -> Optional[str]:
    if ctx.part != "Z" or not isinstance(ctx.rec_part, np.ndarray) or ctx.rec_part.shape != ctx.exp_part.shape:
        return None
    b = ctx.args[2]
    diff = ctx.exp_part - ctx.rec_part
    if np.allclose(diff, b):
        return "the bias is missing: each output value is conv_single_step(slice, W[..., c], b[..., c])"
    if np.allclose(diff, b - b[..., :1]):
        return "every filter used the bias of filter 0: use b[:, :, :, c] for filter c"
    if np.allclose(diff, -b):
        return "the bias was added twice"
    if np.allclose(diff.std(axis=(0, 1, 2)), 0) and not np.allclose(diff, 0):
        return "each filter's output is off by a constant: check which bias you add, b[:, :, :, c]"
    return None


@fallback
def _conv_pad(ctx: Context) -> Optional[str]:
    c = ctx.case
    if ctx.part != "Z" or c["pad"] == 0 or not isinstance(ctx.rec_part, np.ndarray) \
            or ctx.rec_part.shape != ctx.exp_part.shape:
        return None
    return ("the values are wrong though the shape is right: slice the padded input A_prev_pad "
            "(from zero_pad(A_prev, pad)), not A_prev, and slice example i of it")


register(FunctionSpec("conv_forward", _conv_args, parts=("Z", "cache"),
                      arg_names=("A_prev", "W", "b", "hparameters"),
                      hints=[_conv_shape, _conv_bias, window_position_hint,
                             lambda ctx: per_channel_hint(ctx, "filter c uses W[:, :, :, c] and b[:, :, :, c]")
                             if ctx.part == "Z" else None,
                             _conv_pad,
                             lambda ctx: cache_hint(ctx, "(A_prev, W, b, hparameters)")]))
