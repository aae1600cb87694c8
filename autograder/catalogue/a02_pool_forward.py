"""Mistakes and correct alternatives for 02_pool_forward."""
from . import Alternative, Mistake

ASSIGNMENT = "02_pool_forward"

MISTAKES = [
    Mistake("pool_mode_ignored", "pool_forward", ["test_pool_forward_average", "test_pool_forward_hidden"],
            replace=[('if mode == "max":', "if True:")], hint="ignored", cause="pool_forward.mode_ignored"),
    Mistake("pool_average_as_sum", "pool_forward", ["test_pool_forward_average"],
            replace=[("np.mean(window)", "np.sum(window)")], hint="summed", cause="pool_forward.average_as_sum"),
    Mistake("pool_across_channels", "pool_forward", ["test_pool_forward_max", "test_pool_forward_average"],
            replace=[("horiz_start:horiz_end, c]", "horiz_start:horiz_end, :]")], hint="channel", cause="pool_forward.other_channel"),
    Mistake("pool_stride_missing_in_slice", "pool_forward", ["test_pool_forward_max"],
            replace=[("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
            hint="move by stride = 2", cause="windows.position"),
    Mistake("pool_step_by_f", "pool_forward", ["test_pool_forward_max"],
            replace=[("vert_start = h * stride", "vert_start = h * f"), ("horiz_start = w * stride", "horiz_start = w * f")],
            why="moving the window by f instead of the stride: right only when they are equal", cause="windows.position"),
    Mistake("pool_output_off_by_one", "pool_forward", ["test_pool_forward_max"],
            replace=[("n_H = (n_H_prev - f) // stride + 1", "n_H = (n_H_prev - f) // stride"),
                     ("n_W = (n_W_prev - f) // stride + 1", "n_W = (n_W_prev - f) // stride")], hint="off by one", cause="output_size.off_by_one"),
    Mistake("pool_min_not_max", "pool_forward", ["test_pool_forward_max"],
            replace=[("np.max(window)", "np.min(window)")], hint="largest", cause="pool_forward.not_the_maximum"),
    Mistake("pool_height_width_swapped", "pool_forward", ["test_pool_forward_max", "test_pool_forward_hidden"],
            replace=[("A = np.zeros((m, n_H, n_W, n_C))", "A = np.zeros((m, n_W, n_H, n_C))")],
            why="the visible output is 2x3: a swapped shape fails at once", cause="raised.index_out_of_range"),
    Mistake("pool_reshape_only_if_stride_is_f", "pool_forward", ["test_pool_forward_max"], source='''
def pool_forward(A_prev, hparameters, mode="max"):
    f = hparameters["f"]
    m, H, W, C = A_prev.shape
    n_H, n_W = H // f, W // f
    blocks = A_prev[:, :n_H * f, :n_W * f, :].reshape(m, n_H, f, n_W, f, C)
    A = blocks.max(axis=(2, 4)) if mode == "max" else blocks.mean(axis=(2, 4))
    return A, (A_prev, hparameters)
''', why="a reshape trick that is right only for non-overlapping windows with stride == f", cause="output_size.off_by_one"),
]

ALTERNATIVES = [
    Alternative("vectorized_sliding_window", '''
from numpy.lib.stride_tricks import sliding_window_view

def pool_forward(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    win = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::s, ::s]
    reduce = {"max": np.max, "average": np.mean}[mode]
    return reduce(win, axis=(-2, -1)), (A_prev, hparameters)
''', why="no loops; a dict dispatching on mode"),
    Alternative("channels_vectorized_loops", '''
def pool_forward(A_prev, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    m, H, W, C = A_prev.shape
    out = []
    for h in range(0, H - f + 1, s):
        row = []
        for w in range(0, W - f + 1, s):
            win = A_prev[:, h:h + f, w:w + f, :]
            row.append(win.max(axis=(1, 2)) if mode == "max" else win.sum(axis=(1, 2)) / (f * f))
        out.append(np.stack(row, axis=1))
    return np.stack(out, axis=1), (A_prev, hparameters)
''', why="range with a step; lists stacked; average as sum / (f*f)"),
]
