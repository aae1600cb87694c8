"""Statements the module once made and measurement showed wrong (issue 22) must not come back.

Each phrase is searched, case and line breaks ignored, in everything a student or an instructor reads
that this repository writes: the solution notebooks (and the released ones made from them), the student
package and the instructor's package. The numbers of the pool-shift table are checked where they are made.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# wrong phrase -> what is true instead (the message of a failure)
WRONG = {
    "short of floating-point underflow": "weight decay never reaches exactly 0, not even after underflow: "
                                         "the step rounds away at about 2.5e-321 (notebook 4)",
    "some 700000 steps": "the weight stops at about 2.5e-321 after 737,048 steps and never becomes 0",
    "do change weights whose gradient is 0": "momentum and Adam move them only after an earlier non-zero "
                                             "gradient; weight decay always shrinks them",
    "tile the padded input exactly": "the explorer's sentence must follow its own hatching",
    "row(s)/column(s) are never reached": "the explorer names every row no window reaches, not only the last",
    "a running average of its recent gradients": "momentum's v <- beta*v + dw is an unnormalised sum",
    "the windows overlap in memory": "the reshape copies because the transposed view is not contiguous",
    "fits in the processor's cache, the copy of a whole batch does not": "only small maps fit in a cache",
    "frameworks call it **im2col**": "im2col is one method; cuDNN and oneDNN mostly run implicit GEMM, direct, "
                                     "Winograd or FFT kernels, which never write the window matrix (issue 33)",
    "frameworks call the copied form": "the libraries under the frameworks mostly never write that matrix (issue 33)",
    "as long as none is zero": "the receptive field is connectivity; with mixed signs paths can cancel",
    "one forward pass per input": "a centred difference takes two forward passes per input",
    "only `pad = f − 1`": "every pixel lies in f*f windows once pad >= f - 1",
    "zeros next to a light background": "the photo's border is mid-grey on three sides and dark at the bottom",
    "rows `h*stride` to `h*stride + f`": "say that the slice's end is exclusive",
    "the seed's misconceptions": "name them: the module's two target misconceptions",
    "shape -- (n_h, n_w): the shape of the window": "n_H, n_W are output sizes, not the window's",
    "for a function `f` and a small `h`": "f is the filter size and h an output row",
    "`w[i, j, k, c]` when": "i is an example; filter positions are (p, q)",
    "the velocity `v` (adam: `m`)": "m is the number of examples; Adam's first moment is μ",
    "pytorch and tensorflow record one index per window": "TensorFlow's MaxPoolGrad recomputes the maximum in "
                                                          "the backward pass; only PyTorch records an index",
    "true where x equals its maximum": "the mask is True at exactly one position, the first maximum (contract)",
    "the graded tests' windows hold random real numbers with **no ties**": "ties are graded now",
    # issue 33
    "one copy of `w[0, 0]` per pixel on its diagonal": "M multiplies a column: its diagonal blocks are W[0, 0].T",
    "an inner pixel in 9. every pixel lies in": "every pixel lies in f*f windows once pad >= f - 1 with stride 1 only",
    "gives a `db` several times too large": "measured: 217 times for filter 0, 0.848 times for filter 3",
    "outputs the same number (its bias)": "v times the sum of the weights plus the bias: the bias only where v = 0",
    "region, the bias only when v = 0": "or where the filter's weights sum to 0 (a Sobel filter), whatever v",
    "(deeplab) and audio (wavenet) stack dilations 1, 2, 4": "WaveNet doubles up to 512; DeepLab's 1, 2, 4 is v3's "
                                                             "multi-grid ratio, its parallel branches use 6, 12, 18",
    "the rule of this course, and of pytorch": "the first maximum is a convention (PyTorch, TensorFlow on CPU), "
                                               "not what the check proves",
    # issue 33, review: notebook 5 said flush-to-zero zeroes the weight whatever the step's form, with a figure
    # (86,601) that only a single rounding of θ - lr·λ·θ gives
    "the same weight becomes exactly 0, at the step the table names": "under flush-to-zero θ - lr·λ·θ stops at "
                                                                     "2.22e-305: the step is flushed first",
    "the steps before it are the same in both modes": "the step lr·λ·θ leaves the normal range a thousand times "
                                                      "earlier in θ than θ itself",
    "below ½**, and there only": "under flush-to-zero, θ - lr·λ·θ never reaches 0 either (notebook 4's own table)",
    "(pytorch's and keras's sgd)": "Keras's SGD keeps lr inside v (v <- beta*v - lr*g, w <- w + v)",
    "so over twice the pairs": "layer D has exactly twice layer C's (position, filter) pairs",
    "about half the parameters and multiply-adds": "two 3x3 take 72% of one 5x5, three 3x3 55% of one 7x7",
    "with about half its weights": "two 3x3 take 72% of one 5x5, three 3x3 55% of one 7x7",
    "later resnet end instead with **global average pooling**": "Network in Network has no dense layer after "
                                                                  "its global average pooling; ResNet has one",
    "(these images have no such region)": "counted in the cell, not asserted",
    "parameters, a conv layer far more (part 1's table)": "LeNet-like conv2 outputs 1,600 values for 2,416 "
                                                          "parameters",
    "six layers with vgg-16's sizes": "56x56x64 maps are ResNet's; VGG-16's 56x56 maps have 128 or 256 channels",
}


# issue 33's corrected sentences that a program cannot measure (a citation, a library's documentation, what a
# check proves): the corrected wording must stay, in the solution notebook and in the released one.
# notebook -> the sentences, as the student reads them (line breaks as spaces)
RIGHT = {
    "01_conv_forward": ["each pixel's block on its diagonal is `W[0, 0].T`, of shape `(n_C, n_C_prev)`",
                        "With stride 1, every pixel lies in `f·f` windows once `pad ≥ f − 1`"],
    "02_pool_forward": ["gives the three convs of a block dilations in the ratio 1, 2, 4 (\"multi-grid\", times the "
                        "block's own rate) and runs parallel branches with dilations 6, 12 and 18",
                        "its paper's example is 1, 2, 4, ..., 512, three times over"],
    "03_backprop": ["So the first maximum is a **convention**, not something the check proves",
                    "any split of `dz` into non-negative parts) passes it"],
    "05_vectorized": ["(im2col is the simplest way to hand a convolution to a matrix product, not the one the libraries "
                      "under PyTorch and TensorFlow mostly run",
                      "documents eight algorithms for a convolution's forward pass: *implicit GEMM*",
                      "explicit *GEMM*, which is im2col", "two *FFT* variants; and two *Winograd* variants",
                      "computes most shapes with *direct* kernels"],
}


@pytest.mark.parametrize("assignment", sorted(RIGHT))
def test_corrected_sentences_stay(assignment):
    for folder in ("solutions", "notebooks"):
        cells = json.loads((ROOT / folder / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))["cells"]
        text = re.sub(r"\s+", " ", "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"))
        missing = [sentence for sentence in RIGHT[assignment] if sentence not in text]
        assert not missing, f"{folder}/{assignment}: issue 33's corrected sentences are gone: {missing}"


def _texts():
    """(path, text) of every notebook cell source and Python file under solutions/, notebooks/,
    cnn_student/ and autograder/."""
    for folder in ("solutions", "notebooks"):
        for path in sorted((ROOT / folder).glob("*/*.ipynb")):
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            yield path, "\n".join("".join(c["source"]) for c in cells)
    for folder in ("cnn_student", "autograder", "solutions"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, path.read_text(encoding="utf-8")


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def test_no_wrong_statement_returns():
    texts = [(path, _normal(text)) for path, text in _texts()]
    assert len(texts) > 40  # the scan sees the notebooks and both packages
    found = [f"{path.relative_to(ROOT)}: {phrase!r} ({why})"
             for phrase, why in WRONG.items() for path, text in texts if _normal(phrase) in text]
    assert not found, "statements shown wrong in issue 22 are back:\n" + "\n".join(found)


def test_the_pool_shift_table_adds_up_and_measures_every_row(capsys):
    """The four columns of notebook 2's shift table exclude each other (they once added up to 109 %),
    and the photo's row is measured like the others, not typed."""
    import matplotlib
    matplotlib.use("Agg")
    from numpy.lib.stride_tricks import sliding_window_view

    from cnn_student.visuals.pool import load_photo
    from cnn_student.visuals.shifts import measure_pool_shift

    def pool_forward(A, hp, mode="max"):
        windows = sliding_window_view(A, (hp["f"], hp["f"]), axis=(1, 2))[:, ::hp["stride"], ::hp["stride"]]
        return (windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))), (A, hp)

    measure_pool_shift(pool_forward, load_photo())
    rows = [line for line in capsys.readouterr().out.splitlines() if line.count("%") == 4]
    assert len(rows) == 5, rows
    for line in rows:
        shares = [int(x) for x in re.findall(r"(\d+)%", line)]
        assert abs(sum(shares) - 100) <= 2, line  # each rounded to a whole percent
    photo_shares = [int(x) for x in re.findall(r"(\d+)%", rows[0])]
    assert photo_shares[2] > 0, rows[0]  # measured: equal neighbouring pixels count as "both"


@pytest.mark.parametrize("phrase", sorted(WRONG))
def test_each_phrase_would_be_found(phrase):
    """The scan finds a phrase however a notebook wraps it."""
    wrapped = "text before " + phrase.replace(" ", "\n", 1) + " text after"
    assert _normal(phrase) in _normal(wrapped)
