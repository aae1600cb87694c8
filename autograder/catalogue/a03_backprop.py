"""Mistakes and correct alternatives for 03_backprop."""
from . import Alternative, Mistake

ASSIGNMENT = "03_backprop"
DA_ADD = "da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]"
CROP = "da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]"
RETURN = "return dA_prev, dW, db"
CONV = ["test_conv_backward", "test_conv_backward_hidden"]
MAX = ["test_pool_backward_max", "test_pool_backward_hidden"]
MASK_SOURCE = """
def create_mask_from_window(x):
    {}
    return mask
"""
LAST_MAX = """best = (0, 0)
    for p in range(x.shape[0]):
        for q in range(x.shape[1]):
            if x[p, q] >= x[best]:
                best = (p, q)
    mask = np.zeros(x.shape, dtype=bool)
    mask[best] = True"""
AVERAGE = ["test_pool_backward_average", "test_pool_backward_hidden"]

FD_HIDDEN = ("numerical differentiation gives the right values on every small case; only the large hidden case, "
             "which it cannot finish within the grading time limit, tells it from backprop")
FD_PROVIDED = '''
from cnn_student.gradcheck import numerical_gradient

def conv_backward(dZ, cache):
    A_prev, W, b, hp = cache
    loss = lambda A, W_, b_: float(np.sum(conv_forward(A, W_, b_, hp)[0] * dZ))
    h = 1.0  # conv is linear in each argument: centred differences are exact for any step
    return (numerical_gradient(lambda A: loss(A, W, b), A_prev.copy(), h),
            numerical_gradient(lambda W_: loss(A_prev, W_, b), W.copy(), h),
            numerical_gradient(lambda b_: loss(A_prev, W, b_), b.copy(), h))
'''
FD_VECTORIZED = '''
from numpy.lib.stride_tricks import sliding_window_view

def _forward(A_prev, W, b, stride, pad):
    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    f = W.shape[0]
    windows = sliding_window_view(A, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("mhwcij,ijcn->mhwn", windows, W, optimize=True) + b

def conv_backward(dZ, cache):
    A_prev, W, b, hp = cache
    args = [A_prev.copy(), W.copy(), b.copy()]
    loss = lambda: float(np.sum(_forward(*args, hp["stride"], hp["pad"]) * dZ))
    base = loss()
    grads = []
    for x in args:  # one-sided differences, exact for a linear layer
        g = np.zeros(x.shape)
        flat, out = x.reshape(-1), g.reshape(-1)
        for k in range(flat.size):
            flat[k] += 1.0
            out[k] = loss() - base
            flat[k] -= 1.0
        grads.append(g)
    return tuple(grads)
'''

MISTAKES = [
    # ---------- conv_backward
    Mistake("conv_dA_assigned", "conv_backward", CONV,
            replace=[(DA_ADD, DA_ADD.replace(" += ", " = "))], hint="must add up; yours replace each other",
            why="overlapping windows (f > stride) overwrite each other's gradient", cause="conv_backward.dA_contributions_replaced"),
    Mistake("conv_dW_assigned", "conv_backward", CONV,
            replace=[("dW[:, :, :, c] += a_slice", "dW[:, :, :, c] = a_slice")], hint="last position", cause="conv_backward.dW_last_position_only"),
    Mistake("conv_db_assigned", "conv_backward", CONV,
            replace=[("db[:, :, :, c] += dZ", "db[:, :, :, c] = dZ")], hint="last position", cause="conv_backward.db_last_position_only"),
    Mistake("conv_db_averaged", "conv_backward", CONV,
            replace=[(RETURN, "return dA_prev, dW, db / (m * n_H * n_W)")], hint="averaged", cause="conv_backward.db_averaged"),
    Mistake("conv_dW_divided_by_m", "conv_backward", CONV,
            replace=[(RETURN, "return dA_prev, dW / m, db")], hint="divided by m",
            why="averaging over the batch belongs to the loss, whose dZ already carries it", cause="conv_backward.dW_divided_by_m"),
    Mistake("conv_db_reset_per_example", "conv_backward", CONV,
            replace=[("        da_prev_pad = dA_prev_pad[i]\n",
                      "        da_prev_pad = dA_prev_pad[i]\n        db = np.zeros(b.shape)\n")], hint="last example", cause="conv_backward.db_last_example_only"),
    Mistake("conv_padding_not_cropped", "conv_backward", CONV,
            replace=[(RETURN, "return dA_prev_pad, dW, db")], hint="still has the padding", cause="conv_backward.dA_keeps_padding"),
    Mistake("conv_crop_negative_slice", "conv_backward", CONV,
            replace=[(CROP, "da_prev_pad[pad:-pad, pad:-pad, :]")],
            why="[pad:-pad] is empty for pad 0: the visible pad-0 case catches it", cause="raised.shapes_mismatch"),
    Mistake("conv_crop_top_left", "conv_backward", CONV,
            replace=[(CROP, "da_prev_pad[:n_H_prev, :n_W_prev, :]")], hint="shifted by pad",
            why="crops the padding from the bottom/right only", cause="conv_backward.dA_crop"),
    Mistake("conv_stride_ignored", "conv_backward", CONV,
            replace=[("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
            hint="move by stride = 2", cause="gradient.stride_ignored"),
    Mistake("conv_dA_and_dW_swapped", "conv_backward", CONV,
            replace=[("W[:, :, :, c] * dZ[i, h, w, c]", "a_slice * dZ[i, h, w, c]"),
                     ("dW[:, :, :, c] += a_slice", "dW[:, :, :, c] += W[:, :, :, c]")],
            hint="the weight of the filter that met it", why="dA_prev gathers the weights, dW the input slices", cause="gradient.wrong_values"),
    Mistake("conv_dW_unpadded_slice", "conv_backward", CONV,
            replace=[("a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
                      "a_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :]")],
            why="windows are positions on the padded input", cause="raised.shapes_mismatch"),
    Mistake("conv_weights_of_filter_0", "conv_backward", CONV,
            replace=[(DA_ADD, DA_ADD.replace("W[:, :, :, c]", "W[:, :, :, 0]"))], cause="gradient.wrong_values"),
    Mistake("conv_height_width_swapped", "conv_backward", CONV,
            replace=[("(m, n_H, n_W, n_C) = dZ.shape", "(m, n_W, n_H, n_C) = dZ.shape")],
            why="the visible dZ is 3x4: swapped sizes fail at once", cause="raised.index_out_of_range"),
    # ---------- conv_backward by numerical differentiation: right values, no backprop
    Mistake("conv_finite_differences_of_the_provided_forward", "conv_backward", ["test_conv_backward_hidden"],
            source=FD_PROVIDED, why_hidden=FD_HIDDEN,
            why="the notebook's gradient checker run on the provided loop conv_forward: two forward passes per input (centred differences)", cause="generic.not_checked"),
    Mistake("conv_finite_differences_of_an_own_vectorized_forward", "conv_backward", ["test_conv_backward_hidden"],
            source=FD_VECTORIZED, why_hidden=FD_HIDDEN,
            why="a vectorized forward of its own, differentiated entry by entry: one-sided differences, still a forward pass for every input", cause="generic.not_checked"),
    # ---------- create_mask_from_window
    Mistake("mask_every_tied_maximum", "create_mask_from_window",
            ["test_create_mask_from_window", "test_create_mask_from_window_hidden", "test_pool_backward_max",
             "test_pool_backward_hidden"],
            source=MASK_SOURCE.format("mask = x == np.max(x)"), hint="counted 3 times",
            why="the rule before the contract's tie rule: right without ties, counts a tied window's gradient k times",
            cause="create_mask_from_window.every_tied_maximum"),
    Mistake("mask_last_maximum", "create_mask_from_window",
            ["test_create_mask_from_window", "test_create_mask_from_window_hidden", "test_pool_backward_max"],
            source=MASK_SOURCE.format(LAST_MAX), hint="a later one",
            why=">= instead of > in a scan keeps the last of the tied maxima",
            cause="create_mask_from_window.not_the_first_maximum"),
    Mistake("mask_on_minimum", "create_mask_from_window",
            ["test_create_mask_from_window", "test_create_mask_from_window_hidden", "test_pool_backward_max"],
            replace=[("np.argmax(x)", "np.argmin(x)")], hint="minimum", cause="create_mask_from_window.minimum"),
    Mistake("mask_per_column", "create_mask_from_window", ["test_create_mask_from_window"],
            source=MASK_SOURCE.format("mask = x == np.max(x, axis=0)"), hint="per column",
            cause="create_mask_from_window.per_row_or_column"),
    Mistake("mask_positive_values", "create_mask_from_window",
            ["test_create_mask_from_window", "test_create_mask_from_window_hidden"],
            source=MASK_SOURCE.format("mask = x > 0"), hint="positive", why="ReLU's mask, not max pooling's",
            cause="create_mask_from_window.positive_values"),
    Mistake("mask_is_argmax", "create_mask_from_window", ["test_create_mask_from_window"],
            source=MASK_SOURCE.format("mask = np.argmax(x)"), hint="argmax", cause="create_mask_from_window.not_a_mask"),
    # ---------- distribute_value
    Mistake("distribute_not_divided", "distribute_value", ["test_distribute_value", "test_distribute_value_hidden"],
            replace=[("np.ones(shape) * dz / (n_rows * n_cols)", "np.ones(shape) * dz")], hint="not divided", cause="distribute_value.wrong_divisor"),
    Mistake("distribute_divides_by_sum_of_sides", "distribute_value", ["test_distribute_value"],
            replace=[("* dz / (n_rows * n_cols)", "* dz / (n_rows + n_cols)")], hint="n_rows + n_cols", why="the wrong count", cause="distribute_value.wrong_divisor"),
    Mistake("distribute_assumes_square", "distribute_value", ["test_distribute_value", "test_distribute_value_hidden"],
            replace=[("* dz / (n_rows * n_cols)", "* dz / (n_rows * n_rows)")], hint="square", cause="distribute_value.wrong_divisor"),
    Mistake("distribute_integer_division", "distribute_value", ["test_distribute_value", "test_distribute_value_hidden"],
            replace=[("* dz / (n_rows * n_cols)", "* dz // (n_rows * n_cols)")], cause="generic.all_zeros"),
    # ---------- pool_backward
    Mistake("pool_assigned_not_added", "pool_backward", ["test_pool_backward_max", "test_pool_backward_average",
                                                         "test_pool_backward_hidden"],
            replace=[("c] += mask * dA", "c] = mask * dA"), ("c] += distribute_value", "c] = distribute_value")],
            hint="must be added to what the earlier windows put there", why="right only for non-overlapping windows", cause="gradient.overlaps_replaced"),
    Mistake("pool_stride_ignored", "pool_backward", MAX + ["test_pool_backward_average"],
            replace=[("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
            hint="move by stride = 2", cause="gradient.window_spans_stride"),
    Mistake("pool_mode_ignored", "pool_backward", AVERAGE,
            replace=[('if mode == "max":', "if True:")], hint="mode ignored", cause="pool_backward.mode_ignored"),
    Mistake("pool_average_not_divided", "pool_backward", AVERAGE,
            replace=[("distribute_value(da, (f, f))", "da")], hint="not divided", cause="pool_backward.average_not_divided"),
    Mistake("pool_dA_indexed_by_input_position", "pool_backward", MAX,
            replace=[("mask * dA[i, h, w, c]", "mask * dA[i, vert_start, horiz_start, c]")],
            why="each window takes the gradient of ITS output position (h, w)", cause="raised.index_out_of_range"),
    Mistake("pool_every_tied_maximum", "pool_backward", MAX,
            replace=[("mask = create_mask_from_window(a_prev_slice)", "mask = a_prev_slice == np.max(a_prev_slice)")],
            hint="the window's gradient was counted once per tied input",
            why="the mask written inline as x == max: right without ties", cause="pool_backward.tied_inputs_each_get_all"),
    Mistake("pool_window_size_is_stride", "pool_backward", MAX,
            replace=[("vert_end = vert_start + f", "vert_end = vert_start + stride"),
                     ("horiz_end = horiz_start + f", "horiz_end = horiz_start + stride")],
            hint="span f = 3 rows and columns", cause="gradient.window_spans_stride"),
]

ALTERNATIVES = [
    Alternative("vectorized", '''
from numpy.lib.stride_tricks import sliding_window_view

def conv_backward(dZ, cache):
    A_prev, W, b, hp = cache
    s, p = hp["stride"], hp["pad"]
    f = W.shape[0]
    m, n_H, n_W, n_C = dZ.shape
    A_pad = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    dA_pad = np.zeros_like(A_pad)
    dW = np.zeros_like(W)
    for a in range(f):            # one offset inside the window at a time: no Python loop over positions
        for c in range(f):
            rows, cols = slice(a, a + s * (n_H - 1) + 1, s), slice(c, c + s * (n_W - 1) + 1, s)
            dA_pad[:, rows, cols, :] += np.einsum("mhwn,kn->mhwk", dZ, W[a, c])
            dW[a, c] = np.einsum("mhwk,mhwn->kn", A_pad[:, rows, cols, :], dZ)
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)
    return dA_pad[:, p:p + A_prev.shape[1], p:p + A_prev.shape[2], :], dW, db

def create_mask_from_window(x):
    m = x == x.max()                          # every maximum, then keep the first (row-major)
    return m & (np.cumsum(m).reshape(x.shape) == 1)

def distribute_value(dz, shape):
    return np.full(shape, dz / np.prod(shape))

def pool_backward(dA, cache, mode="max"):
    A_prev, hp = cache
    f, s = hp["f"], hp["stride"]
    m, n_H, n_W, C = dA.shape
    dA_prev = np.zeros_like(A_prev)
    if mode == "average":
        for a in range(f):
            for c in range(f):
                dA_prev[:, a:a + s * (n_H - 1) + 1:s, c:c + s * (n_W - 1) + 1:s, :] += dA / (f * f)
        return dA_prev
    win = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s]
    a, c = np.divmod(win.reshape(*win.shape[:4], f * f).argmax(-1), f)
    i, h, w, ch = np.indices(dA.shape)
    np.add.at(dA_prev, (i, h * s + a, w * s + c, ch), dA)
    return dA_prev
''', why="no loop over positions; one-hot mask; np.add.at for overlapping windows"),
    Alternative("float_mask_other_loop_order", '''
def create_mask_from_window(x):
    mask = np.zeros(x.shape)
    mask.flat[x.argmax()] = 1.0
    return mask

def distribute_value(dz, shape):
    return np.zeros(shape) + dz / (shape[0] * shape[1])

def pool_backward(dA, cache, mode="max"):
    A_prev, hp = cache
    f, s = hp["f"], hp["stride"]
    dA_prev = np.zeros_like(A_prev)
    for c in range(A_prev.shape[3]):
        for w, left in enumerate(range(0, A_prev.shape[2] - f + 1, s)):
            for h, top in enumerate(range(0, A_prev.shape[1] - f + 1, s)):
                for i in range(A_prev.shape[0]):
                    window = A_prev[i, top:top + f, left:left + f, c]
                    share = create_mask_from_window(window) if mode == "max" else distribute_value(1.0, (f, f))
                    dA_prev[i, top:top + f, left:left + f, c] = dA_prev[i, top:top + f, left:left + f, c] \\
                        + share * dA[i, h, w, c]
    return dA_prev

def conv_backward(dZ, cache):
    A_prev, W, b, hp = cache
    s, p = hp["stride"], hp["pad"]
    f, n_C = W.shape[0], W.shape[3]
    A_pad = zero_pad(A_prev, p)
    dA_pad = np.zeros(A_pad.shape)
    dW, db = np.zeros(W.shape), np.zeros(b.shape)
    for c in range(n_C):
        for h in range(dZ.shape[1]):
            for w in range(dZ.shape[2]):
                win = (slice(None), slice(h * s, h * s + f), slice(w * s, w * s + f), slice(None))
                g = dZ[:, h, w, c]
                dA_pad[win] += g[:, None, None, None] * W[None, :, :, :, c]
                dW[..., c] += np.tensordot(g, A_pad[win], axes=(0, 0))
        db[0, 0, 0, c] = dZ[..., c].sum()
    H, Wd = A_prev.shape[1:3]
    return dA_pad[:, p:p + H, p:p + Wd, :], dW, db
''', why="float mask, filters outermost, examples vectorized, db by one sum"),
    Alternative("mask_by_strict_scan", '''
def create_mask_from_window(x):
    best = (0, 0)
    for p in range(x.shape[0]):
        for q in range(x.shape[1]):
            if x[p, q] > x[best]:
                best = (p, q)
    mask = np.full(x.shape, False)
    mask[best] = True
    return mask
''', why="a row-major scan that replaces the maximum only by a strictly larger value, as PyTorch's kernel"),
    Alternative("four_loops_examples_inside", '''
def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    m, n_H, n_W, n_C = dZ.shape
    A_pad = zero_pad(A_prev, pad)
    dA_pad = np.zeros(A_pad.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    for h in range(n_H):
        for w in range(n_W):
            for c in range(n_C):
                for i in range(m):
                    rows = slice(h * stride, h * stride + f)
                    cols = slice(w * stride, w * stride + f)
                    dA_pad[i, rows, cols, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += A_pad[i, rows, cols, :] * dZ[i, h, w, c]
                    db[0, 0, 0, c] += dZ[i, h, w, c]
    if pad:
        return dA_pad[:, pad:-pad, pad:-pad, :], dW, db
    return dA_pad, dW, db
''', why="a plain four-loop backward, examples innermost; [pad:-pad] guarded for pad 0"),
]
