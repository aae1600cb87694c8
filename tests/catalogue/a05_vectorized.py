"""Mistakes and correct alternatives for 05_vectorized (graded for correctness only)."""
import os

from autograder.variants import solution_sources
from tests.catalogue import Alternative, Mistake

ASSIGNMENT = "05_vectorized"
BACKWARD = os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..", "solutions", "03_backprop"))

CONV = ["test_conv_forward_fast", "test_conv_forward_fast_hidden"]
POOL = ["test_pool_forward_fast", "test_pool_forward_fast_hidden"]
VIEW = "sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]"
POOL_VIEW = "sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]"

MISTAKES = [
    Mistake("conv_view_ignores_stride", "conv_forward_fast", CONV,
            replace=[(VIEW, "sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))")], hint="::stride",
            why="the window view holds every position; the stride is never applied"),
    Mistake("conv_filter_axes_swapped", "conv_forward_fast", CONV,
            replace=[('"mhwcij,ijcn->mhwn"', '"mhwcij,jicn->mhwn"')], hint="wrong axes of W",
            why="the window's rows are paired with the filter's columns: a transposed filter"),
    Mistake("conv_view_layout_assumed_ijc", "conv_forward_fast", ["test_conv_forward_fast_hidden", "test_conv_forward_fast"],
            replace=[('"mhwcij,ijcn->mhwn"', '"mhwijc,ijcn->mhwn"')], hint="wrong axes of W",
            why="assumes the view is (..., f, f, n_C); only where n_C_prev == f does einsum not complain"),
    Mistake("conv_pad_all_axes", "conv_forward_fast", CONV,
            replace=[("np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "np.pad(A_prev, pad)")],
            why="np.pad(A, pad) pads examples and channels too: the contraction fails on the channel axis"),
    Mistake("conv_no_padding", "conv_forward_fast", CONV,
            replace=[("np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "A_prev")], hint="padding"),
    Mistake("conv_bias_missing", "conv_forward_fast", CONV,
            replace=[("optimize=True) + b", "optimize=True)")], hint="bias is missing"),
    Mistake("conv_bias_of_filter_0", "conv_forward_fast", ["test_conv_forward_fast"],
            replace=[("optimize=True) + b", "optimize=True) + b[0, 0, 0, 0]")], hint="bias of filter 0"),
    Mistake("pool_view_ignores_stride", "pool_forward_fast", POOL,
            replace=[(POOL_VIEW, "sliding_window_view(A_prev, (f, f), axis=(1, 2))")], hint="::stride"),
    Mistake("pool_max_over_wrong_axes", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.max(axis=(-2, -1))", "windows.max(axis=(3, 4))")],
            why="reduces over channels and one window axis: with n_C == f the shape is even right"),
    Mistake("pool_mean_over_wrong_axes", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.mean(axis=(-2, -1))", "windows.mean(axis=(1, 2))")], hint="wrong axes of the window view",
            why="axes 1 and 2 are height and width of the input, not of the window view"),
    Mistake("pool_max_over_one_axis", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.max(axis=(-2, -1))", "windows.max(axis=-1)")], hint="wrong axes of the window view",
            why="reduces the window's columns only"),
    Mistake("pool_average_as_sum", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.mean(axis=(-2, -1))", "windows.sum(axis=(-2, -1))")], hint="summed"),
    Mistake("pool_reshape_trick", "pool_forward_fast", ["test_pool_forward_fast_hidden"], source='''
def pool_forward_fast(A_prev, hparameters, mode="max"):
    f = hparameters["f"]
    m, H, W, C = A_prev.shape
    blocks = A_prev[:, :H // f * f, :W // f * f, :].reshape(m, H // f, f, W // f, f, C)
    A = blocks.max(axis=(2, 4)) if mode == "max" else blocks.mean(axis=(2, 4))
    return A, (A_prev, hparameters)
''', why="a reshape into f x f blocks: right only when stride == f and f divides the input; the visible "
         "case (f 3, stride 2) fails too, and the hidden overlapping and stride != f cases catch it"),
]

ALTERNATIVES = [
    Alternative("im2col_matmul", '''
def conv_forward_fast(A_prev, W, b, hparameters):
    s, p = hparameters["stride"], hparameters["pad"]
    f, _, C, n_C = W.shape
    A = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    win = sliding_window_view(A, (f, f), axis=(1, 2))[:, ::s, ::s]         # (m, n_H, n_W, C, f, f)
    m, n_H, n_W = win.shape[:3]
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(m * n_H * n_W, f * f * C)  # im2col: one row per position
    Z = (cols @ W.reshape(f * f * C, n_C)).reshape(m, n_H, n_W, n_C) + b.reshape(n_C)
    return Z, (A_prev, W, b, hparameters)

def pool_forward_fast(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    win = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s]
    m, n_H, n_W, C = win.shape[:4]
    flat = win.reshape(m, n_H, n_W, C, f * f)
    A = flat.max(axis=-1) if mode == "max" else flat.sum(axis=-1) / (f * f)
    return A, (A_prev, hparameters)
''', why="im2col with one matrix product; pooling over a flattened window, average as sum / (f*f)"),
    Alternative("as_strided_tensordot", '''
from numpy.lib.stride_tricks import as_strided

def conv_forward_fast(A_prev, W, b, hparameters):
    s, p = hparameters["stride"], hparameters["pad"]
    f, _, C, n_C = W.shape
    A = np.ascontiguousarray(np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0))))
    m, Hp, Wp, _ = A.shape
    n_H, n_W = (Hp - f) // s + 1, (Wp - f) // s + 1
    sm, sh, sw, sc = A.strides
    win = as_strided(A, (m, n_H, n_W, f, f, C), (sm, sh * s, sw * s, sh, sw, sc), writeable=False)
    Z = np.tensordot(win, W, axes=([3, 4, 5], [0, 1, 2]))
    Z += b[0, 0, 0]
    return Z, (A_prev, W, b, hparameters)

def pool_forward_fast(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    m, H, W, C = A_prev.shape
    n_H, n_W = (H - f) // s + 1, (W - f) // s + 1
    # loops over the f*f window offsets only: each step covers every window at once
    stack = np.stack([A_prev[:, i:i + s * (n_H - 1) + 1:s, j:j + s * (n_W - 1) + 1:s, :]
                      for i in range(f) for j in range(f)])
    return (stack.max(axis=0) if mode == "max" else stack.mean(axis=0)), (A_prev, hparameters)
''', why="hand-made strides in (f, f, C) order with tensordot; pooling as a stack of f*f shifted slices"),
]


def _loop_reference_source() -> str:
    """The loop references of notebooks 1-3, submitted under the fast names: correct, so full marks."""
    parts = [solution_sources("01_conv_forward")[g] for g in ("zero_pad", "conv_single_step", "conv_forward")]
    parts.append(solution_sources("02_pool_forward")["pool_forward"])
    aliases = ["conv_forward_fast = conv_forward", "pool_forward_fast = pool_forward"]
    if BACKWARD:
        parts += list(solution_sources("03_backprop").values())
        aliases += ["conv_backward_fast = conv_backward", "pool_backward_fast = pool_backward"]
    return "\n\n".join(parts + aliases) + "\n"


ALTERNATIVES.append(Alternative("loop_reference_as_fast", _loop_reference_source(),
                                why="grading is for correctness only: the loop versions get full marks"))
