"""Mistakes and correct alternatives for 05_vectorized: correctness, and no Python loop over output positions."""

from autograder.paths import SOLUTIONS
from autograder.authoring.variants import solution_sources
from . import Alternative, Mistake

ASSIGNMENT = "05_vectorized"
BACKWARD = (SOLUTIONS / "03_backprop").exists()

CONV = ["test_conv_forward_fast", "test_conv_forward_fast_hidden"]
POOL = ["test_pool_forward_fast", "test_pool_forward_fast_hidden"]
VIEW = "sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]"
IM2COL_ORDER = ".transpose(0, 1, 2, 4, 5, 3)"  # the view's (n_C_prev, f, f) window axes in W's order
POOL_VIEW = "sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]"

MISTAKES = [
    Mistake("conv_view_ignores_stride", "conv_forward_fast", CONV,
            replace=[(VIEW, "sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))")], hint="the size for stride 1",
            why="the window view holds every position; the stride is never applied", cause="vectorized.view_ignores_stride"),
    Mistake("conv_filter_axes_swapped", "conv_forward_fast", CONV,
            replace=[(IM2COL_ORDER, ".transpose(0, 1, 2, 5, 4, 3)")], hint="wrong axes of W",
            why="im2col columns in (j, i, c) order against W's (i, j, c) rows: a transposed filter", cause="vectorized.filter_axes_mismatched"),
    Mistake("conv_view_layout_assumed_ijc", "conv_forward_fast", ["test_conv_forward_fast_hidden", "test_conv_forward_fast"],
            replace=[("windows[k:k + chunk]" + IM2COL_ORDER + ".reshape", "windows[k:k + chunk].reshape")],
            why="flattens the view in its own (n_C_prev, f, f) order against W's (f, f, n_C_prev) rows", cause="vectorized.filter_axes_mismatched"),
    Mistake("conv_last_chunk_dropped", "conv_forward_fast", ["test_conv_forward_fast_hidden"],
            replace=[("for k in range(0, m, chunk):", "for k in range(0, m // chunk * chunk, chunk):")],
            why="whole chunks of 8 examples only: the hidden batch of 10 leaves 2 examples unwritten", cause="generic.unexplained"),
    Mistake("conv_pad_all_axes", "conv_forward_fast", CONV,
            replace=[("np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "np.pad(A_prev, pad)")],
            why="np.pad(A, pad) pads examples and channels too: the contraction fails on the channel axis", cause="raised.shapes_mismatch"),
    Mistake("conv_no_padding", "conv_forward_fast", CONV,
            replace=[("np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "A_prev")], hint="padding", cause="vectorized.view_of_unpadded_input"),
    Mistake("conv_bias_missing", "conv_forward_fast", CONV,
            replace=[("    Z += b\n", "")], hint="bias is missing", cause="conv_forward.missing_bias"),
    Mistake("conv_bias_of_filter_0", "conv_forward_fast", ["test_conv_forward_fast"],
            replace=[("    Z += b\n", "    Z += b[0, 0, 0, 0]\n")], hint="bias of filter 0", cause="conv_forward.bias_of_filter_0"),
    Mistake("pool_view_ignores_stride", "pool_forward_fast", POOL,
            replace=[(POOL_VIEW, "sliding_window_view(A_prev, (f, f), axis=(1, 2))")], hint="the size for stride 1", cause="vectorized.view_ignores_stride"),
    Mistake("pool_max_over_wrong_axes", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.max(axis=(-2, -1))", "windows.max(axis=(3, 4))")],
            why="reduces over channels and one window axis: with n_C == f the shape is even right", cause="pool_forward.other_channel"),
    Mistake("pool_mean_over_wrong_axes", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.mean(axis=(-2, -1))", "windows.mean(axis=(1, 2))")], hint="wrong axes of the window view",
            why="axes 1 and 2 are height and width of the input, not of the window view", cause="vectorized.reduced_wrong_axes"),
    Mistake("pool_max_over_one_axis", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.max(axis=(-2, -1))", "windows.max(axis=-1)")], hint="wrong axes of the window view",
            why="reduces the window's columns only", cause="vectorized.reduced_wrong_axes"),
    Mistake("pool_average_as_sum", "pool_forward_fast", ["test_pool_forward_fast"],
            replace=[("windows.mean(axis=(-2, -1))", "windows.sum(axis=(-2, -1))")], hint="summed", cause="pool_forward.average_as_sum"),
    Mistake("pool_reshape_trick", "pool_forward_fast", ["test_pool_forward_fast_hidden"], source='''
def pool_forward_fast(A_prev, hparameters, mode="max"):
    f = hparameters["f"]
    m, H, W, C = A_prev.shape
    blocks = A_prev[:, :H // f * f, :W // f * f, :].reshape(m, H // f, f, W // f, f, C)
    A = blocks.max(axis=(2, 4)) if mode == "max" else blocks.mean(axis=(2, 4))
    return A, (A_prev, hparameters)
''', why="a reshape into f x f blocks: right only when stride == f and f divides the input; the visible "
         "case (f 3, stride 2) fails too, and the hidden overlapping and stride != f cases catch it", cause="output_size.other"),
]

CONV_B = ["test_conv_backward_fast", "test_conv_backward_fast_hidden"]
POOL_B = ["test_pool_backward_fast", "test_pool_backward_fast_hidden"]
ADD_BACK = "dA_k[:, rows, cols, :] += (dZ_k @ W[i, j].T)"

BACKWARD_MISTAKES = [
    Mistake("conv_backward_fancy_assign_overlaps", "conv_backward_fast", CONV_B, source='''
def conv_backward_fast(dZ, cache):
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    m, n_H, n_W, n_C = dZ.shape
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    dW = np.einsum("mhwcij,mhwn->ijcn", windows, dZ)
    d_windows = np.einsum("mhwn,ijcn->mhwijc", dZ, W)
    rows = (np.arange(n_H)[:, None] * stride + np.arange(f)[None, :])[:, None, :, None]   # (n_H, 1, f, 1)
    cols = (np.arange(n_W)[:, None] * stride + np.arange(f)[None, :])[None, :, None, :]   # (1, n_W, 1, f)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dA_prev_pad[:, rows, cols, :] += d_windows   # repeated indices: only one write survives
    return dA_prev_pad[:, pad:pad + A_prev.shape[1], pad:pad + A_prev.shape[2], :], dW, db
''', hint="np.add.at", why="fancy-index += on repeated indices does not accumulate: overlaps lose gradient", cause="vectorized.overlaps_written"),
    Mistake("pool_backward_assign_per_offset", "pool_backward_fast", POOL_B,
            replace=[("dA_prev[:, i:i + stride * n_H:stride, j:j + stride * n_W:stride, :] += d_windows[..., i, j]",
                      "dA_prev[:, i:i + stride * n_H:stride, j:j + stride * n_W:stride, :] = d_windows[..., i, j]")],
            hint="add up", why="each offset overwrites what the previous offsets wrote where windows overlap", cause="vectorized.overlaps_written"),
    Mistake("conv_backward_assign_per_offset", "conv_backward_fast", CONV_B,
            replace=[(ADD_BACK, ADD_BACK.replace(" += ", " = "))], hint="add up", cause="vectorized.overlaps_written"),
    Mistake("conv_backward_dW_transposed", "conv_backward_fast", CONV_B,
            replace=[("dW[i, j] += a_ij.T @ dZ_k", "dW[j, i] += a_ij.T @ dZ_k")], cause="gradient.wrong_values"),
    Mistake("conv_backward_dW_of_last_chunk", "conv_backward_fast", CONV_B,
            replace=[("dW[i, j] += a_ij.T @ dZ_k", "dW[i, j] = a_ij.T @ dZ_k")],
            why="each chunk of 8 examples overwrites dW: the visible batch of 10 keeps only the last 2", cause="gradient.wrong_values"),
    Mistake("conv_backward_db_wrong_axes", "conv_backward_fast", CONV_B,
            replace=[('np.einsum("mhwn->n", dZ).reshape(1, 1, 1, n_C)', "dZ.sum(axis=(1, 2, 3))")], hint="shape of b", cause="conv_backward.db_shape"),
    Mistake("conv_backward_db_mean", "conv_backward_fast", ["test_conv_backward_fast"],
            replace=[('np.einsum("mhwn->n", dZ)', "dZ.mean(axis=(0, 1, 2))")], hint="averaged", cause="conv_backward.db_averaged"),
    Mistake("conv_backward_padding_kept", "conv_backward_fast", CONV_B,
            replace=[("dA_prev = dA_prev_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "dA_prev = dA_prev_pad")],
            hint="still has the padding", cause="conv_backward.dA_keeps_padding"),
    Mistake("pool_backward_every_tied_maximum", "pool_backward_fast", POOL_B,
            replace=[("""        flat = windows.reshape(windows.shape[:4] + (f * f,))
        first = flat.argmax(axis=-1)  # each window's first maximum, row-major
        mask = np.arange(f * f) == first[..., None]
        d_windows = (mask * dA[..., None]).reshape(dA.shape + (f, f))""",
                      """        mask = windows == windows.max(axis=(-2, -1), keepdims=True)
        d_windows = mask * dA[..., None, None]""")],
            hint="counted once per tied input", why="the mask of every maximum, by comparison with the window's maximum",
            cause="pool_backward.tied_inputs_each_get_all"),
    Mistake("pool_backward_average_not_divided", "pool_backward_fast", POOL_B,
            replace=[("dA[..., None, None] / (f * f)", "dA[..., None, None]")], hint="not divided", cause="pool_backward.average_not_divided"),
    Mistake("pool_backward_stride_ignored", "pool_backward_fast", ["test_pool_backward_fast"],
            replace=[("[:, ::stride, ::stride]  # (m, n_H, n_W, n_C, f, f)", "[:, :n_H, :n_W]"),
                     ("i:i + stride * n_H:stride, j:j + stride * n_W:stride", "i:i + n_H, j:j + n_W")], cause="gradient.window_spans_stride"),
]
if BACKWARD:
    MISTAKES += BACKWARD_MISTAKES

ALTERNATIVES = [
    Alternative("einsum_forward", '''
def conv_forward_fast(A_prev, W, b, hparameters):
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    Z = np.einsum("mhwcij,ijcn->mhwn", windows, W, optimize=True) + b
    return Z, (A_prev, W, b, hparameters)
''', why="the first reference: one einsum over the window view"),
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

BACKWARD_ALTERNATIVES = [
    Alternative("add_at_and_dilation", '''
def conv_backward_fast(dZ, cache):
    # dA_prev as a full correlation of the dilated, padded dZ with the flipped filters: no loop at all
    A_prev, W, b, hp = cache
    s, p = hp["stride"], hp["pad"]
    f = W.shape[0]
    m, n_H, n_W, n_C = dZ.shape
    A = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    win = sliding_window_view(A, (f, f), axis=(1, 2))[:, ::s, ::s]
    dW = np.tensordot(win, dZ, axes=([0, 1, 2], [0, 1, 2])).transpose(1, 2, 0, 3)
    db = np.sum(dZ, axis=(0, 1, 2), keepdims=True)
    Hp, Wp = A.shape[1:3]
    dil = np.zeros((m, Hp + f - 1, Wp + f - 1, n_C))
    dil[:, f - 1:f - 1 + s * n_H:s, f - 1:f - 1 + s * n_W:s, :] = dZ
    dwin = sliding_window_view(dil, (f, f), axis=(1, 2))          # (m, Hp, Wp, n_C, f, f)
    dA = np.einsum("mhwnij,ijcn->mhwc", dwin, W[::-1, ::-1])
    return dA[:, p:p + A_prev.shape[1], p:p + A_prev.shape[2], :], dW, db

def pool_backward_fast(dA, cache, mode="max"):
    A_prev, hp = cache
    f, s = hp["f"], hp["stride"]
    m, n_H, n_W, C = dA.shape
    win = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s]
    if mode == "max":
        flat = win.reshape(m, n_H, n_W, C, f * f)
        grads = (np.arange(f * f) == flat.argmax(axis=-1)[..., None]) * dA[..., None]
    else:
        grads = np.repeat(dA[..., None] / (f * f), f * f, axis=-1)
    grads = grads.reshape(m, n_H, n_W, C, f, f)
    rows = (np.arange(n_H) * s)[:, None, None, None, None] + np.arange(f)[None, None, None, :, None]
    cols = (np.arange(n_W) * s)[None, :, None, None, None] + np.arange(f)[None, None, None, None, :]
    ii = np.arange(m)[:, None, None, None, None, None]
    cc = np.arange(C)[None, None, None, :, None, None]
    dA_prev = np.zeros(A_prev.shape)
    np.add.at(dA_prev, (ii, rows[None], cols[None], cc), grads)   # repeated indices accumulate
    return dA_prev
''', why="conv: dilation and flipped filters, no loop; pool: argmax one-hot and np.add.at"),
    Alternative("einsum_window_view", '''
def conv_backward_fast(dZ, cache):
    # the first reference: einsum over the window view, the window gradients added back per offset
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    m, n_H, n_W, n_C = dZ.shape
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    dW = np.einsum("mhwcij,mhwn->ijcn", windows, dZ, optimize=True)
    d_windows = np.einsum("mhwn,ijcn->mhwijc", dZ, W, optimize=True)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    for i in range(f):
        for j in range(f):
            dA_prev_pad[:, i:i + stride * n_H:stride, j:j + stride * n_W:stride, :] += d_windows[:, :, :, i, j, :]
    return dA_prev_pad[:, pad:pad + A_prev.shape[1], pad:pad + A_prev.shape[2], :], dW, db
''', why="the first reference: the window view and einsum over the whole batch"),
]
if BACKWARD:
    ALTERNATIVES += BACKWARD_ALTERNATIVES

def _pasted(fn: str, assignment: str, loop_name: str, helpers: tuple[str, ...] = ()) -> str:
    """A loop reference of notebooks 1-3 pasted under the fast name (with the helpers it calls)."""
    sources = solution_sources(assignment)
    code = sources[loop_name].replace(f"def {loop_name}(", f"def {fn}(")
    return "\n\n".join([sources[h] for h in helpers] + [code]) + "\n"

LOOPS = "loops over output positions"
PASTED = [("conv_forward_fast", "01_conv_forward", "conv_forward", ()),
          ("pool_forward_fast", "02_pool_forward", "pool_forward", ())]
if BACKWARD:
    PASTED += [("conv_backward_fast", "03_backprop", "conv_backward", ()),
               ("pool_backward_fast", "03_backprop", "pool_backward", ("create_mask_from_window", "distribute_value"))]
MISTAKES += [Mistake(f"{fn}_pasted_loop_version", fn, [f"test_{fn}_vectorized"], source=_pasted(fn, a, loop, helpers),
                     hint=LOOPS, why="correct, and loops over every output position: loses the vectorization points", cause="vectorized.position_loop")
             for fn, a, loop, helpers in PASTED]
MISTAKES.append(Mistake("conv_forward_fast_loop_over_positions_tensordot", "conv_forward_fast",
                        ["test_conv_forward_fast_vectorized"], source='''
def conv_forward_fast(A_prev, W, b, hparameters):
    s, p = hparameters["stride"], hparameters["pad"]
    f, n_C = W.shape[0], W.shape[3]
    A = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    n_H, n_W = (A.shape[1] - f) // s + 1, (A.shape[2] - f) // s + 1
    Z = np.zeros((A_prev.shape[0], n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            patch = A[:, h * s:h * s + f, w * s:w * s + f, :]
            Z[:, h, w, :] = np.tensordot(patch, W, axes=([1, 2, 3], [0, 1, 2])) + b[0, 0, 0]
    return Z, (A_prev, W, b, hparameters)
''', hint=LOOPS, why="examples and filters vectorized, still one step per output position", cause="vectorized.position_loop"))
