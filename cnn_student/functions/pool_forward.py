"""02_pool_forward: pool_forward with modes "max" and "average"."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, FunctionSpec, cause, register
from ._hints import cache_hint, per_channel_hint, window_position_hint, window_shape_hint


# case {"m", "H", "W", "C", "f", "stride", "mode", "seed"}; standard normal inputs have no ties
SUMMED = cause("pool_forward.average_as_sum", "average pooling sums each window instead of taking its mean")
MODE_IGNORED = cause("pool_forward.mode_ignored", "the mode argument is ignored (max where average is asked, or the reverse)")
NOT_MAX = cause("pool_forward.not_the_maximum", "max pooling keeps an input of the window that is not its largest")
OTHER_CHANNEL = cause("pool_forward.other_channel", "a window mixes values of several channels")


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
        return SUMMED(f"your values are f*f = {f * f} times too large: you summed each window; average pooling takes its mean")
    if mode == "average" and np.all(np.isin(rec, A_prev)):
        return MODE_IGNORED("every value you returned is one of the inputs, as max pooling gives: is mode='average' ignored?")
    if mode == "max" and not np.all(np.isin(rec, A_prev)):
        return MODE_IGNORED("max pooling returns one of the inputs of each window; your values are not inputs: is mode ignored?")
    if mode == "max" and np.all(rec <= exp + 1e-12):
        return NOT_MAX("your values are inputs of their windows but not the largest of them: max pooling keeps the maximum")
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
                return OTHER_CHANNEL(f"a value in output channel {c} comes from another channel: pooling acts on each "
                        f"channel separately, the window of channel {c} holds channel {c}'s values only")
    return per_channel_hint(ctx, "each channel is pooled on its own: output channel c is computed from input "
                                 "channel c only")


register(FunctionSpec("pool_forward", _pool_args, parts=("A", "cache"),
                      arg_names=("A_prev", "hparameters", "mode"),
                      hints=[_pool_shape, _pool_mode, _pool_channels, window_position_hint,
                             lambda ctx: cache_hint(ctx, "(A_prev, hparameters)")]))
