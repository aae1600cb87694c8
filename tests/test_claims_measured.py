"""Issue 33: claims of notebooks 1-3 corrected, and the ideas added, each checked on the numbers the notebook
prints (the reference layers where a student's function is used). Each test names what a wrong version of the
code it guards would print instead."""
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder.authoring.reference import namespace  # noqa: E402


# ---------- notebook 1
def test_resnet_blocks_count_what_he_et_al_compare(capsys):
    """ResNet's convolutions have no bias: the bottleneck has 69,632 weights, the 64-channel basic block it is
    compared with 73,728 (a count with biases gives 70,016 and 73,856)."""
    from cnn_student.visuals.one_by_one import BASIC_BLOCK, BOTTLENECK, resnet_blocks
    assert sum(layer.weights for layer in BOTTLENECK) == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    assert sum(layer.weights for layer in BASIC_BLOCK) == 2 * 9 * 64 * 64 == 73_728
    resnet_blocks()
    out = capsys.readouterr().out
    assert "16,384 + 36,864 + 16,384 = 69,632" in out and "36,864 + 36,864 = 73,728" in out, out
    assert "with batch normalization's 768: 70,400" in out and "with batch normalization's 256: 73,984" in out
    assert f"{69_632 * 56 * 56:,}" in out and f"{73_728 * 56 * 56:,}" in out
    assert "4 times as many channels (256 instead of 64) for 0.94 times the weights (0.95" in out
    assert "256 -> 256" not in out  # the 3x3 256 -> 256 layer ResNet does not have


def test_strided_coverage_never_reaches_f_squared(capsys):
    """pad >= f - 1 gives every pixel f*f windows at stride 1 only: at stride 2, f = 3, pixels lie in 1, 2 or 4."""
    from cnn_student.visuals.conv import print_strided_coverage, window_coverage
    assert np.all(window_coverage(6, 3, 2, 1) == 9)
    print_strided_coverage(n=6, f=3, stride=2)
    out = capsys.readouterr().out
    assert "along each axis the pixels lie in 2, 1, 2, 1, 2, 1 windows" in out, out
    assert "counts that occur: 1, 2, 4." in out and "at most ceil(f / stride) = 2 of them, 4 in all" in out
    assert "fewer than f·f = 9" in out


# ---------- notebook 2
def _sliding_pool(A, hp, mode="max"):
    """A pool_forward written differently from the reference: it must give the same table."""
    from numpy.lib.stride_tricks import sliding_window_view
    windows = sliding_window_view(A, (hp["f"], hp["f"]), axis=(1, 2))[:, ::hp["stride"], ::hp["stride"]]
    return (windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))), (A, hp)


def test_aliasing_stripes_vanish_at_stride_2_and_a_blur_keeps_them(capsys, sent):
    """Notebook 2: stripes 2 px wide lose all contrast after a 1-px shift through a stride-2 pool (1, 0, 1, 0 over
    shifts 0-3), keep 0.5 with a blur before the subsampling; without subsampling the photo's output only moves.
    A pool that ignores its stride subsamples nothing, and the table shows no aliasing."""
    from cnn_student.visuals.pool import load_photo
    from cnn_student.visuals.shifts import show_aliasing
    for pool_forward in (namespace("02_pool_forward")["pool_forward"], _sliding_pool):
        show_aliasing(pool_forward, load_photo())
        out = capsys.readouterr().out
        assert ("shifts 0-3: max pool f 2 1, 0, 1, 0; average pool f 2 1, 0, 1, 0; blur, then subsample 0.5, 0.5, "
                "0.5, 0.5") in out, out
        assert "max pool f 2 with stride 1, shifted 1 pixel: 100% of the values equal the old output moved" in out
        assert "max pool f 2, stride 2: shift 0 1 0 1 0 1 0 1 0, shift 1 1 1 1 1 1 1 1 1" in sent[-1]
        assert "(blur, then subsample): shift 0 1 0.5 1 0.5 1 0.5 1, shift 1 1 0.5 1 0.5 1 0.5 1" in sent[-1]

    def strideless(A, hp, mode="max"):
        return _sliding_pool(A, {**hp, "stride": 1}, mode)
    show_aliasing(strideless, load_photo())
    assert "max pool f 2 1, 1, 1, 1;" in capsys.readouterr().out
    text = _notebook_text("02_pool_forward")
    assert "their contrast goes 1, 0, 1, 0 over the shifts" in text and "the same contrast, 0.5, at every shift" in text
    assert "100% of its values equal the old output moved by one position" in text


def test_the_shift_table_says_where_aliasing_is(capsys, sent):
    """The values a 1-px shift leaves equal to neither old value sit in detail: 57% of the windows that hold
    detail, 32% of the flatter ones, the numbers notebook 2 quotes."""
    from cnn_student.visuals.pool import load_photo
    from cnn_student.visuals.shifts import measure_pool_shift
    measure_pool_shift(_sliding_pool, load_photo())
    out = capsys.readouterr().out
    assert "are 57% of those whose window holds detail" in out and "23% of the windows) and 32% of the flatter" in out
    assert "in 57% of the windows that hold detail (their pixels span more than 0.1) and 32% of the flatter ones" in \
        _notebook_text("02_pool_forward")


@pytest.fixture
def sent(monkeypatch):
    """The text alternatives show_figure sends to the notebook."""
    shown: list[str] = []
    import IPython.display
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw=False, metadata=None:
                        shown.append(bundle["text/plain"]))
    return shown


# ---------- notebook 3
def _table(out: str) -> dict[int, list[str]]:
    return {int(line.split()[0]): line.split()[1:] for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\s+\d", line)}


def test_the_effective_receptive_field_grows_like_the_square_root_of_depth(capsys, sent):
    """Notebook 3: backpropagated by the reference conv_backward, and by the flipped-filter correlation while the
    student's is unwritten, the same numbers: spread sqrt(2L/3), 95% of the gradient in 13 x 13 of the 21 x 21
    field at depth 10, the corner 1.2e-08 of the centre. A conv_backward that assigns where windows overlap
    spreads nothing and the table says so."""
    from cnn_student.visuals.effective import effective_receptive_field
    ns = namespace("03_backprop")
    effective_receptive_field(ns["conv_backward"], ns["conv_forward"])
    out = capsys.readouterr().out
    rows = _table(out)
    assert sorted(rows) == list(range(1, 11)), out
    for L, row in rows.items():
        assert row[0] == str(2 * L + 1) and float(row[1]) == pytest.approx(np.sqrt(2 * L / 3), abs=1e-3), row
        assert row[2] == "0.816"
    assert rows[10][3:] == ["13", "x", "13", "38%", "1.2e-08"], rows[10]
    assert "backpropagated by your conv_backward" in out
    assert "depth 10, |gradient| averaged over 2 random images: spread σ = 3.971, 95% in 15 x 15 of the 21 x 21" in out
    assert "every weight 1/9, depth 10: field 21 x 21, 95% in 13 x 13" in sent[0]
    text = _notebook_text("03_backprop")
    for quoted in ("σ/√L stays 0.816", "95% of the gradient lies in 13 x 13 of the 21 x 21 field (38% of its area)",
                   "1.2e-08 times as much", "95% in 15 x 15"):
        assert quoted in text, quoted

    def unwritten(dZ, cache):
        raise NotImplementedError
    effective_receptive_field(unwritten, ns["conv_forward"])
    again = capsys.readouterr().out
    assert "your conv_backward is not written yet" in again and _table(again) == rows

    # the catalogue's "assignment instead of accumulation" in dA_prev: overlapping windows overwrite each other
    source = _solution_source("03_backprop", "conv_backward")
    wrong = {"np": np, "zero_pad": ns["zero_pad"]}
    exec(source.replace("da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] +=",
                        "da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] ="), wrong)
    effective_receptive_field(wrong["conv_backward"], ns["conv_forward"])
    out = capsys.readouterr().out
    assert "your dA_prev is 0 everywhere" in out and not _table(out), out
    exec(source.replace("dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]",
                        "dA_prev[i, :, :, :] = da_prev_pad[:n_H_prev, :n_W_prev, :]"), wrong)  # cropped off-centre
    effective_receptive_field(wrong["conv_backward"], ns["conv_forward"])
    shifted = _table(capsys.readouterr().out)
    assert shifted and shifted[10] != rows[10]


def _notebook_text(assignment: str) -> str:
    """The solution notebook's text, line breaks as spaces (what the student reads)."""
    import nbformat

    from autograder.authoring.reference import notebook_path
    return re.sub(r"\s+", " ", "\n".join(c.source for c in nbformat.read(notebook_path(assignment), as_version=4).cells))


def _solution_source(assignment: str, grade_id: str) -> str:
    import nbformat

    from autograder.authoring.reference import notebook_path
    cells = nbformat.read(notebook_path(assignment), as_version=4).cells
    (source,) = [c.source for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert "+=" in source
    return source
