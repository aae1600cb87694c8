"""What a student sees in notebook 1 when a check passes or fails (issue 22, part 4): the same labelled
slice of a large result and of the expected one, one number format, one line per passed test cell, a
padding figure that says when it is wrong, and the earlier function named first when it is the cause."""
import textwrap

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_student.checks import CheckFailed, check, show_example  # noqa: E402

RIGHT_PAD = "np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))"
WRONG_PAD = "np.pad(X, ((pad, pad), (pad, pad), (pad, pad), (pad, pad)))"  # pads every axis

NOTEBOOK = """
import numpy as np

def zero_pad(X, pad):
    return {pad}

def conv_single_step(a_slice_prev, W, b):
    {single}

def conv_forward(A_prev, W, b, hparameters):
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, _, _, n_C = W.shape
    s, p = hparameters["stride"], hparameters["pad"]
    n_H, n_W = (n_H_prev + 2 * p - f) // s + 1, (n_W_prev + 2 * p - f) // s + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A = zero_pad(A_prev, p)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(A[i, h*s:h*s + f, w*s:w*s + f, :], W[..., c], b[..., c])
    Z[-1, -1, -1, -1] += {nudge}
    return Z, (A_prev, W, b, hparameters)
"""
CONV_CASE = {"m": 2, "H": 6, "W": 7, "C": 4, "f": 3, "n_C": 8, "pad": 1, "stride": 2, "seed": 4}


def notebook(pad=RIGHT_PAD, single="return np.sum(a_slice_prev * W) + b.item()", nudge=0.0):
    """The student's functions as a notebook defines them: in one namespace of their own."""
    ns = {}
    exec(textwrap.dedent(NOTEBOOK.format(pad=pad, single=single, nudge=nudge)), ns)
    return ns


def test_a_large_wrong_result_shows_the_same_labelled_slice_of_both(capsys):
    ns = notebook(nudge=1.0)  # one value wrong, in the last example and channel
    show_example("conv_forward", ns["conv_forward"], CONV_CASE)
    out = capsys.readouterr().out
    labels = [line for line in out.splitlines() if line.startswith("values [")]
    assert labels == ["values [1, :, :, 7] (a slice: 192 values in all)"] * 2, out
    assert "✘" in out


def test_one_number_format_for_received_and_expected(capsys):
    ns = notebook()
    show_example("conv_single_step", ns["conv_single_step"], {"f": 2, "C": 1, "seed": 5})
    out = capsys.readouterr().out
    assert "np.float64" not in out
    mine = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith(("your result", "expected result"))]
    assert len(mine) == 2 and mine[0] == mine[1], out


def test_a_passed_test_cell_says_what_it_checked(capsys):
    ns = notebook()
    check("zero_pad", ns["zero_pad"], cases=[{"shape": [2, 3, 4, 2], "pad": 1, "seed": 1},
                                             {"shape": [1, 2, 3, 1], "pad": 0, "seed": 3}])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["✔ zero_pad: 2 cases checked (X (2, 3, 4, 2), pad=1; X (1, 2, 3, 1), pad=0): the same as the "
                     "reference solution."], lines


def test_an_error_caused_by_a_wrong_zero_pad_names_zero_pad_first(capsys):
    ns = notebook(pad=WRONG_PAD)
    with pytest.raises(ValueError) as raised:  # the raw broadcasting error inside conv_single_step
        check("conv_forward", ns["conv_forward"], cases=[CONV_CASE])
    out = capsys.readouterr().out
    assert out.startswith("⚠ zero_pad above still fails its test"), out
    assert any("zero_pad above still fails its test" in note for note in raised.value.__notes__)


def test_a_wrong_value_caused_by_an_earlier_function_names_it_first():
    ns = notebook(single="return np.sum(a_slice_prev * W)")  # the bias forgotten in conv_single_step
    with pytest.raises(CheckFailed) as raised:
        check("conv_forward", ns["conv_forward"], cases=[CONV_CASE])
    assert str(raised.value).startswith("conv_single_step above still fails its test"), str(raised.value)


def test_a_dependency_not_written_is_named():
    ns = notebook(single="raise NotImplementedError()")
    with pytest.raises(NotImplementedError) as raised:
        check("conv_forward", ns["conv_forward"], cases=[CONV_CASE])
    assert str(raised.value).startswith("conv_single_step is not written yet, and conv_forward calls it")


def test_no_earlier_function_is_blamed_when_they_pass():
    ns = notebook(nudge=1.0)
    with pytest.raises(CheckFailed) as raised:
        check("conv_forward", ns["conv_forward"], cases=[CONV_CASE])
    assert "above still fails" not in str(raised.value)


def test_the_padding_figure_of_a_wrong_zero_pad_says_so(capsys, monkeypatch):
    import matplotlib.pyplot as plt

    from cnn_student.visuals import conv
    titles = []
    monkeypatch.setattr(conv, "show_figure", lambda fig, alt, **kw: (titles.append(fig._suptitle.get_text()),
                                                                     print(alt), plt.close("all")))
    conv.show_padding(notebook(pad=WRONG_PAD)["zero_pad"], pad=2)
    out = capsys.readouterr().out
    assert "not a correct zero padding" in out and "(5, 9, 10, 6)" in out and "WRONG" in titles[-1]
    conv.show_padding(notebook()["zero_pad"], pad=2)
    assert "not a correct" not in capsys.readouterr().out and "WRONG" not in titles[-1]
    assert conv.padding_problems(np.ones((1, 2, 2, 1)), np.ones((1, 4, 4, 1)), 1) == [
        "12 values of the 1-wide border are not 0"]
