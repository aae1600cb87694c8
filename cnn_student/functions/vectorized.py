"""05_vectorized: conv_forward_fast, pool_forward_fast, conv_backward_fast, pool_backward_fast.

Each fast function takes the arguments and returns the results of its loop version, so it reuses
that version's FunctionSpec (inputs, part names, hints) and is checked against the loop reference
of its own notebook. The hints added here come first: they name the mistakes of vectorized code
(a window view that ignores the stride, einsum subscripts in the wrong order, reductions over the
wrong axes, overlapping windows written instead of added).
"""
from __future__ import annotations

from itertools import combinations, permutations
from typing import Optional

import numpy as np

from ..spec import SPECS, Context, FunctionSpec, Hint, cause, register
from . import backprop as _backprop
from . import conv_forward as _conv_forward  # noqa: F401  (registers the loop specs reused here)
from . import pool_forward as _pool_forward  # noqa: F401
from ._hints import out_size, padded_hw

VIEW_LAYOUT = ("a window view taken over height and width (axes 1 and 2) has the window's own two axes "
               "last: (m, n_H, n_W, n_C, f, f)")


VIEW_STRIDE = cause("vectorized.view_ignores_stride", "the window view is not subsampled with the stride")
VIEW_PADDING = cause("vectorized.view_of_unpadded_input", "the window view is taken of the unpadded input")
EINSUM_AXES = cause("vectorized.filter_axes_mismatched", "the window's axes are paired with the wrong axes of W "
                                                         "(einsum subscripts in the wrong order)")
REDUCE_AXES = cause("vectorized.reduced_wrong_axes", "the window view is reduced over the wrong axes")
FANCY_OVERLAP = cause("vectorized.overlaps_written", "overlapping windows' gradients are written through repeated "
                                                     "indices instead of added")


def _received_array(ctx: Context) -> Optional[np.ndarray]:
    rec = ctx.rec_part
    return rec if isinstance(rec, np.ndarray) and rec.dtype.kind in "biuf" else None


def window_stride_hint(ctx: Context, pad: int = 0) -> Optional[str]:
    """The output has the stride-1 size: the window view was not subsampled with the stride."""
    c, rec = ctx.case, _received_array(ctx)
    if rec is None or rec.ndim != 4 or c["stride"] == 1 or rec.shape == np.shape(ctx.exp_part):
        return None
    if rec.shape[1:3] == (out_size(c["H"], c["f"], pad, 1), out_size(c["W"], c["f"], pad, 1)):
        return VIEW_STRIDE(f"the output is {rec.shape[1]} x {rec.shape[2]}, the size for stride 1: the window view holds the "
                f"windows at every position, and with stride = {c['stride']} only one in {c['stride']} of them, "
                "along height and along width, is an output position")
    return None


def _conv_padding(ctx: Context) -> Optional[str]:
    """Z has the size of an unpadded convolution: the window view was taken of A_prev, not of its padded copy."""
    c, rec = ctx.case, _received_array(ctx)
    if ctx.part != "Z" or rec is None or rec.ndim != 4 or c["pad"] == 0 or rec.shape == np.shape(ctx.exp_part):
        return None
    if rec.shape[1:3] == (out_size(c["H"], c["f"], 0, c["stride"]), out_size(c["W"], c["f"], 0, c["stride"])):
        return VIEW_PADDING(f"the output size ignores the padding: Z is {rec.shape[1]} x {rec.shape[2]}, the size of an "
                f"unpadded input; the windows are taken on the input padded by pad = {c['pad']} on height and width")
    return None


def _patch_value(A_pad: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pos: tuple) -> float:
    i, h, w, n = pos
    f = W.shape[0]
    top, left = h * stride, w * stride
    return float(np.tensordot(A_pad[i, top:top + f, left:left + f, :], W[..., n], axes=3) + b.reshape(-1)[n])


def _conv_filter_axes(ctx: Context) -> Optional[str]:
    """Z is what a filter with its (f, f, n_C_prev) axes permuted would give: einsum subscripts in the wrong order."""
    rec = _received_array(ctx)
    if ctx.part != "Z" or rec is None or rec.shape != np.shape(ctx.exp_part) or rec.size == 0:
        return None
    A_prev, W, b, hp = ctx.args
    p, s = hp["pad"], hp["stride"]
    A_pad = padded_hw(A_prev, p)
    last = tuple(d - 1 for d in rec.shape)
    positions = [(0, 0, 0, 0), last, tuple(d // 2 for d in rec.shape)]
    for perm in permutations(range(3)):
        if perm == (0, 1, 2) or W.transpose(*perm, 3).shape != W.shape:
            continue
        Wp = W.transpose(*perm, 3)
        if all(np.isclose(rec[q], _patch_value(A_pad, Wp, b, s, q)) for q in positions):
            return EINSUM_AXES("the window's axes are paired with the wrong axes of W, as if the filter were transposed "
                    f"(its axes in the order {perm}): {VIEW_LAYOUT}, while W is (f, f, n_C_prev, n_C); the "
                    "window's row axis meets W's axis 0, its column axis W's axis 1, its channel axis W's axis 2")
    return None


def _pool_reduce_axes(ctx: Context) -> Optional[str]:
    """The result has the shape of the window view reduced over some other pair of axes."""
    rec = _received_array(ctx)
    if ctx.part != "A" or rec is None or rec.shape == np.shape(ctx.exp_part):
        return None
    c = ctx.case
    view = (c["m"], out_size(c["H"], c["f"], 0, c["stride"]), out_size(c["W"], c["f"], 0, c["stride"]),
            c["C"], c["f"], c["f"])
    full = (c["m"], out_size(c["H"], c["f"], 0, 1), out_size(c["W"], c["f"], 0, 1), c["C"], c["f"], c["f"])
    for shape in (view, full):
        for axes in [(k,) for k in range(6)] + list(combinations(range(6), 2)):
            kept = tuple(d for k, d in enumerate(shape) if k not in axes)
            if axes != (4, 5) and rec.shape == kept:
                return REDUCE_AXES(f"you reduced over the wrong axes of the window view, axes {axes} (your result has shape "
                        f"{rec.shape}): {VIEW_LAYOUT}, so a window is its last two axes, 4 and 5")
    return None


def overlap_add_hint(ctx: Context, pad: int) -> Optional[str]:
    """Wrong only where windows overlap: the windows' gradients were written, not added up."""
    c = ctx.case
    if ctx.part not in ("dA_prev", "return value") or not _backprop._overlap_hint(ctx, c["f"], pad, c["stride"]):
        return None
    return FANCY_OVERLAP(f"the inputs that one window reaches are right, but those reached by several overlapping windows "
            f"(f = {c['f']} > stride = {c['stride']}) are wrong: their gradients must add up. Writing through "
            "fancy indices that repeat (with = and even with +=) keeps only one of the writes to a repeated "
            "index; NumPy's unbuffered np.add.at accumulates them, and so does adding the f*f window offsets "
            "one at a time, each offset's windows not overlapping each other")


def _unless(first: Hint, hint: Hint) -> Hint:
    """`hint`, silent when `first` already explained the result (no loop-worded repeat of it)."""
    def wrapped(ctx: Context) -> Optional[str]:
        return None if first(ctx) else hint(ctx)
    wrapped.fallback = getattr(hint, "fallback", False)  # type: ignore[attr-defined]
    return wrapped


def _fast(name: str, loop: str, where: str, hints: list[Hint], exclusive: bool = False) -> FunctionSpec:
    """Register `name` with the loop version's spec; `exclusive`: the loop hints speak only when ours do not."""
    base = SPECS[loop]
    rest = [_unless(hints[0], h) for h in base.hints] if exclusive else base.hints
    return register(FunctionSpec(name, base.make_args, parts=base.parts, arg_names=base.arg_names,
                                 hints=hints + rest, reference=(where, loop), exact=base.exact))


_fast("conv_forward_fast", "conv_forward", "01_conv_forward",
      [lambda ctx: window_stride_hint(ctx, ctx.case["pad"]) if ctx.part == "Z" else None, _conv_padding,
       _conv_filter_axes])
_fast("pool_forward_fast", "pool_forward", "02_pool_forward",
      [lambda ctx: window_stride_hint(ctx) if ctx.part == "A" else None, _pool_reduce_axes])
_fast("conv_backward_fast", "conv_backward", "03_backprop", [lambda ctx: overlap_add_hint(ctx, ctx.case["pad"])],
      exclusive=True)
_fast("pool_backward_fast", "pool_backward", "03_backprop", [lambda ctx: overlap_add_hint(ctx, 0)], exclusive=True)
