"""Hints shared by several topics: output sizes and where in a sliding-window output it goes wrong.

Every hint names what is wrong, where and why, with the numbers of the failing case, and may point
to a formula of the notebook's text; none holds code to paste (tests/test_leaks.py checks that no
line of a reference solution appears in this package)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..spec import Context, cause

SWAPPED = cause("output_size.height_width_swapped", "height and width of the output are swapped")
OFF_BY_ONE = cause("output_size.off_by_one", "the output size is off by one (the +1 for the first window, or rounding)")
NO_STRIDE = cause("output_size.ignores_stride", "the output size ignores the stride")
NO_PADDING = cause("output_size.ignores_padding", "the output size ignores the padding")
EXAMPLES_AXIS = cause("output_size.examples_axis", "the examples axis (axis 0) changed size")
CHANNELS_AXIS = cause("output_size.channels_axis", "the channels axis (the last) has the wrong size")
OTHER_SHAPE = cause("output_size.other", "the output has a wrong shape that no simple slip explains", specific=False)
WINDOW_POSITION = cause("windows.position", "the first window is right, later ones are not: the windows do not move "
                                            "by the stride or do not span f")
CHANNEL_MIXUP = cause("channels.mixed", "output channels are not computed from their own filter or input channel")
CACHE = cause("cache.contents", "the cache does not hold the inputs as they were passed in")


def out_size(n: int, f: int, pad: int, stride: int) -> int:
    """How many windows of size f fit, moving by stride, on n positions padded on both sides."""
    return len(range(0, n + 2 * pad - f + 1, stride))


def padded_hw(A: np.ndarray, pad: int) -> np.ndarray:
    """A (m, H, W, C) with pad zeros around height and width: what the hints compare windows of."""
    out = np.zeros((A.shape[0], A.shape[1] + 2 * pad, A.shape[2] + 2 * pad) + A.shape[3:])
    out[:, pad:pad + A.shape[1], pad:pad + A.shape[2]] = A
    return out


def window_shape_hint(ctx: Context, H: int, W: int, f: int, pad: int, stride: int,
                      name: str) -> Optional[str]:
    """When the output has the wrong height or width, say which part of the formula is off."""
    rec = np.asarray(ctx.rec_part) if isinstance(ctx.rec_part, np.ndarray) else None
    exp = np.asarray(ctx.exp_part)
    if rec is None or rec.ndim != exp.ndim or rec.shape == exp.shape:
        return None
    n_H, n_W = exp.shape[1], exp.shape[2]
    formula = (f"n_H = floor((n_H_prev + 2*pad - f) / stride) + 1 = floor(({H} + 2*{pad} - {f}) / {stride}) + 1 = {n_H}"
               if pad else f"n_H = floor((n_H_prev - f) / stride) + 1 = floor(({H} - {f}) / {stride}) + 1 = {n_H}")
    rH, rW = rec.shape[1], rec.shape[2]
    if (rH, rW) == (n_W, n_H) and n_H != n_W:
        return SWAPPED(f"height and width are swapped in {name}: the output is (m, n_H, n_W, n_C); {formula}")
    if abs(rH - n_H) == 1 or abs(rW - n_W) == 1:
        return OFF_BY_ONE(f"the output size is off by one: yours is {rH} x {rW}, and {formula} (round down, then add 1 "
                "for the first window)")
    if stride > 1 and (rH, rW) == (out_size(H, f, pad, 1), out_size(W, f, pad, 1)):
        return NO_STRIDE(f"the output size ignores the stride: {formula}")
    if pad and (rH, rW) == (out_size(H, f, 0, stride), out_size(W, f, 0, stride)):
        return NO_PADDING(f"the output size ignores the padding: {formula}")
    if rec.shape[0] != exp.shape[0]:
        return EXAMPLES_AXIS(f"the first axis must stay the number of examples m = {exp.shape[0]}")
    if rec.shape[-1] != exp.shape[-1]:
        return CHANNELS_AXIS(f"the last axis must have {exp.shape[-1]} channels")
    return OTHER_SHAPE(f"the output must have shape {exp.shape}: {formula}")


@WINDOW_POSITION
def window_position_hint(ctx: Context) -> Optional[str]:
    """Right at the first window but wrong further on: the windows do not move by the stride."""
    rec, exp = ctx.rec_part, ctx.exp_part
    if not isinstance(rec, np.ndarray) or rec.shape != exp.shape or exp.ndim != 4:
        return None
    first_ok = np.allclose(rec[:, 0, 0, :], exp[:, 0, 0, :])
    if first_ok and not np.allclose(rec, exp):
        _, h, w, _ = (int(i) for i in np.argwhere(~np.isclose(rec, exp))[0])
        f, s, pad = ctx.case["f"], ctx.case["stride"], ctx.case.get("pad", 0)
        on = "padded input" if pad else "input"
        return (f"the first window is right but the one of output position (h={h}, w={w}) is not: the windows "
                f"move by stride = {s} and span f = {f}, so that one covers rows {h * s} to {h * s + f - 1} "
                f"and columns {w * s} to {w * s + f - 1} of the {on}")
    return None


@CHANNEL_MIXUP
def per_channel_hint(ctx: Context, what: str) -> Optional[str]:
    """Channel 0 right, the others wrong: the loop over channels does not index them."""
    rec, exp = ctx.rec_part, ctx.exp_part
    if not isinstance(rec, np.ndarray) or rec.shape != exp.shape or exp.ndim != 4 or exp.shape[-1] < 2:
        return None
    ok = [np.allclose(rec[..., c], exp[..., c]) for c in range(exp.shape[-1])]
    if ok[0] and not all(ok):
        return f"channel 0 is right but channel {ok.index(False)} is not: {what}"
    if all(np.allclose(rec[..., c], rec[..., 0]) for c in range(exp.shape[-1])) \
            and not np.allclose(exp[..., 0], exp[..., 1]):
        return f"every channel of your output holds the same values: {what}"
    return None


@CACHE
def cache_hint(ctx: Context, layout: str) -> Optional[str]:
    if ctx.part == "cache":
        return f"the cache must be exactly {layout}, holding the inputs as they were passed in (not padded copies)"
    return None
