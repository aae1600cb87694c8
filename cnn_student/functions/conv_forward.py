"""01_conv_forward: zero_pad, conv_single_step, conv_forward."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, FunctionSpec, cause, fallback, register
from ._hints import cache_hint, per_channel_hint, window_position_hint, window_shape_hint


# ---------- zero_pad(X, pad); case {"shape": [m, H, W, C], "pad": p, "seed": s}
PAD_ALL_AXES = cause("zero_pad.all_axes", "every axis is padded, the examples and channels too")
PAD_ONE_SIDE = cause("zero_pad.one_side", "only one side of height and width is padded")
PAD_WRONG_AXES = cause("zero_pad.wrong_axes", "the padding is on the wrong axes (NHWC: height is axis 1, width axis 2)")
PAD_SHAPE = cause("zero_pad.shape", "the padded array has a wrong shape", specific=False)
PAD_BORDER = cause("zero_pad.border_not_zero", "the border holds values other than zeros")
PAD_MOVED = cause("zero_pad.values_moved", "the original values are moved or changed inside the padded array")
def _zero_pad_args(case: dict, rng: np.random.Generator) -> tuple:
    return rng.standard_normal(case["shape"]), case["pad"]


def _zero_pad_shape(ctx: Context) -> Optional[str]:
    (m, H, W, C), p = ctx.case["shape"], ctx.case["pad"]
    rec, want = ctx.received, (m, H + 2 * p, W + 2 * p, C)
    if not isinstance(rec, np.ndarray) or rec.shape == want:
        return None
    keep = (f"only height (axis 1) and width (axis 2) grow, by pad = {p} on each side, to {want}; the examples "
            f"(axis 0, size {m}) and channels (axis 3, size {C}) keep their sizes")
    if rec.shape == (m + 2 * p, H + 2 * p, W + 2 * p, C + 2 * p):
        return PAD_ALL_AXES(f"you padded every axis, including the examples and the channels, to {rec.shape}: {keep}")
    if rec.shape == (m, H + p, W + p, C):
        return PAD_ONE_SIDE(f"you padded only one side of height and width ({H} -> {H + p}): pad = {p} zeros go on both "
                f"sides, top and bottom, left and right, so {H} -> {H + 2 * p}")
    if rec.shape == (m + 2 * p, H + 2 * p, W, C) or rec.shape == (m, H, W + 2 * p, C + 2 * p):
        return PAD_WRONG_AXES(f"the padding is on the wrong axes (NHWC: axis 1 is height, axis 2 is width), giving {rec.shape}: {keep}")
    return PAD_SHAPE(f"the padded array has shape {rec.shape}: {keep}")


def _zero_pad_values(ctx: Context) -> Optional[str]:
    rec, exp, p = ctx.received, ctx.expected, ctx.case["pad"]
    if not isinstance(rec, np.ndarray) or rec.shape != exp.shape or p == 0:
        return None
    border = np.ones(exp.shape, bool)
    border[:, p:-p, p:-p, :] = False
    if np.allclose(rec[~border], exp[~border]) and not np.allclose(rec[border], 0):
        value = rec[border][~np.isclose(rec[border], 0)][0]
        return PAD_BORDER(f"the border (the outer {p} rows and columns) must be zeros; yours holds other values, "
                f"e.g. {value:.4g}")
    if not np.allclose(rec[~border], exp[~border]):
        return PAD_MOVED(f"the original values must sit unchanged in the middle, starting {p} rows down and {p} "
                f"columns right of the top-left corner, with nothing moved or rescaled")
    return None


register(FunctionSpec("zero_pad", _zero_pad_args, arg_names=("X", "pad"),
                      hints=[_zero_pad_shape, _zero_pad_values]))


# ---------- conv_single_step(a_slice_prev, W, b); case {"f": f, "C": n_C_prev, "seed": s}
STEP_NOT_NUMBER = cause("conv_single_step.not_a_number", "returns something other than one number")
STEP_ARRAY = cause("conv_single_step.returns_array", "returns an array: adding b of shape (1, 1, 1) broadcasts the sum")
STEP_NO_BIAS = cause("conv_single_step.missing_bias", "the bias is not added")
STEP_MEAN = cause("conv_single_step.mean_not_sum", "the products are averaged instead of added")
STEP_BIAS_EACH = cause("conv_single_step.bias_in_every_product", "the bias is added to every product, not once")
STEP_SUM_PRODUCT = cause("conv_single_step.product_of_sums", "the sum of the slice is multiplied by the sum of W")
def _single_step_args(case: dict, rng: np.random.Generator) -> tuple:
    f, C = case["f"], case["C"]
    return rng.standard_normal((f, f, C)), rng.standard_normal((f, f, C)), rng.standard_normal((1, 1, 1))


def _single_step_hint(ctx: Context) -> Optional[str]:
    a, W, b = ctx.args
    rec_arr = np.asarray(ctx.received) if not isinstance(ctx.received, (str, dict, tuple, list)) else None
    if rec_arr is None or rec_arr.dtype.kind not in "biuf":
        return STEP_NOT_NUMBER(f"return one number (a float or a NumPy scalar), not {type(ctx.received).__name__}")
    if rec_arr.ndim > 0:
        return STEP_ARRAY(f"you returned an array of shape {rec_arr.shape}, not a number: b has shape (1, 1, 1), and "
                "adding it to a number broadcasts the number into an array of that shape; add b's one value "
                "as a number instead (the notebook's note on NumPy scalars)")
    rec = float(rec_arr)
    s = float(np.sum(a * W))
    bias = float(b.reshape(()))
    n = a.size
    if np.isclose(rec, s):
        return STEP_NO_BIAS(f"the bias b is missing: your value is the sum of the {n} products alone, {s:.6g}; b = {bias:.6g}")
    if np.isclose(rec, float(np.mean(a * W)) + bias) or np.isclose(rec, float(np.mean(a * W))):
        return STEP_MEAN(f"you averaged the {n} products (their sum divided by {n}); convolution adds them up")
    if np.isclose(rec, float(np.sum(a * W + bias))):
        return STEP_BIAS_EACH(f"the bias was added {n} times, once to every product: it belongs to the filter, added once "
                "to the sum")
    if np.isclose(rec, float(np.sum(a)) * float(np.sum(W)) + bias):
        return STEP_SUM_PRODUCT("you multiplied the sum of the slice by the sum of W: each value of the slice is multiplied by "
                "the weight at the same position, and those products are added")
    return None


register(FunctionSpec("conv_single_step", _single_step_args, arg_names=("a_slice_prev", "W", "b"),
                      hints=[_single_step_hint]))


# ---------- conv_forward(A_prev, W, b, hparameters)
# case {"m", "H", "W", "C", "f", "n_C", "pad", "stride", "seed"}
CONV_NO_BIAS = cause("conv_forward.missing_bias", "the bias is not added")
CONV_BIAS_0 = cause("conv_forward.bias_of_filter_0", "every filter uses the bias of filter 0")
CONV_BIAS_TWICE = cause("conv_forward.bias_twice", "the bias is added twice")
CONV_BIAS_WRONG = cause("conv_forward.wrong_bias", "each output channel gets another filter's bias")
CONV_PADDED_VALUES = cause("conv_forward.padded_window_values", "right shape, wrong values: the windows on the "
                                                                 "padded input are not the ones the output needs",
                           specific=False)
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
        return CONV_NO_BIAS("the bias is missing: every value of output channel c is short of exactly the bias of filter c "
                f"(channel 0 by {float(b[0, 0, 0, 0]):.4g})")
    if np.allclose(diff, b - b[..., :1]):
        return CONV_BIAS_0("every filter used the bias of filter 0: output channel c must get the bias of filter c "
                "(the last axis of b)")
    if np.allclose(diff, -b):
        return CONV_BIAS_TWICE("the bias was added twice: every value of channel c is one bias of filter c too high")
    if np.allclose(diff.std(axis=(0, 1, 2)), 0) and not np.allclose(diff, 0):
        return CONV_BIAS_WRONG("each output channel is off by one constant: the bias added to channel c is not the bias of "
                "filter c")
    return None


@fallback
@CONV_PADDED_VALUES
def _conv_pad(ctx: Context) -> Optional[str]:
    c = ctx.case
    if ctx.part != "Z" or c["pad"] == 0 or not isinstance(ctx.rec_part, np.ndarray) \
            or ctx.rec_part.shape != ctx.exp_part.shape:
        return None
    i, h, w, k = (int(x) for x in np.argwhere(~np.isclose(ctx.rec_part, ctx.exp_part))[0])
    return (f"the shape is right but the values are not, first at Z[{i}, {h}, {w}, {k}]: that value is filter "
            f"{k} applied to the window of example {i} at rows {h * c['stride']} to {h * c['stride'] + c['f'] - 1} "
            f"of the padded input (pad = {c['pad']}), whose first {c['pad']} rows and columns are zeros")


register(FunctionSpec("conv_forward", _conv_args, parts=("Z", "cache"),
                      arg_names=("A_prev", "W", "b", "hparameters"), uses=("zero_pad", "conv_single_step"),
                      hints=[_conv_shape, _conv_bias, window_position_hint,
                             lambda ctx: per_channel_hint(ctx, "output channel c comes from filter c alone, its weights and its "
                                                              "bias (the last axis of W and of b)")
                             if ctx.part == "Z" else None,
                             _conv_pad,
                             lambda ctx: cache_hint(ctx, "(A_prev, W, b, hparameters)")]))
