"""04_sharing_vs_sparsity: conv_param_count, dense_param_count, conv_multiply_adds, conv_as_matrix, and the
concept answers."""
from __future__ import annotations

from math import prod
from typing import Any, Optional

import numpy as np

from ..failures import plain
from ..protocol import grading, record
from ..serialize import encode
from ..spec import Context, FunctionSpec, cause, fallback, register
from ._hints import out_size


def _number(value: Any) -> Optional[int]:
    """The received value as an int when it is one number (int, float or NumPy scalar), else None."""
    if isinstance(value, (bool, str)) or value is None:
        return None
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if arr.ndim != 0 or arr.dtype.kind not in "iuf" or not np.isfinite(arr):
        return None
    return int(round(float(arr)))


NOT_A_NUMBER = cause("param_count.not_a_number", "returns something other than one whole number")


def _not_a_number_hint(ctx: Context) -> Optional[str]:
    if _number(ctx.received) is None:
        return NOT_A_NUMBER(f"return one whole number (an int), not {type(ctx.received).__name__}")
    return None


def known_slip(received: int, expected: Any, known: list) -> Optional[str]:
    """The first known slip's text whose count the student's equals (and the right count does not):
    `known` holds (count, cause, text) for each slip a count hint recognises."""
    for value, named, text in known:
        if received == value != expected:
            return named(text)
    return None


# ---------- conv_param_count(f, n_C_prev, n_C, groups=1); case {"f", "n_C_prev", "n_C"[, "groups"]}
# each count a known slip gives, with its cause (the hints compare the student's count with these)
CONV_NO_BIASES = cause("conv_param_count.no_biases", "the biases are not counted")
CONV_ONE_BIAS = cause("conv_param_count.one_bias", "one bias for the whole layer instead of one per filter")
CONV_BIAS_PER_INPUT_CHANNEL = cause("conv_param_count.bias_per_input_channel", "one bias per input channel instead of one per filter")
CONV_BIAS_PER_FILTER_AND_CHANNEL = cause("conv_param_count.bias_per_filter_and_channel", "one bias per filter and input channel")
CONV_ONE_FILTER = cause("conv_param_count.one_filter", "counts a single filter")
CONV_IGNORES_INPUT_CHANNELS = cause("conv_param_count.ignores_input_channels", "the filters' input channels are not counted")
CONV_NO_CHANNELS_NO_BIASES = cause("conv_param_count.no_channels_no_biases", "neither the input channels nor the biases are counted")
CONV_WINDOW_F_NOT_F_SQUARED = cause("conv_param_count.window_f_not_f_squared", "a window counted as f positions instead of f x f")
CONV_ADDED_DIMENSIONS = cause("conv_param_count.added_dimensions", "the filter's dimensions are added instead of multiplied")
CONV_F_PLUS_F = cause("conv_param_count.f_plus_f", "f + f instead of f x f")
CONV_WEIGHTS_OF_ONE_FILTER = cause("conv_param_count.weights_of_one_filter", "the weights of one filter only, with a bias per filter")
CONV_OTHER = cause("conv_param_count.other", "a wrong count that no known slip gives", specific=False)
# grouped convolutions (groups > 1): what a count that misreads the groups gives
CONV_GROUPS_IGNORED = cause("conv_param_count.groups_ignored", "groups ignored: each filter counted over all input channels, "
                                                               "not its group's")
CONV_BIAS_PER_GROUP = cause("conv_param_count.bias_per_group", "one bias per group instead of one per filter")
CONV_ONE_GROUP = cause("conv_param_count.one_group", "counts the filters of one group only")
CONV_DIVIDED_TOTAL = cause("conv_param_count.divided_total", "the whole layer's count divided by the groups, biases included")
CONV_TIMES_GROUPS = cause("conv_param_count.times_groups", "every filter counted once per group")


def _conv_count_args(case: dict, rng: np.random.Generator) -> tuple:
    groups = (case["groups"],) if "groups" in case else ()  # groups=1 calls keep the three arguments
    return (case["f"], case["n_C_prev"], case["n_C"], *groups)


def _grouped_slips(expected: int, f: int, C: int, n: int, g: int) -> list:
    """The counts of the slips that only a grouped layer (g > 1) allows, each with its cause and text, derived
    from the right count (`expected`): this file ships to students, and it spells out no graded count."""
    per_group = C // g
    ungrouped = (expected - n) * g + n  # every filter over all C channels, g times its group's: the layer without groups
    where = (f"with groups = {g}, the {C} input channels form {g} groups of {per_group}, the {n} filters {g} groups of "
             f"{n // g}, and each filter spans the {per_group} channels of its own group")
    return [
        (ungrouped, CONV_GROUPS_IGNORED, f"your count is that of an ungrouped layer: {where}, so it has "
                                         f"{f}x{f}x{per_group} weights, not {f}x{f}x{C}"),
        (expected - n + g, CONV_BIAS_PER_GROUP, f"you counted one bias per group ({g}); each of the {n} filters "
                                                f"has its own bias, grouped or not"),
        (expected / g, CONV_ONE_GROUP, f"you counted the {n // g} filters of one group; {where}, and the layer has "
                                       f"all {g} groups"),
        (ungrouped / g, CONV_DIVIDED_TOTAL, f"you divided the whole ungrouped count by groups = {g}: {where}, so "
                                            f"grouping shrinks each filter's weights, while every one of the {n} "
                                            f"filters keeps its bias"),
        (expected * g, CONV_TIMES_GROUPS, f"you counted every filter once per group ({g} times): {where}, and "
                                          f"belongs to that group only"),
    ]


def _conv_count_hint(ctx: Context) -> Optional[str]:
    rec, expected = _number(ctx.received), _number(ctx.expected)
    if rec is None or expected is None:
        return None
    f, C_all, n, *rest = ctx.args
    g = rest[0] if rest else 1
    C = C_all // g  # the input channels each filter spans (Part 1: groups of n_C_prev / groups)
    weights = expected - n  # the right count less its n biases: each slip's count is derived from the right one
    layer = f"a layer of {n} filters of {f}x{f}x{C}" + (f" ({g} groups)" if g > 1 else "")
    known = _grouped_slips(expected, f, C_all, n, g) if g > 1 else []
    known += [
        (weights, CONV_NO_BIASES, f"the biases are missing: {layer} has {n} biases, one per filter"),
        (weights + 1, CONV_ONE_BIAS, f"you counted one bias for the whole layer; each of the {n} filters has its own"),
        (weights + C, CONV_BIAS_PER_INPUT_CHANNEL, f"you counted one bias per input channel ({C}); there is one per filter ({n})"),
        (weights + C * n, CONV_BIAS_PER_FILTER_AND_CHANNEL, f"you counted one bias per filter and input channel ({C}*{n}); a filter has one "
                          "bias for all its channels"),
        (expected / n, CONV_ONE_FILTER, f"you counted a single filter; {layer} has {n} of them, each with its own weights and bias"),
        ((f * f + 1) * n, CONV_IGNORES_INPUT_CHANNELS, f"the input channels are ignored: each filter spans {C} input channels, "
                          f"{f}x{f}x{C} weights"),
        (f * f * n, CONV_NO_CHANNELS_NO_BIASES, f"the input channels and the biases are both missing from {layer}"),
        (weights / f + n, CONV_WINDOW_F_NOT_F_SQUARED, f"a filter's window is f x f = {f}x{f} positions per channel, not f = {f}"),
        ((f + f + C + 1) * n, CONV_ADDED_DIMENSIONS, f"you added the filter's dimensions {f}, {f} and {C} instead of multiplying them"),
        (2 * weights / f + n, CONV_F_PLUS_F, f"you added f + f = {2 * f} instead of multiplying f x f = {f * f}"),
        (weights / n + n, CONV_WEIGHTS_OF_ONE_FILTER, f"you counted the weights of one filter only ({f}x{f}x{C}); each of the {n} filters has "
                        "its own"),
    ]
    slip = known_slip(rec, expected, known)
    if slip:
        return slip
    return CONV_OTHER(f"your count {rec} is not the weights plus the biases of {layer}: recount with Part 1's "
            "description of what each filter learns")


register(FunctionSpec("conv_param_count", _conv_count_args, arg_names=("f", "n_C_prev", "n_C", "groups"),
                      hints=[_not_a_number_hint, _conv_count_hint], exact=True))


# ---------- dense_param_count(input_shape, output_shape); case {"input_shape": [...], "output_shape": [...]}
DENSE_NO_BIASES = cause("dense_param_count.no_biases", "the biases are not counted")
DENSE_BIAS_PER_INPUT = cause("dense_param_count.bias_per_input", "one bias per input instead of one per output")
DENSE_ONE_BIAS = cause("dense_param_count.one_bias", "one bias for the whole layer")
DENSE_INPUT_BIASES = cause("dense_param_count.input_biases", "biases counted for the inputs too")
DENSE_ADDED_UNITS = cause("dense_param_count.added_units", "the unit counts are added instead of multiplied")
DENSE_ADDED_AXES = cause("dense_param_count.added_axes", "the axes of each shape are added instead of multiplied (flattening multiplies them)")
DENSE_ADDED_AXES_NO_BIASES = cause("dense_param_count.added_axes_no_biases", "axes added instead of multiplied, and no biases")
DENSE_CHANNELS_ONLY = cause("dense_param_count.channels_only", "only the channels axis is counted")
DENSE_LEN_OF_SHAPE = cause("dense_param_count.len_of_shape", "len(shape), the number of axes, used as the number of units")
DENSE_OTHER = cause("dense_param_count.other", "a wrong count that no known slip gives", specific=False)


def _dense_count_args(case: dict, rng: np.random.Generator) -> tuple:
    return tuple(case["input_shape"]), tuple(case["output_shape"])


def _dense_count_hint(ctx: Context) -> Optional[str]:
    rec = _number(ctx.received)
    if rec is None:
        return None
    ins, outs = ctx.args
    n_in, n_out = prod(ins), prod(outs)
    units = f"{ins} flattens to n_in = {n_in} inputs and {outs} to n_out = {n_out} outputs"
    s_in, s_out = sum(ins), sum(outs)
    known = [
        (n_in * n_out, DENSE_NO_BIASES, f"the biases are missing: each of the n_out = {n_out} outputs has one"),
        (n_in * n_out + n_in, DENSE_BIAS_PER_INPUT, f"you counted one bias per input (n_in = {n_in}); there is one per output (n_out = {n_out})"),
        (n_in * n_out + 1, DENSE_ONE_BIAS, f"you counted one bias for the whole layer; each of the n_out = {n_out} outputs has its own"),
        ((n_in + 1) * (n_out + 1), DENSE_INPUT_BIASES, "you gave the inputs biases too; only the outputs have biases"),
        (n_in + n_out, DENSE_ADDED_UNITS, f"you added the unit counts {n_in} and {n_out}: every input connects to every output "
                       "through its own weight"),
        (s_in * s_out + s_out, DENSE_ADDED_AXES, f"you added the axes of each shape ({s_in} and {s_out}); flattening gives the "
                               f"product of the axes: {units}"),
        (s_in * s_out, DENSE_ADDED_AXES_NO_BIASES, f"you added the axes of each shape instead of multiplying them, and the biases are "
                       f"missing: {units}"),
        (ins[-1] * outs[-1] + outs[-1], DENSE_CHANNELS_ONLY, f"only the last axis (the channels) is counted: {units}"),
        (len(ins) * len(outs) + len(outs), DENSE_LEN_OF_SHAPE, f"len(shape) is the number of axes ({len(ins)}), not the number of "
                                           f"units: {units}"),
    ]
    slip = known_slip(rec, ctx.expected, known)
    if slip:
        return slip
    return DENSE_OTHER(f"your count {rec} is not the weights plus the biases of this layer: {units}; see Part 1's description")


register(FunctionSpec("dense_param_count", _dense_count_args, arg_names=("input_shape", "output_shape"),
                      hints=[_not_a_number_hint, _dense_count_hint], exact=True))


# ---------- conv_multiply_adds(f, n_C_prev, output_shape); case {"f", "n_C_prev", "output_shape": [n_H, n_W, n_C]}
MADDS_PARAMS = cause("conv_multiply_adds.counted_parameters", "counts the layer's weights (parameters), not the work of "
                                                              "every output position")
MADDS_ONE_POSITION = cause("conv_multiply_adds.one_position", "counts one output position only")
MADDS_ONE_CHANNEL = cause("conv_multiply_adds.one_output_channel", "counts one output channel (one filter) only")
MADDS_NO_INPUT_CHANNELS = cause("conv_multiply_adds.ignores_input_channels", "a window counted without its input channels")
MADDS_WITH_BIASES = cause("conv_multiply_adds.counts_biases", "adds one operation per output for the bias")
MADDS_WINDOW_F = cause("conv_multiply_adds.window_f_not_f_squared", "a window counted as f positions instead of f x f")
MADDS_OTHER = cause("conv_multiply_adds.other", "a wrong count that no known slip gives", specific=False)


def _madds_args(case: dict, rng: np.random.Generator) -> tuple:
    return case["f"], case["n_C_prev"], tuple(case["output_shape"])


def _madds_hint(ctx: Context) -> Optional[str]:
    rec = _number(ctx.received)
    if rec is None:
        return None
    f, C, out = ctx.args
    n_H, n_W, n_C = out
    per_output = f * f * C
    work = (f"every one of the {n_H}*{n_W}*{n_C} = {n_H * n_W * n_C} output values of {out} is one {f}x{f}x{C} "
            f"window times a filter: {per_output} multiply-adds each")
    known = [
        (per_output * n_C, MADDS_PARAMS, f"your count is the layer's weights: {n_C} filters of {f}x{f}x{C}. Parameters "
                                          f"are stored once, but the filters are applied at all {n_H}*{n_W} = "
                                          f"{n_H * n_W} positions: {work}"),
        (per_output, MADDS_ONE_POSITION, f"you counted one output value; {work}"),
        (per_output * n_H * n_W, MADDS_ONE_CHANNEL, f"you counted one filter's outputs; the layer has n_C = {n_C}: {work}"),
        (f * f * n_H * n_W * n_C, MADDS_NO_INPUT_CHANNELS, f"each window spans all n_C_prev = {C} input channels: {work}"),
        ((per_output + 1) * n_H * n_W * n_C, MADDS_WITH_BIASES, f"the bias is an addition, not a multiply-add, and is "
                                                                 f"not counted: {work}"),
        (f * C * n_H * n_W * n_C, MADDS_WINDOW_F, f"a window is f x f = {f}x{f} positions per channel, not f = {f}: {work}"),
    ]
    slip = known_slip(rec, ctx.expected, known)
    if slip:
        return slip
    return MADDS_OTHER(f"your count {rec} is not the work of this layer on one example: {work}")


register(FunctionSpec("conv_multiply_adds", _madds_args, arg_names=("f", "n_C_prev", "output_shape"),
                      hints=[_not_a_number_hint, _madds_hint], exact=True))


# ---------- conv_as_matrix(W, input_shape, hparameters)
# case {"H", "W", "C", "f", "n_C", "pad", "stride", "seed"}
def _matrix_args(case: dict, rng: np.random.Generator) -> tuple:
    W = rng.standard_normal((case["f"], case["f"], case["C"], case["n_C"]))
    return W, (case["H"], case["W"], case["C"]), {"stride": case["stride"], "pad": case["pad"]}


# The hints below recognise students' variants WITHOUT building a conv matrix (this package is
# shipped to students): a variant is either derived from the expected matrix (axes swapped or
# reordered, which the hint is given anyway) or checked at a few places only, namely which input
# rows/columns each output row/column touches (no values) and the filter entries of a few windows.
def _as6(M: np.ndarray, ctx: Context) -> np.ndarray:
    """M viewed as (n_H, n_W, n_C, n_H_prev, n_W_prev, n_C_prev)."""
    c = ctx.case
    n_H, n_W = out_size(c["H"], c["f"], c["pad"], c["stride"]), out_size(c["W"], c["f"], c["pad"], c["stride"])
    return M.reshape(n_H, n_W, c["n_C"], c["H"], c["W"], c["C"])


def _touched(M6: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which input rows each output row touches (n_H, n_H_prev), and which input columns each output
    column touches (n_W, n_W_prev): the non-zeros of M summed over everything else."""
    nz = M6 != 0
    return nz.any(axis=(1, 2, 4, 5)), nz.any(axis=(0, 2, 3, 5))


def _window_rows(n_out: int, n_in: int, f: int, start: int, step: int, wrap: bool = False) -> np.ndarray:
    """(n_out, n_in): True where output o's window [o*step + start, ... + f) covers input i
    (negative positions wrapping around as Python's indices do, when `wrap`)."""
    T = np.zeros((n_out, n_in), dtype=bool)
    for o in range(n_out):
        for r in range(o * step + start, o * step + start + f):
            if (-n_in if wrap else 0) <= r < n_in:
                T[o, r] = True
    return T


def _touches_like(ctx: Context, start: int, step: int, wrap: bool = False) -> bool:
    c = ctx.case
    rows, cols = _touched(_as6(ctx.received, ctx))
    return (np.array_equal(rows, _window_rows(rows.shape[0], c["H"], c["f"], start, step, wrap))
            and np.array_equal(cols, _window_rows(cols.shape[0], c["W"], c["f"], start, step, wrap)))


def _flips_filter(ctx: Context) -> bool:
    """Every output whose window lies wholly inside the input holds the filter upside down and
    left-right reversed (compared on those full windows only, found from the expected matrix)."""
    f = ctx.case["f"]
    if f == 1:
        return False
    rec6, exp6 = _as6(ctx.received, ctx), _as6(ctx.expected, ctx)
    seen = False
    for h in range(exp6.shape[0]):
        for w in range(exp6.shape[1]):
            rr, qq = np.nonzero((exp6[h, w] != 0).any(axis=(0, 3)))
            if len(set(rr)) != f or len(set(qq)) != f:
                continue  # the window overlaps the padding
            win = (slice(None), slice(rr.min(), rr.min() + f), slice(qq.min(), qq.min() + f), slice(None))
            if not np.allclose(rec6[h, w][win], exp6[h, w][win][:, ::-1, ::-1, :]):
                return False
            seen = True
    return seen


M_TRANSPOSED = cause("conv_as_matrix.transposed", "the matrix is transposed (one row per output value is needed)")
M_NOT_2D = cause("conv_as_matrix.not_2d", "the matrix is not 2-D")
M_PADDED_COLUMNS = cause("conv_as_matrix.padded_columns", "its columns are the padded input's, not the input's")
M_NO_CHANNELS = cause("conv_as_matrix.ignores_channels", "the channels are ignored")
M_SHAPE = cause("conv_as_matrix.shape", "the matrix has a wrong shape", specific=False)
M_FLIPPED = cause("conv_as_matrix.flipped_filter", "the filter is flipped (the textbook convolution, not conv_forward's)")
M_NO_STRIDE = cause("conv_as_matrix.ignores_stride", "the windows do not move by the stride")
M_NO_PADDING = cause("conv_as_matrix.ignores_padding", "the padding is ignored")
M_WRAPS = cause("conv_as_matrix.negative_index_wraps", "window positions on the padding wrap around (negative indices)")
M_CHANNELS_SWAPPED = cause("conv_as_matrix.channels_swapped", "input and output channels are swapped in each block")
M_CHANNELS_FIRST = cause("conv_as_matrix.channels_first", "rows and columns are ordered channels-first, not NHWC")
M_PRODUCT = cause("conv_as_matrix.wrong_entries", "M @ x differs from conv_forward's output (the feedback names the "
                                                  "first row)", specific=False)


def _matrix_shape_hint(ctx: Context) -> Optional[str]:
    rec = ctx.received
    if not isinstance(rec, np.ndarray):
        return None
    exp = ctx.expected
    (n_out, n_in), (H, Wd, C) = exp.shape, ctx.args[1]
    pad = ctx.case["pad"]
    if rec.shape == exp.shape:
        return None
    where = (f"M has one row per output value (n_H*n_W*n_C = {n_out}) and one column per input value "
             f"(n_H_prev*n_W_prev*n_C_prev = {H}*{Wd}*{C} = {n_in})")
    if rec.shape == (n_in, n_out):
        return M_TRANSPOSED(f"your matrix is transposed: {where}, so that M @ x gives the output")
    if rec.ndim != 2:
        return M_NOT_2D(f"return a 2-D matrix: {where}; reshape at the end")
    if rec.shape[1] == (H + 2 * pad) * (Wd + 2 * pad) * C and pad:
        return M_PADDED_COLUMNS(f"your columns are the padded input's; M acts on the unpadded input x: {where}. "
                "A window entry that falls on padding multiplies a zero, so leave it out")
    if C > 1 or ctx.case["n_C"] > 1:
        if rec.shape == (n_out // ctx.case["n_C"], n_in // C):
            return M_NO_CHANNELS(f"the channels are ignored: {where}")
    return M_SHAPE(where)


def _matrix_values_hint(ctx: Context) -> Optional[str]:
    rec, exp = ctx.received, ctx.expected
    if not isinstance(rec, np.ndarray) or rec.shape != exp.shape or rec.dtype.kind not in "biuf":
        return None
    s, p = ctx.case["stride"], ctx.case["pad"]
    exp6 = _as6(exp, ctx)
    if _flips_filter(ctx):
        return M_FLIPPED("your matrix flips the filter upside down and left to right (the textbook 'convolution'); "
                "conv_forward does not: filter entry (p, q) meets the input p rows and q columns into the window "
                "(Part 2's formulas for r and t)")
    f = ctx.case["f"]
    if s > 1 and _touches_like(ctx, -p, 1):
        return M_NO_STRIDE(f"the window does not move with the stride: output row 1's window must start stride = {s} rows "
                f"below output row 0's, at input row {s - p}, not 1 row below (Part 2's formula for r)")
    if p and _touches_like(ctx, 0, s):
        return M_NO_PADDING(f"the padding is ignored: output (0, 0)'s window starts pad = {p} rows above the input, at row "
                f"{-p}, so it meets input rows 0 to {f - 1 - p} only (Part 2's formula for r; entries that fall on "
                "the padding are left out)")
    if p and _touches_like(ctx, -p, s, wrap=True):
        return M_WRAPS(f"window positions on the padding must be left out: output (0, 0)'s window reaches input row "
                f"{-p}, and a negative index wraps around to the other side of the image (row {ctx.case['H'] - p})")
    if ctx.case["C"] == ctx.case["n_C"] and np.allclose(rec, exp6.swapaxes(2, 5).reshape(exp.shape)):
        return M_CHANNELS_SWAPPED("input and output channels are swapped in each block: the entry in the row of output channel c "
                "and the column of input channel k is W[p, q, k, c], so a block is indexed (c, k) while W[p, q] "
                "is indexed (k, c)")
    if np.allclose(rec, exp6.transpose(2, 0, 1, 5, 3, 4).reshape(exp.shape)):
        return M_CHANNELS_FIRST("your rows and columns are ordered channels-first; Z and x are flattened in NumPy's C order of "
                "their NHWC shapes, so the channel varies fastest: rows (h, w, c) = (0, 0, 0), (0, 0, 1), ...")
    return None


@fallback
@M_PRODUCT
def _matrix_product_hint(ctx: Context) -> Optional[str]:
    """Say where M @ x first differs from conv_forward's output, on an input of ones."""
    rec, exp = ctx.received, ctx.expected
    if not isinstance(rec, np.ndarray) or rec.shape != exp.shape:
        return None
    x = np.random.default_rng(0).standard_normal(exp.shape[1])
    bad = np.flatnonzero(~np.isclose(rec @ x, exp @ x))
    if not len(bad):
        return None
    n_C = ctx.case["n_C"]
    n_W = out_size(ctx.case["W"], ctx.case["f"], ctx.case["pad"], ctx.case["stride"])
    k = int(bad[0])
    h, w, c = k // n_C // n_W, k // n_C % n_W, k % n_C
    s, p, f = ctx.case["stride"], ctx.case["pad"], ctx.case["f"]
    return (f"M @ x differs from conv_forward's output first at output (h={h}, w={w}, c={c}) (row {k}): that row "
            f"holds filter {c}'s weights in the columns of the inputs its window covers, rows {h * s - p} to "
            f"{h * s - p + f - 1} and columns {w * s - p} to {w * s - p + f - 1} (those inside the input), and "
            "zeros elsewhere")


register(FunctionSpec("conv_as_matrix", _matrix_args, arg_names=("W", "input_shape", "hparameters"),
                      hints=[_matrix_shape_hint, _matrix_values_hint, _matrix_product_hint]))


# ---------- concept answers: functions of no argument returning the answer (a function, not a bare
# value, so that an unanswered question says "not written yet" like every other stub). Case {}.
def _no_args(case: dict, rng: np.random.Generator) -> tuple:
    return ()


LETTERS = ("a", "b", "c", "d")

# name -> the kind of answer expected. The keys and their explanations are the instructor's
# (autograder/grading/pipeline/explanations.py): they reach students only in the feedback written at grading.
CONCEPT_KINDS: dict[str, str] = {
    "sharing_sets_zeros": "bool",
    "fewer_params_less_compute": "bool",
    "shift_of_output": "int",
    "locally_connected_count": "int",
    "momentum_moves_zero_grad": "bool",
    "decay_zero_after_300": "bool",
    "what_makes_weights_sparse": "choice",
}


# the FORMAT of an answer only: what a wrong answer means is the grader's (autograder/grading/pipeline/misconceptions.py)
ANSWER_FORMAT = cause("concept.answer_format", "a concept answer of the wrong kind (a string for True/False, ...)")


def _right_format(kind: str, value: Any) -> bool:
    """Whether a concept answer has its question's format: the one rule the hint and answer_format share."""
    if kind == "bool":
        return isinstance(value, (bool, np.bool_))
    if kind == "choice":
        return isinstance(value, str) and value.strip().lower() in LETTERS
    return _number(value) is not None  # "int": a whole number (never a bool)


def _concept_format_hint(name: str):
    kind = CONCEPT_KINDS[name]
    want = {"bool": "True or False (no quotes)", "choice": 'one letter in quotes, such as "a"',
            "int": "one whole number"}[kind]

    @ANSWER_FORMAT
    def hint(ctx: Context) -> Optional[str]:
        rec = ctx.received
        if _right_format(kind, rec):
            return None
        return f"answer with {want}, not {type(rec).__name__} {rec!r}"
    return hint


for _name, _kind in CONCEPT_KINDS.items():
    register(FunctionSpec(_name, _no_args, hints=[_concept_format_hint(_name)], exact=_kind != "choice"))


def answer_format(name: str, answer: Any) -> None:
    """Visible check of a concept answer's FORMAT only (the answer itself is graded on submission).
    `answer` is the student's function that returns the answer."""
    __tracebackhide__ = True  # noqa: F841
    try:
        value = answer() if callable(answer) else answer
    except NotImplementedError:
        if grading():  # as check() records it: the grader counts unanswered questions
            record(name, {}, {"error": "NotImplementedError: not written"})
        # the message alone, plain: IPython's coloured frames on JupyterLab's pink are 1.5 to 3.7:1
        raise plain(NotImplementedError(f"{name} is not written yet: in its cell, replace `raise "
                                         f"NotImplementedError()` with `return <your answer>`, run that cell, then "
                                         f"this one.")) from None
    if grading():  # the answer as check() records it, so that a wrongly formatted one is counted too
        record(name, {}, {"result": encode(value)})
    kind = CONCEPT_KINDS[name]
    if not _right_format(kind, value):
        want = {"bool": "True or False (no quotes)", "choice": 'one letter in quotes, such as "b"',
                "int": "one whole number, such as 123"}[kind]
        raise plain(AssertionError(f"{name}() must return {want}; it returned {type(value).__name__} {value!r}."))
    print(f"{name}() returns {value!r}: the right format. The answer itself is graded when you submit.")
