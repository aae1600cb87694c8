"""Text that states answers, for the feedback written at grading: never shipped to students.

Two kinds, one mechanism (`explanation(fn)`, appended by grading/pipeline/verify.py to the feedback of a
failed check, and only there):
- ANSWERS: each concept question of notebook 4, its answer and why (the keys themselves are the
  reference answers in solutions/);
- METHODS: how the reference computes a graded function, where the student-side hints stop short
  of stating it (they name what is wrong and where, never the formula's code).
tests/test_leaks.py fails if any of this text appears in the student distribution.
"""
from __future__ import annotations

# concept question -> its answer and why, shown in the feedback whatever the student answered
ANSWERS: dict[str, str] = {
    "sharing_sets_zeros": (
        "False. Sharing reuses one filter's f*f*n_C_prev + 1 numbers at every position: the parameters become "
        "few, not zero. The connections are sparse by construction, since each output sees one f x f window, "
        "before any training; and the weights you trained in Part 3 had no exact zero at all."
    ),
    "fewer_params_less_compute": (
        "False. As the table of Part 1 measured: VGG-16's first conv layer has conv_param_count(3, 3, 64) = 1792 "
        "parameters and takes conv_multiply_adds(3, 3, (224, 224, 64)) = 86704128 multiply-adds per image, while "
        "its last dense layer (4096 to 1000 units) has 4097000 parameters and takes 4096000, one per weight. "
        "Sharing makes a conv layer's weights few, and for the same reason each of them is used once per output "
        "position: fewer parameters, yet 21.2 times the work of that dense layer."
    ),
    "shift_of_output": (
        "1. Output column w reads input columns 2w to 2w+2. After a shift by 2, those hold what columns 2w-2 "
        "to 2w held, the window of output column w-1: Z moves by shift / stride = 2 / 2 = 1 column. The same "
        "filter at every position makes a conv layer translation equivariant; the stride divides the shift "
        "(a 1-pixel shift with stride 2 gives no shifted copy at all)."
    ),
    "locally_connected_count": (
        "1440. A locally connected layer keeps the sparse connections (each of the 6*6*4 = 144 outputs sees a "
        "3x3x1 window: 9 weights) but shares nothing: 144 * (9 + 1) = 1440. The dense layer has 64*144 + 144 "
        "= 9360 (no sparse connections), the conv layer 4 * (9 + 1) = 40 (sharing too)."
    ),
    "momentum_moves_zero_grad": (
        "True. With momentum the step is v <- beta*v + dθ, θ <- θ - lr*v: when dθ = 0 the velocity v built "
        "from earlier gradients (a running sum of them, each shrunk by beta per step) still moves θ (unless "
        "every earlier gradient of θ was 0 too, so that v = 0). Written as an average, v <- beta*v + "
        "(1 - beta)*dθ, momentum is the same rule with a learning rate scaled by 1 - beta, and a zero gradient "
        "moves θ under it too. "
        "Adam likewise. The rule 'a zero gradient leaves a weight unchanged' is plain SGD's, the optimizer "
        "Part 3 used."
    ),
    "decay_zero_after_300": (
        "False. Each step multiplies the weight by 1 - lr*lambda = 0.999, so after 300 steps it is "
        "0.5 * 0.999**300 = 0.37: weight decay shrinks a weight by the same factor at every step, towards 0. "
        "Ending at exactly 0 takes far more steps, and only some arithmetics get there: in NumPy's float64, "
        "with gradual underflow and lr*lambda below 1/2, never (after 737,048 steps the weight stops at 499 "
        "units of 2^-1074, where a step of 0.499 units rounds away); with flush-to-zero, a step written "
        "θ*(1 - lr*lambda) makes it 0 after 707,350 steps (written θ - lr*lambda*θ, it stops at 2.22e-305 "
        "instead). "
        "A weight with zero gradient still moves under weight decay, and under momentum or Adam once it has "
        "had a non-zero gradient."
    ),
    "what_makes_weights_sparse": (
        "d (the L1 penalty of Part 3). Its proximal step, θ <- sign(θ) max(|θ| - lr*lambda, 0), sets every "
        "weight smaller than lr*lambda to exactly 0, as the last histogram showed. Max pooling and ReLU have "
        "no weights to set, and weight decay with lr*lambda = 0.001 only scales them down in 300 steps: it "
        "would take it hundreds of thousands of steps to end a weight at 0, and in NumPy's arithmetic it never "
        "does."
    ),
}

# graded function -> how the reference computes it, for the feedback of a failed check
METHODS: dict[str, str] = {
    "conv_backward": (
        "For every example i, output position (h, w) and filter c, with the window "
        "[h*stride : h*stride + f, w*stride : w*stride + f] of the padded input: add W[:, :, :, c] * dZ[i, h, w, c] "
        "to that window of the padded dA_prev, add (the window of the padded A_prev) * dZ[i, h, w, c] to "
        "dW[:, :, :, c], and add dZ[i, h, w, c] to db[0, 0, 0, c]; finally crop pad rows and columns from each "
        "side of the padded dA_prev."
    ),
    "pool_backward": (
        "For every example i, output position (h, w) and channel c, with the window "
        "[h*stride : h*stride + f, w*stride : w*stride + f] of channel c: max mode adds "
        "create_mask_from_window(window of A_prev) * dA[i, h, w, c] to that window of dA_prev, average mode adds "
        "distribute_value(dA[i, h, w, c], (f, f)); overlapping windows add up."
    ),
    "create_mask_from_window": ("The mask is all False but one True, at the window's first maximum in row-major "
                                "order: mask = np.zeros(x.shape, dtype=bool), then mask.flat[np.argmax(x)] = True "
                                "(np.argmax counts row by row and returns the first of tied maxima)."),
    "distribute_value": "Every entry of the (n_rows, n_cols) array is dz / (n_rows * n_cols).",
    "conv_param_count": ("(f * f * (n_C_prev // groups) + 1) * n_C: each of the n_C filters has f*f*(n_C_prev / groups) "
                         "weights, over the channels of its own group (all n_C_prev when groups = 1), and one bias."),
    "dense_param_count": "n_in * n_out + n_out, with n_in and n_out the products of the two shapes' axes.",
}


def explanation(fn: str) -> str | None:
    """Answer-stating text for a failed check of `fn`, for the feedback written at grading; None if none."""
    if fn in ANSWERS:
        return f"The answer is {ANSWERS[fn]}"
    if fn in METHODS:
        return f"How the reference computes it (shown after grading only): {METHODS[fn]}"
    return None
