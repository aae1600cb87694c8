"""Mistakes and correct alternatives for 01_conv_forward."""
from . import Alternative, Mistake

ASSIGNMENT = "01_conv_forward"
PAD_WIDTH = "((0, 0), (pad, pad), (pad, pad), (0, 0))"

MISTAKES = [
    Mistake("zero_pad_all_axes", "zero_pad", ["test_zero_pad", "test_zero_pad_hidden"],
            replace=[(PAD_WIDTH, "pad")], hint="every axis", why="np.pad(X, pad) pads examples and channels too", cause="zero_pad.all_axes"),
    Mistake("zero_pad_one_side", "zero_pad", ["test_zero_pad"],
            replace=[(PAD_WIDTH, "((0, 0), (0, pad), (0, pad), (0, 0))")], hint="one side", cause="zero_pad.one_side"),
    Mistake("zero_pad_with_ones", "zero_pad", ["test_zero_pad"],
            replace=[("constant_values=0", "constant_values=1")], hint="zeros", cause="zero_pad.border_not_zero"),
    Mistake("zero_pad_wrong_axes", "zero_pad", ["test_zero_pad"],
            replace=[(PAD_WIDTH, "((pad, pad), (pad, pad), (0, 0), (0, 0))")], hint="wrong axes", cause="zero_pad.wrong_axes"),
    Mistake("zero_pad_negative_slice", "zero_pad", ["test_zero_pad", "test_zero_pad_hidden"], source='''
def zero_pad(X, pad):
    m, n_H, n_W, n_C = X.shape
    X_pad = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C))
    X_pad[:, pad:-pad, pad:-pad, :] = X   # empty slice when pad == 0
    return X_pad
''', why="X_pad[:, pad:-pad] is empty for pad 0: the visible pad-0 case catches it", cause="raised.shapes_mismatch"),
    Mistake("single_step_no_bias", "conv_single_step", ["test_conv_single_step"],
            replace=[(" + b.item()", "")], hint="bias", cause="conv_single_step.missing_bias"),
    Mistake("single_step_mean", "conv_single_step", ["test_conv_single_step"],
            replace=[("np.sum(a_slice_prev * W)", "np.mean(a_slice_prev * W)")], hint="averaged", cause="conv_single_step.mean_not_sum"),
    Mistake("single_step_bias_in_sum", "conv_single_step", ["test_conv_single_step"],
            replace=[("np.sum(a_slice_prev * W) + b.item()", "np.sum(a_slice_prev * W + b)")], hint="once", cause="conv_single_step.bias_in_every_product"),
    Mistake("single_step_returns_array", "conv_single_step", ["test_conv_single_step", "test_conv_forward"],
            replace=[(" + b.item()", " + b")], hint="not a number",
            why="sum + b has shape (1, 1, 1): conv_forward cannot store it", cause="conv_single_step.returns_array"),
    Mistake("conv_stride_missing_in_slice", "conv_forward", ["test_conv_forward", "test_conv_forward_hidden"],
            replace=[("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
            hint="move by stride = 2", cause="windows.position"),
    Mistake("conv_output_off_by_one", "conv_forward", ["test_conv_forward"],
            replace=[("n_H = (n_H_prev + 2 * pad - f) // stride + 1", "n_H = (n_H_prev + 2 * pad - f) // stride"),
                     ("n_W = (n_W_prev + 2 * pad - f) // stride + 1", "n_W = (n_W_prev + 2 * pad - f) // stride")],
            hint="off by one", cause="output_size.off_by_one"),
    Mistake("conv_output_ceil", "conv_forward", ["test_conv_forward", "test_conv_forward_hidden"],
            replace=[("n_H = (n_H_prev + 2 * pad - f) // stride + 1",
                      "n_H = int(np.ceil((n_H_prev + 2 * pad - f) / stride)) + 1"),
                     ("n_W = (n_W_prev + 2 * pad - f) // stride + 1",
                      "n_W = int(np.ceil((n_W_prev + 2 * pad - f) / stride)) + 1")],
            why="rounding up instead of the floor: the visible height 6 with pad 1, f 3, stride 2 does not tile", cause="raised.shapes_mismatch"),
    Mistake("conv_output_ignores_stride", "conv_forward", ["test_conv_forward"],
            replace=[("n_H = (n_H_prev + 2 * pad - f) // stride + 1", "n_H = n_H_prev + 2 * pad - f + 1"),
                     ("n_W = (n_W_prev + 2 * pad - f) // stride + 1", "n_W = n_W_prev + 2 * pad - f + 1")], cause="raised.shapes_mismatch"),
    Mistake("conv_bias_missing", "conv_forward", ["test_conv_forward"],
            replace=[("W[:, :, :, c], b[:, :, :, c])", "W[:, :, :, c], np.zeros((1, 1, 1)))")], hint="bias is missing", cause="conv_forward.missing_bias"),
    Mistake("conv_bias_of_filter_0", "conv_forward", ["test_conv_forward"],
            replace=[("b[:, :, :, c])", "b[:, :, :, 0])")], hint="bias of filter 0", cause="conv_forward.bias_of_filter_0"),
    Mistake("conv_weights_of_filter_0", "conv_forward", ["test_conv_forward"],
            replace=[("W[:, :, :, c], b", "W[:, :, :, 0], b")], hint="from filter c alone", cause="channels.mixed"),
    Mistake("conv_height_width_swapped", "conv_forward", ["test_conv_forward", "test_conv_forward_hidden"],
            replace=[("n_H = (n_H_prev + 2 * pad - f) // stride + 1", "n_H = (n_W_prev + 2 * pad - f) // stride + 1"),
                     ("n_W = (n_W_prev + 2 * pad - f) // stride + 1", "n_W = (n_H_prev + 2 * pad - f) // stride + 1")], cause="raised.shapes_mismatch"),
    Mistake("conv_no_padding", "conv_forward", ["test_conv_forward"],
            replace=[("A_prev_pad = zero_pad(A_prev, pad)", "A_prev_pad = A_prev")], cause="raised.shapes_mismatch"),
    Mistake("conv_first_example_only", "conv_forward", ["test_conv_forward"],
            replace=[("a_prev_pad = A_prev_pad[i]", "a_prev_pad = A_prev_pad[0]")], cause="conv_forward.padded_window_values"),
    Mistake("conv_window_one_short", "conv_forward", ["test_conv_forward"],
            replace=[("vert_end = vert_start + f", "vert_end = vert_start + f - 1")], cause="raised.shapes_mismatch"),
    Mistake("conv_cache_padded", "conv_forward", ["test_conv_forward"],
            replace=[("cache = (A_prev, W, b, hparameters)", "cache = (A_prev_pad, W, b, hparameters)")], hint="cache", cause="cache.contents"),
]

ALTERNATIVES = [
    Alternative("vectorized_einsum", '''
from numpy.lib.stride_tricks import sliding_window_view

def zero_pad(X, pad):
    m, n_H, n_W, n_C = X.shape
    X_pad = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C))
    X_pad[:, pad:pad + n_H, pad:pad + n_W, :] = X
    return X_pad

def conv_single_step(a_slice_prev, W, b):
    return float(np.einsum("ijk,ijk->", a_slice_prev, W) + b[0, 0, 0])

def conv_forward(A_prev, W, b, hparameters):
    s, p = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    windows = sliding_window_view(zero_pad(A_prev, p), (f, f), axis=(1, 2))[:, ::s, ::s]
    Z = np.einsum("mhwcij,ijcn->mhwn", windows, W) + b.reshape(1, 1, 1, -1)
    return Z, (A_prev, W, b, hparameters)
''', why="no Python loops; zero_pad by assignment into zeros"),
    Alternative("other_loop_order_with_warning", '''
import warnings

def conv_forward(A_prev, W, b, hparameters):
    warnings.warn("a harmless warning printed to stderr")
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, H, Wd, C = A_prev.shape
    f, _, _, n_C = W.shape
    n_H, n_W = 1 + (H + 2 * pad - f) // stride, 1 + (Wd + 2 * pad - f) // stride
    padded = zero_pad(A_prev, pad)
    Z = np.empty((m, n_H, n_W, n_C))
    for c in range(n_C):
        for w in range(n_W):
            for h in range(n_H):
                for i in range(m):
                    patch = padded[i, h * stride:h * stride + f, w * stride:w * stride + f]
                    Z[i, h, w, c] = conv_single_step(patch, W[..., c], b[..., c])
    return Z, (A_prev, W, b, hparameters)
''', why="filters outermost, np.empty, a warning on stderr"),
    Alternative("numpy_scalar_and_tensordot", '''
def conv_single_step(a_slice_prev, W, b):
    return np.sum(np.multiply(a_slice_prev, W)) + np.squeeze(b)

def conv_forward(A_prev, W, b, hparameters):
    stride, pad = hparameters["stride"], hparameters["pad"]
    f, n_C = W.shape[0], W.shape[3]
    A = zero_pad(A_prev, pad)
    n_H = (A.shape[1] - f) // stride + 1
    n_W = (A.shape[2] - f) // stride + 1
    Z = np.zeros((A_prev.shape[0], n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            patch = A[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            Z[:, h, w, :] = np.tensordot(patch, W, axes=([1, 2, 3], [0, 1, 2])) + b[0, 0, 0]
    return Z, (A_prev, W, b, hparameters)
''', why="returns a 0-d NumPy value; loops only over positions"),
]
