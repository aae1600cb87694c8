"""02_pool_forward: pool_forward with modes "max" and "average"."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, FunctionSpec, register
from ._hints import cache_hint, per_channel_hint, window_position_hint, window_shape_hint


# case {"m", "H", "W", "C", "f", "stride", "mode", "seed"}; standard normal inputs have no ties
def _pool_args(case: dict, rng: np.random.Generator) -> tuple:
    A = rng.standard_normal((case["m"], case["H"], case["W"], case["C"]))
    return A, {"f": case["f"], "stride": case["stride"]}, case["mode"]


def _pool_shape(ctx: Context) -> Optional[str]:
    c = ctx.case
    return window_shape_hint(ctx, c["H"], c["W"], c["f"], 0, c["stride"], "A") if ctx.part == "A" else None


def _pool_mode(ctx: Context) -> Optional[str]:
    rec, exp = ctx.rec_part, ctx.exp_part
    if ctx.part != "A" or not isinstance(rec, np.ndarray) or rec.shape != exp.shape:
        return None
    f, mode, A_prev = ctx.case["f"], ctx.case["mode"], ctx.args[0]
    if mode == "average" and np.allclose(rec, exp * f * f):
        return "you summed each window; average pooling divides the sum by f * f (np.mean)"
    if mode == "average" and np.all(np.isin(rec, A_prev)):
        return "every value you returned is one of the inputs, as max pooling gives: is mode='average' ignored?"
    if mode == "max" and not np.all(np.isin(rec, A_prev)):
        return "max pooling returns one of the inputs of each window; your values are not inputs: is mode ignored?"
    if mode == "max" and np.all(rec <= exp + 1e-12):
        return "your values are inputs but not the largest of their window: use np.max over the window"
    return None


def _pool_channels(ctx: Context) -> Optional[str]:
    if ctx.part != "A":
        return None
    rec = ctx.rec_part
    if isinstance(rec, np.ndarray) and rec.shape == ctx.exp_part.shape and rec.ndim == 4:
        A_prev = ctx.args[0]
        for c in range(rec.shape[-1]):
            if not np.all(np.isin(rec[..., c], A_prev[..., c])) and np.all(np.isin(rec[..., c], A_prev)) \
                    and ctx.case["mode"] == "max":
                return ("a value in channel %d comes from another channel: pooling acts on each channel "
                        "separately, A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]" % c)
    return per_channel_hint(ctx, "pool each channel c on its own: a_prev_slice[:, :, c]")


register(FunctionSpec("pool_forward", _pool_args, parts=("A", "cache"),
                      arg_names=("A_prev", "hparameters", "mode"),
                      hints=[_pool_shape, _pool_mode, _pool_channels, window_position_hint,
                             lambda ctx: cache_hint(ctx, "(A_prev, hparameters)")]))
