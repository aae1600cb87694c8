"""The ideas issue 22 added to the notebooks, each a number computed in front of the student: a 1x1
convolution is a dense layer per pixel (notebook 1), the backward pass is a transposed convolution with an
ambiguous size at stride > 1 (notebook 3), dilation widens the receptive field (notebook 2). Run here with
the reference layers, and with a wrong one to see the numbers say so."""
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def reference(assignment, *grade_ids):
    """The namespace of a solution notebook's setup cell and the given solution cells."""
    ns = {"np": np}
    cells = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") in ("setup", *grade_ids):
            exec("".join(cell["source"]), ns)
    return ns


def test_one_by_one_is_a_dense_layer_per_pixel(capsys):
    from cnn_student.visuals.one_by_one import one_by_one
    ns = reference("01_conv_forward", "zero_pad", "conv_single_step", "conv_forward")
    one_by_one(ns["conv_forward"])
    out = capsys.readouterr().out
    gaps = [float(x) for x in re.findall(r"largest \|[^|]+\| = ([\d.e+-]+)", out)]
    assert len(gaps) == 2 and max(gaps) < 1e-12, out
    assert "120 of its 2400 entries non-zero" in out

    def wrong(A_prev, W, b, hp):  # forgets the bias
        Z, cache = ns["conv_forward"](A_prev, W, np.zeros_like(b), hp)
        return Z, cache
    one_by_one(wrong)
    gaps = [float(x) for x in re.findall(r"largest \|[^|]+\| = ([\d.e+-]+)", capsys.readouterr().out)]
    assert gaps[0] > 0.01


def test_the_transposed_convolution_sizes(capsys):
    from cnn_student.visuals.backprop import transposed_sizes
    ns = reference("03_backprop", "conv_backward")
    transposed_sizes(ns["conv_forward"], ns["conv_backward"], f=3, stride=2, pad=1)
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\s+\d+\s+\(", line)]
    assert [(int(r[0]), int(r[1]), int(r[2])) for r in rows] == [(5, 3, 5), (6, 3, 5), (7, 4, 7), (8, 4, 7), (9, 5, 9)]
    assert all(r[3] == f"({r[0]}," for r in rows)  # dA_prev has the input's shape: the cache knows it
    assert "inputs of 7 and 8 rows both give n_H = 4" in out
    transposed_sizes(ns["conv_forward"], ns["conv_backward"], f=3, stride=1, pad=1)
    assert "ambiguous" not in capsys.readouterr().out


def test_dilation_widens_the_receptive_field_without_holes(capsys):
    from cnn_student.visuals.receptive import Layer, _feeding, measure_dilated, receptive_fields
    stack = (Layer("conv", 3, 1, 1), Layer("conv", 3, 1, 2), Layer("conv", 3, 1, 4))
    assert [layer.f_eff for layer in stack] == [3, 5, 9]
    assert receptive_fields(stack)[-1][0] == 15
    assert _feeding(stack)[0] == set(range(15)) and _feeding(stack)[1] == set(range(0, 13, 2))
    measure_dilated(stack)
    out = capsys.readouterr().out
    assert "15 x 15 (225 pixels, 0 holes); formula: 15 x 15" in out and "see 7 x 7" in out
    measure_dilated((Layer("conv", 3, 1, 2),))
    assert "5 x 5 (9 pixels, 16 holes)" in capsys.readouterr().out
    # without dilation the figure and the formula are what they were
    assert receptive_fields()[-1] == (10, 4)


def test_the_compute_table_counts_what_q2_asks_about(capsys):
    """Notebook 4's table, with the reference functions: the numbers Q2's key and explanation rest on."""
    from autograder.authoring.reference import namespace
    from cnn_student.visuals.sharing import compute_table
    ns = namespace("04_sharing_vs_sparsity")
    compute_table(ns["conv_param_count"], ns["dense_param_count"], ns["conv_multiply_adds"])
    rows = {line[:34].strip(): line.split()[-4:] for line in capsys.readouterr().out.splitlines() if "VGG-16" in line}
    assert rows["VGG-16 conv1_1 (3x3, 64 filters)"][:2] == ["1,792", "86,704,128"]
    assert rows["VGG-16 fc8 (dense, 4096 -> 1000)"][:2] == ["4,097,000", "4,096,000"]
