"""What the concept questions of notebook 4 mean: their explanations, which state the answer.

Instructor side only: they are added to a concept question's feedback when the notebook is graded,
never shipped to students (the keys themselves are the reference answers in solutions/)."""
from __future__ import annotations

# concept question -> the explanation shown in the feedback, whatever the student answered
EXPLANATIONS: dict[str, str] = {
    "sharing_sets_zeros": (
        "False. Parameter sharing means one filter's f*f*n_C_prev + 1 numbers are reused at every position: "
        'it makes the parameters FEW, not zero. The connections are sparse by construction (each output sees '
        'an f x f window) before any training, and you measured that training left 0 weights exactly zero.'
    ),
    "pooling_zeroes_weights": (
        'False. Max pooling has no weights, and a zero gradient does not set anything to zero: SGD does w <- '
        'w - lr * 0 = w, so a weight whose gradient is zero keeps its value (you saw it). The zeros max-pool '
        "backward passes down land on activations' gradients, not on weights."
    ),
    "idea_window": (
        'b (sparse connections). That each output depends only on an f x f x n_C_prev window is a statement '
        'about which inputs are connected to which outputs: the structural zeros of the conv matrix. It holds'
        " whatever the filter's values are, so it is neither sharing nor zero weights."
    ),
    "idea_repeated_values": (
        'a (parameter sharing). The same filter is applied at every position, so the same weight appears in '
        'one row per output position: many entries, few distinct values.'
    ),
    "structural_zeros_trained": (
        'False. The zeros of the conv matrix are positions with no connection: they are not parameters, '
        'training never touches them, and they are zero for every value of W. The weights themselves, the '
        'distinct non-zero values, were all non-zero after training.'
    ),
    "what_makes_weights_sparse": (
        'c (an L1 penalty applied by soft thresholding). Convolution, max pooling and ReLU set no weight to '
        'zero; the L1 proximal step w <- sign(w) max(|w| - lr*lambda, 0) does, as the last histogram showed.'
    ),
    "locally_connected_count": (
        '1440. A locally connected layer keeps the sparse connections (each of the 6*6*4 = 144 outputs sees a'
        ' 3x3x1 window: 9 weights) but shares nothing: 144 * (9 + 1) = 1440. The dense layer has 64*144 + 144'
        ' = 9360 (no sparse connections), the conv layer 4 * (9 + 1) = 40 (sharing too).'
    ),
}


def explanation(fn: str) -> str | None:
    """The text that states and explains the answer of question `fn`, for the graded feedback."""
    why = EXPLANATIONS.get(fn)
    return f"The answer is {why}" if why else None
