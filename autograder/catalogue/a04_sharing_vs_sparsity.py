"""Mistakes and correct alternatives for 04_sharing_vs_sparsity."""
from . import Alternative, Mistake

ASSIGNMENT = "04_sharing_vs_sparsity"
CONV = "count = (f * f * (n_C_prev // groups) + 1) * n_C"
CONV_ALL = ["test_conv_param_count", "test_conv_param_count_hidden"]
GROUPS_ALL = ["test_conv_param_count_groups", "test_conv_param_count_groups_hidden"]
DENSE = "count = n_in * n_out + n_out"
MADDS = "count = f * f * n_C_prev * n_H * n_W * n_C"
MADDS_ALL = ["test_conv_multiply_adds", "test_conv_multiply_adds_hidden"]
BLOCK = "M6[h, w, :, r, q, :] = W[i, j].T"
# A wrong concept answer in the right format: a visible test would state the key
CONCEPT = "a concept answer is graded only on submission: a visible check of it would give the key away"

MISTAKES = [
    # conv_param_count: each filter spans n_C_prev // groups channels (the slips keep that, as a student would)
    Mistake("conv_count_no_bias", "conv_param_count", CONV_ALL + GROUPS_ALL,
            replace=[(CONV, "count = f * f * (n_C_prev // groups) * n_C")], hint="biases are missing", cause="conv_param_count.no_biases"),
    Mistake("conv_count_ignores_input_channels", "conv_param_count", CONV_ALL,
            replace=[(CONV, "count = (f * f + 1) * n_C")], hint="input channels are ignored", cause="conv_param_count.ignores_input_channels"),
    Mistake("conv_count_one_bias", "conv_param_count", ["test_conv_param_count"],
            replace=[(CONV, "count = f * f * (n_C_prev // groups) * n_C + 1")], hint="one bias for the whole layer", cause="conv_param_count.one_bias"),
    Mistake("conv_count_bias_per_input_channel", "conv_param_count", ["test_conv_param_count"],
            replace=[(CONV, "count = f * f * (n_C_prev // groups) * n_C + n_C_prev")], hint="one bias per input channel", cause="conv_param_count.bias_per_input_channel"),
    Mistake("conv_count_adds_shape", "conv_param_count", CONV_ALL,
            replace=[(CONV, "count = (f + f + n_C_prev // groups + 1) * n_C")], hint="added the filter's dimensions", cause="conv_param_count.added_dimensions"),
    Mistake("conv_count_one_filter", "conv_param_count", ["test_conv_param_count"],
            replace=[(CONV, "count = f * f * (n_C_prev // groups) + 1")], hint="single filter", cause="conv_param_count.one_filter"),
    Mistake("conv_count_window_f", "conv_param_count", ["test_conv_param_count"],
            replace=[(CONV, "count = (f * (n_C_prev // groups) + 1) * n_C")], hint="not f", cause="conv_param_count.window_f_not_f_squared"),
    # ... with groups: what a grouped layer is easily taken for
    Mistake("conv_count_groups_ignored", "conv_param_count", GROUPS_ALL,
            replace=[(CONV, "count = (f * f * n_C_prev + 1) * n_C")], hint="each filter spans the 2 channels of its own group",
            why="groups accepted and never used: the count of an ungrouped layer", cause="conv_param_count.groups_ignored"),
    Mistake("conv_count_bias_per_group", "conv_param_count", GROUPS_ALL,
            replace=[(CONV, "count = f * f * (n_C_prev // groups) * n_C + groups")], hint="one bias per group",
            cause="conv_param_count.bias_per_group"),
    Mistake("conv_count_one_group", "conv_param_count", GROUPS_ALL,
            replace=[(CONV, "count = (f * f * (n_C_prev // groups) + 1) * (n_C // groups)")], hint="the 3 filters of one group",
            why="one group's filters, as if the groups shared them", cause="conv_param_count.one_group"),
    Mistake("conv_count_divides_total", "conv_param_count", GROUPS_ALL,
            replace=[(CONV, "count = (f * f * n_C_prev + 1) * n_C / groups")], hint="every one of the 12 filters keeps its bias",
            why="'groups divide the parameters': the biases divided too", cause="conv_param_count.divided_total"),
    Mistake("conv_count_times_groups", "conv_param_count", GROUPS_ALL,
            replace=[(CONV, "count = (f * f * (n_C_prev // groups) + 1) * n_C * groups")], hint="once per group",
            why="each group counted with all n_C filters", cause="conv_param_count.times_groups"),
    # conv_multiply_adds
    Mistake("madds_counts_parameters", "conv_multiply_adds", MADDS_ALL,
            replace=[(MADDS, "count = f * f * n_C_prev * n_C")], hint="your count is the layer's weights",
            why="parameters taken for work: the filters are stored once but applied at every position",
            cause="conv_multiply_adds.counted_parameters"),
    Mistake("madds_counts_conv_param_count", "conv_multiply_adds", MADDS_ALL,
            replace=[(MADDS, "count = conv_param_count(f, n_C_prev, n_C)")],
            why="the parameter count, biases included", cause="conv_multiply_adds.other"),
    Mistake("madds_one_position", "conv_multiply_adds", MADDS_ALL,
            replace=[(MADDS, "count = f * f * n_C_prev")], hint="one output value", cause="conv_multiply_adds.one_position"),
    Mistake("madds_one_filter", "conv_multiply_adds", MADDS_ALL,
            replace=[(MADDS, "count = f * f * n_C_prev * n_H * n_W")], hint="one filter's outputs",
            cause="conv_multiply_adds.one_output_channel"),
    Mistake("madds_counts_biases", "conv_multiply_adds", MADDS_ALL,
            replace=[(MADDS, "count = (f * f * n_C_prev + 1) * n_H * n_W * n_C")], hint="the bias is an addition",
            cause="conv_multiply_adds.counts_biases"),
    Mistake("madds_ignores_input_channels", "conv_multiply_adds", MADDS_ALL,
            replace=[(MADDS, "count = f * f * n_H * n_W * n_C")], hint="all n_C_prev = 4 input channels",
            cause="conv_multiply_adds.ignores_input_channels"),
    Mistake("madds_returns_float", "conv_multiply_adds", ["test_conv_multiply_adds"],
            replace=[(MADDS, "count = f * f * n_C_prev * n_H * n_W * n_C / 1e6")],
            why="millions of multiply-adds (MMACs) instead of the count", cause="conv_multiply_adds.other"),
    # dense_param_count
    Mistake("dense_count_no_bias", "dense_param_count", ["test_dense_param_count", "test_dense_param_count_hidden"],
            replace=[(DENSE, "count = n_in * n_out")], hint="biases are missing", cause="dense_param_count.no_biases"),
    Mistake("dense_count_bias_per_input", "dense_param_count", ["test_dense_param_count"],
            replace=[(DENSE, "count = n_in * n_out + n_in")], hint="one bias per input", cause="dense_param_count.bias_per_input"),
    Mistake("dense_count_adds_shapes", "dense_param_count", ["test_dense_param_count", "test_dense_param_count_hidden"],
            replace=[("n_in = int(np.prod(input_shape))", "n_in = sum(input_shape)"),
                     ("n_out = int(np.prod(output_shape))", "n_out = sum(output_shape)")],
            hint="added the axes", why="adding shapes instead of multiplying them", cause="dense_param_count.added_axes"),
    Mistake("dense_count_adds_units", "dense_param_count", ["test_dense_param_count"],
            replace=[(DENSE, "count = n_in + n_out")], hint="added the unit counts", cause="dense_param_count.added_units"),
    Mistake("dense_count_channels_only", "dense_param_count", ["test_dense_param_count"],
            replace=[("n_in = int(np.prod(input_shape))", "n_in = input_shape[-1]"),
                     ("n_out = int(np.prod(output_shape))", "n_out = output_shape[-1]")], hint="last axis", cause="dense_param_count.channels_only"),
    Mistake("dense_count_len_of_shape", "dense_param_count", ["test_dense_param_count", "test_dense_param_count_hidden"],
            replace=[("n_in = int(np.prod(input_shape))", "n_in = len(input_shape)"),
                     ("n_out = int(np.prod(output_shape))", "n_out = len(output_shape)")], hint="len(shape)", cause="dense_param_count.len_of_shape"),
    Mistake("dense_count_assumes_3d", "dense_param_count", ["test_dense_param_count", "test_dense_param_count_hidden"],
            replace=[("n_in = int(np.prod(input_shape))", "n_in = input_shape[0] * input_shape[1] * input_shape[2]"),
                     ("n_out = int(np.prod(output_shape))", "n_out = output_shape[0] * output_shape[1] * output_shape[2]")],
            why="indexing three axes fails on the 1-D shapes (IndexError)", cause="raised.index_out_of_range"),
    # conv_as_matrix
    Mistake("matrix_transposed", "conv_as_matrix", ["test_conv_as_matrix", "test_conv_as_matrix_hidden"],
            replace=[("return M", "return M.T")], hint="transposed", cause="conv_as_matrix.transposed"),
    Mistake("matrix_flipped_filter", "conv_as_matrix", ["test_conv_as_matrix", "test_conv_as_matrix_hidden"],
            replace=[(BLOCK, "M6[h, w, :, r, q, :] = W[f - 1 - i, f - 1 - j].T")], hint="flips the filter", cause="conv_as_matrix.flipped_filter"),
    Mistake("matrix_ignores_stride", "conv_as_matrix", ["test_conv_as_matrix"],
            replace=[("r = h * stride + i - pad", "r = h + i - pad"), ("q = w * stride + j - pad", "q = w + j - pad")],
            hint="does not move with the stride", cause="conv_as_matrix.ignores_stride"),
    Mistake("matrix_ignores_padding_offset", "conv_as_matrix", ["test_conv_as_matrix", "test_conv_as_matrix_hidden"],
            replace=[("r = h * stride + i - pad", "r = h * stride + i"), ("q = w * stride + j - pad", "q = w * stride + j")],
            hint="padding is ignored", cause="conv_as_matrix.ignores_padding"),
    Mistake("matrix_block_not_transposed", "conv_as_matrix", ["test_conv_as_matrix_hidden", "test_conv_as_matrix"],
            replace=[(BLOCK, "M6[h, w, :, r, q, :] = W[i, j]")], hint="swapped",
            why="right shape only when n_C == n_C_prev (first hidden case); otherwise a broadcasting error", cause="conv_as_matrix.channels_swapped"),
    Mistake("matrix_channels_first", "conv_as_matrix", ["test_conv_as_matrix"],
            replace=[("M = M6.reshape(", "M = M6.transpose(2, 0, 1, 5, 3, 4).reshape(")], hint="channels-first", cause="conv_as_matrix.channels_first"),
    Mistake("matrix_padded_columns", "conv_as_matrix", ["test_conv_as_matrix"], source='''
def conv_as_matrix(W, input_shape, hparameters):
    f, _, n_C_prev, n_C = W.shape
    n_H_prev, n_W_prev, _ = input_shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    Hp, Wp = n_H_prev + 2 * pad, n_W_prev + 2 * pad
    n_H, n_W = (Hp - f) // stride + 1, (Wp - f) // stride + 1
    M6 = np.zeros((n_H, n_W, n_C, Hp, Wp, n_C_prev))
    for h in range(n_H):
        for w in range(n_W):
            for i in range(f):
                for j in range(f):
                    M6[h, w, :, h * stride + i, w * stride + j, :] = W[i, j].T
    return M6.reshape(n_H * n_W * n_C, Hp * Wp * n_C_prev)
''', hint="padded input", why="a matrix for the padded input: right idea, wrong columns", cause="conv_as_matrix.padded_columns"),
    Mistake("matrix_no_bounds_check_wraps", "conv_as_matrix", ["test_conv_as_matrix"],
            replace=[("if 0 <= r < n_H_prev and 0 <= q < n_W_prev:", "if r < n_H_prev and q < n_W_prev:")],
            hint="wraps around", why="negative indices wrap around to the other side of the image", cause="conv_as_matrix.negative_index_wraps"),
    # concept answers: a wrong key, or the right key in a form that is not an answer of its kind
    Mistake("q1_true", "sharing_sets_zeros", ["test_sharing_sets_zeros"],
            replace=[("return False", "return True")], hint="the parameters become few, not zero",
            why_hidden=CONCEPT, cause="concept.sharing_sets_zeros.sharing_is_sparsity"),
    Mistake("q1_string", "sharing_sets_zeros", ["test_sharing_sets_zeros"],
            replace=[("return False", 'return "False"')], hint="no quotes", cause="concept.answer_format"),
    Mistake("q2_true", "fewer_params_less_compute", ["test_fewer_params_less_compute"],
            replace=[("return False", "return True")], hint="86704128",
            why="VGG-16's first conv layer: 1792 parameters, 86704128 multiply-adds; its last dense layer 4097000 and 4096000",
            why_hidden=CONCEPT, cause="concept.fewer_params_less_compute.parameters_are_compute"),
    Mistake("q3_shift_not_divided", "shift_of_output", ["test_shift_of_output"],
            replace=[("return 1", "return 2")], hint="the stride divides the shift",
            why="equivariance with stride 2: a shift of 2 pixels moves Z by one column",
            why_hidden=CONCEPT, cause="concept.shift_of_output.stride_ignored"),
    Mistake("q3_true_for_one", "shift_of_output", ["test_shift_of_output"],
            replace=[("return 1", "return True")], hint="expected int 1, received bool True",
            why="True == 1 in Python, yet True is not a whole number", cause="concept.answer_format"),
    Mistake("q4_no_answer", "locally_connected_count", ["test_locally_connected_count"],
            replace=[("return 6 * 6 * 4 * (3 * 3 * 1 + 1)", "return None")], hint="1440", cause="concept.answer_format"),
    Mistake("q4_conv_count", "locally_connected_count", ["test_locally_connected_count"],
            replace=[("return 6 * 6 * 4 * (3 * 3 * 1 + 1)", "return 40")], hint="shares nothing",
            why_hidden=CONCEPT, cause="concept.locally_connected_count.counted_sharing"),
    Mistake("q5_plain_sgd_rule", "momentum_moves_zero_grad", ["test_momentum_moves_zero_grad"],
            replace=[("return True", "return False")], hint="velocity",
            why="the plain-SGD rule of Part 3 applied to momentum",
            why_hidden=CONCEPT, cause="concept.momentum_moves_zero_grad.zero_grad_frozen"),
    Mistake("q6_decay_reaches_zero", "decay_zero_after_300", ["test_decay_zero_after_300"],
            replace=[("return False", "return True")], hint="0.37",
            why_hidden=CONCEPT, cause="concept.decay_zero_after_300.decay_zeroes"),
    Mistake("q6_number_for_bool", "decay_zero_after_300", ["test_decay_zero_after_300"],
            replace=[("return False", "return 0")], hint="True or False (no quotes)",
            why="0 == False in Python, yet 0 is not True or False", cause="concept.answer_format"),
    Mistake("q7_weight_decay", "what_makes_weights_sparse", ["test_what_makes_weights_sparse"],
            replace=[('return "d"', 'return "c"')], hint="only scales them down",
            why_hidden=CONCEPT, cause="concept.what_makes_weights_sparse.decay_zeroes"),
    Mistake("q7_list", "what_makes_weights_sparse", ["test_what_makes_weights_sparse"],
            replace=[('return "d"', 'return ["d"]')], hint="one letter", cause="concept.answer_format"),
]

ALTERNATIVES = [
    Alternative("counts_with_math_prod", '''
import math

def conv_param_count(f, n_C_prev, n_C, groups=1):
    weights = f * f * n_C_prev // groups * n_C
    biases = n_C
    return np.int64(weights + biases)

def dense_param_count(input_shape, output_shape):
    n_in, n_out = math.prod(input_shape), math.prod(output_shape)
    return (n_in + 1) * n_out

def conv_multiply_adds(f, n_C_prev, output_shape):
    per_output = f * f * n_C_prev
    return np.int64(per_output * math.prod(output_shape))
''', why="math.prod, NumPy integer, weights and biases counted another way"),
    Alternative("grouped_count_per_group", '''
def conv_param_count(f, n_C_prev, n_C, groups=1):
    per_group = f * f * (n_C_prev / groups) * (n_C / groups) + n_C / groups   # one group: its filters and biases
    return per_group * groups
''', why="one group counted with true division, times the groups: a float that is a whole number"),
    Alternative("grouped_count_by_filter", '''
def conv_param_count(f, n_C_prev, n_C, groups=1):
    channels_per_filter = n_C_prev // groups
    total = 0
    for _ in range(n_C):                      # every filter: its weights over its group's channels, one bias
        total += f * f * channels_per_filter + 1
    return total
''', why="filter by filter, in a loop"),
    Alternative("matrix_from_basis_images", '''
def conv_as_matrix(W, input_shape, hparameters):
    n_in = int(np.prod(input_shape))
    basis = np.eye(n_in).reshape((n_in,) + tuple(input_shape))   # one image per input position
    Z, _ = conv_forward(basis, W, np.zeros((1, 1, 1, W.shape[3])), hparameters)
    return Z.reshape(n_in, -1).T                                # column k = response to image k
''', why="linearity: the columns are the layer's responses to the basis images"),
    Alternative("matrix_index_arithmetic", '''
def conv_as_matrix(W, input_shape, hparameters):
    f, _, C, K = W.shape
    H, Wd, _ = input_shape
    s, p = hparameters["stride"], hparameters["pad"]
    n_H, n_W = (H + 2 * p - f) // s + 1, (Wd + 2 * p - f) // s + 1
    M = np.zeros((n_H * n_W * K, H * Wd * C), dtype=float)
    for row in range(M.shape[0]):
        h, w, c = row // (n_W * K), (row // K) % n_W, row % K
        for i in range(f):
            for j in range(f):
                r, q = h * s + i - p, w * s + j - p
                if 0 <= r < H and 0 <= q < Wd:
                    for k in range(C):
                        M[row, (r * Wd + q) * C + k] = W[i, j, k, c]
    return M
''', why="flat row and column indices computed by hand, one entry at a time"),
    Alternative("answers_other_spellings", '''
def sharing_sets_zeros():
    return np.bool_(False)

def fewer_params_less_compute():
    return bool(conv_multiply_adds(3, 3, (224, 224, 64)) < 4096 * 1000)

def what_makes_weights_sparse():
    return " D "

def locally_connected_count():
    return 1440.0

def shift_of_output():
    return np.int64(2) // 2
''', why="a NumPy bool, a computed bool, a capital letter with spaces, a float that is a whole number, "
         "a NumPy integer"),
    Alternative("answers_more_spellings", '''
def momentum_moves_zero_grad():
    return np.True_

def decay_zero_after_300():
    return 0.5 * 0.999 ** 300 == 0

def locally_connected_count():
    return np.float32(1440)

def shift_of_output():
    return 1.0

def what_makes_weights_sparse():
    return "d\\n"
''', why="np.True_, a bool from a comparison, a NumPy float, 1.0 for 1, a trailing newline"),
]
