"""Notebook 5's cost model (issue 33), each statement a program can check: the window matrix the im2col
layer allocates, what training keeps for the backward pass (the caches of the reference layers against
the count, VGG-16's totals), the number types and where weight decay ends with and without flush-to-zero,
the bytes and multiply-adds that decide which layers are memory-bound, and the uneven overlap counts of a
strided backward pass. Run with the reference layers, and with a wrong one to see the numbers say so."""
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

from autograder.authoring.reference import namespace  # noqa: E402
from cnn_student.visuals import cost_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "05_vectorized" / "05_vectorized.ipynb"


@pytest.fixture(scope="module")
def ref():
    return namespace("05_vectorized")


@pytest.fixture
def sent(monkeypatch):
    """The alt texts show_figure sends."""
    import IPython.display
    shown: list[str] = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw=False, metadata=None:
                        shown.append(bundle["text/plain"]))
    return shown


def _prose(cell_id: str) -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return re.sub(r"\s+", " ", "".join(next(c["source"] for c in cells if c.get("id") == cell_id)))


def _offsets_conv(A_prev, W, b, hp):
    """A conv layer that never writes the window matrix: one product per window offset, added into Z."""
    f, s, p = W.shape[0], hp["stride"], hp["pad"]
    A = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    n_H, n_W = (A.shape[1] - f) // s + 1, (A.shape[2] - f) // s + 1
    Z = np.zeros((A.shape[0], n_H, n_W, W.shape[3]))
    for i in range(f):
        for j in range(f):
            Z += A[:, i:i + s * n_H:s, j:j + s * n_W:s, :] @ W[i, j]
    return Z + b, (A_prev, W, b, hp)


def test_the_window_matrix_is_measured_where_it_is_made(ref, capsys):
    cost_model.window_matrix_memory(ref["conv_forward_fast"])
    out = capsys.readouterr().out
    peak = float(re.search(r"at most ([\d.,]+) MB allocated", out).group(1))
    assert "whole window matrix: 28.90 MB, 9 times its input" in out
    assert peak >= 28.90  # the reference copies the windows of both maps at once
    assert "that matrix is 115.61 MB, against 12.85 MB of input" in out
    written_and_read = 2 * cost_model.window_matrix_bytes(cost_model.Layer("c", "conv", 64, 3, 1, 1), (56, 56, 64)) / (56 * 56 * 64 * 8)
    assert f"moves {written_and_read:.0f} times the bytes of its input" in _prose("costs-algorithms-after")
    cost_model.window_matrix_memory(_offsets_conv)
    peak = float(re.search(r"at most ([\d.,]+) MB allocated", capsys.readouterr().out).group(1))
    assert peak < 10  # output and padded input, no window matrix


def test_training_keeps_what_the_caches_hold(ref, capsys, sent):
    cost_model.training_memory(ref["conv_forward_fast"], ref["pool_forward_fast"])
    out = capsys.readouterr().out
    assert "Your caches keep 4.33 MB, exactly the layers' inputs: 16.0 times the parameters at a batch of 8" in out
    assert ("activations 3,685 MB, parameters 553 MB (138,357,544 of them; with their gradients and Adam's two "
            "moments, 4 times that: 2,214 MB)") in out  # VGG-16's published parameter count
    assert "keep 99.9% of the activations and hold 10.6% of the parameters; the three dense layers hold the other 89.4%" in out
    assert "conv1_1 + ReLU: 430.3 and 0.01; conv1_2 + ReLU: 822.1 and 0.15; pool1: 411.0 and none" in sent[0]
    rows, distinct = cost_model.kept_for_backward(ref["conv_forward_fast"], ref["pool_forward_fast"])
    assert all(r.measured_bytes == r.counted_bytes for r in rows) and distinct == sum(r.counted_bytes for r in rows)

    def keeps_padded(A_prev, W, b, hp):  # a cache with the padded input: more than the rule counts
        Z, _ = ref["conv_forward_fast"](A_prev, W, b, hp)
        p = hp["pad"]
        return Z, (np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0))), W, b, hp)
    cost_model.training_memory(keeps_padded, ref["pool_forward_fast"])
    assert "not the 4.33 MB of the layers' inputs" in capsys.readouterr().out


def test_number_types_and_where_weight_decay_ends(capsys):
    """Notebook 5's rows are notebook 4's simulation (one source), and agree with what a processor in
    flush-to-zero mode does (checked on x86 with MXCSR's FTZ and DAZ bits, SSE scalar arithmetic):
    θ·(1 - lr·λ) reaches 0 after 707,350 steps (float64) and 86,602 (float32); in θ - lr·λ·θ the step is
    flushed first and θ stops at a normal number. Flushing only the final result of θ - lr·λ·θ, as a fused
    multiply-add does, gives 86,601 in float32: the figure notebook 5 printed before, for an arithmetic
    it did not name."""
    cost_model.number_types()
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        name = line[:52].strip()
        rows[name if name not in rows else f"{name} ({len(rows)})"] = line[52:].split()
    assert rows["subnormal numbers kept: θ stops at"] == ["2.465e-321", "6.992e-43"]
    after = [v for k, v in rows.items() if k.startswith("after step")]
    assert after == [["737,048", "96,207"], ["700,446", "79,696"]]
    assert rows["flush-to-zero, θ·(1 − lr·λ): θ is 0 after step"] == ["707,350", "86,602"]
    assert rows["flush-to-zero, θ − lr·λ·θ: θ stops at"] == ["2.223e-305", "1.175e-35"]
    assert rows["lr·λ = 0.5, subnormals kept, θ − lr·λ·θ: stops at"] == ["4.94e-324", "1.4e-45"]
    assert rows["lr·λ = 0.6, subnormals kept: θ is 0 after step"] == ["813", "113"]
    prose = _prose("costs-dtypes-after")
    assert "after 707,350 steps in float64 and 86,602 in float32" in prose and "lr·λ < ½" in prose
    assert "2.22e-305 in float64 and 1.18e-35 in float32" in prose and "86,601" not in prose
    # flush-to-zero as the processor applies it, written out here independently of update_rules: every
    # result under the smallest normal number, the product's as well as the difference's, becomes 0
    for dtype, multiplied, stopped in ((np.float64, 707_350, 700_446), (np.float32, 86_602, 79_696)):
        tiny, rate = np.finfo(dtype).tiny, dtype(0.001)
        flush = lambda v: dtype(0) if abs(v) < tiny else v  # noqa: E731
        keep, t, steps = dtype(1) - rate, dtype(0.5), 0
        while t != 0 and flush(t * keep) != t:
            t, steps = flush(t * keep), steps + 1
        assert (steps, t) == (multiplied, 0)
        t, steps = dtype(0.5), 0
        while flush(t - flush(rate * t)) != t:
            t, steps = flush(t - flush(rate * t)), steps + 1
        assert steps == stopped and t >= tiny
        t, steps = dtype(0.5), 0  # the product left unflushed: only the difference is flushed
        while t != 0:
            t, steps = flush(t - rate * t), steps + 1
        assert steps == {np.float64: 707_350, np.float32: 86_601}[dtype]
    # gradual underflow: never 0 below lr·λ = 1/2, 0 above it, in both ways of writing the step
    from cnn_student.update_rules import decay_to_the_end
    for form in ("subtract", "multiply"):
        for rate in (0.01, 0.25, 0.4, 0.499):
            assert decay_to_the_end(0.5, rate, "float32", form=form).theta > 0
        for rate in (0.501, 0.75):
            assert decay_to_the_end(0.5, rate, "float32", form=form).theta == 0


def test_bytes_and_multiply_adds_decide_what_is_memory_bound(ref, capsys, sent, monkeypatch):
    counted = {case.what: cost_model.count(case) for case in cost_model.CASES}
    assert counted["conv 3x3, 64 -> 64, same input"] == (115_605_504, 3_506_688)
    assert counted["ReLU, 8 maps of 56x56x64"] == (0, 25_690_112)
    assert counted["max pool 2x2, stride 2, same input"] == (0, 16_056_320)
    madds, moved = counted["dense 1024 -> 1024, batch of 8"]
    assert abs(madds / moved - 8 / 8) < 0.05  # m/8 multiply-adds per byte of float64 weights
    assert f"{115_605_504 / 3_506_688:.0f} multiply-adds per byte" == "33 multiply-adds per byte"
    assert "33 multiply-adds per byte" in _prose("costs-bound-after")
    # no multiply-adds: memory-bound on any machine; every least time a true bound (the best rate seen)
    fast = cost_model.Traffic(cost_model.CASES[0], 0, 10**9, 1e-3)  # a layer that moved 1 TB/s: the copy was slower
    machine = cost_model.measure_machine([fast, cost_model.Traffic(cost_model.CASES[5], 10**9, 10**6, 1.0)])
    assert machine.bytes_per_second >= 10**12 and machine.least_seconds(fast) <= fast.seconds
    cost_model.memory_bound(ref["conv_forward_fast"], ref["pool_forward_fast"])
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if re.search(r" ms +[\d.]+ ms$", line)]
    assert len(table) == 6 and all(" memory " in row for row in table[:2])
    for row in table:
        least, measured = (float(x) for x in re.findall(r"([\d.]+) ms", row))
        assert least <= measured
    assert "1, ReLU, 8 maps of 56x56x64: 0.00 per byte, memory-bound" in sent[0]
    monkeypatch.setenv("AUTOGRADER_GRADING", "1")  # the grader's kernel: nothing is timed
    cost_model.memory_bound(ref["conv_forward_fast"], ref["pool_forward_fast"])
    assert "not timed here" in capsys.readouterr().out and len(sent) == 1


@pytest.mark.parametrize("f, stride, interior", [(3, 2, {1, 2, 4}), (4, 2, {4}), (3, 1, {9}), (5, 2, {4, 6, 9}),
                                                 (2, 2, {1}), (3, 3, {1})])
def test_overlap_counts_are_even_only_where_the_stride_divides_the_filter(f, stride, interior):
    counts = cost_model.overlap_counts(6, f, stride)
    assert set(np.unique(cost_model.interior(counts, f)).tolist()) == interior
    assert (len(interior) == 1) == (f % stride == 0)
    assert counts.sum() == 36 * f * f  # every window's f*f pixels, counted once each


def test_the_checkerboard_is_what_conv_backward_computes(ref, capsys, sent):
    cost_model.checkerboard(ref["conv_backward_fast"])
    out = capsys.readouterr().out
    assert "f = 3, stride = 2: interior counts 1, 2, 4\n" in out and "f = 4, stride = 2: interior counts 4\n" in out
    assert "row 2: 2, 2, 4, 2, 4, 2, 4, 2, 4, 2, 2" in sent[0]
    prose = _prose("costs-checkerboard")
    assert "alternate between 1, 2 and 4" in prose

    def overwrites(dZ, cache):  # assigns each offset's contribution instead of adding it
        A_prev, W, b, hp = cache
        f, s = W.shape[0], hp["stride"]
        m, n_H, n_W, _ = dZ.shape
        dA = np.zeros(A_prev.shape)
        for i in range(f):
            for j in range(f):
                dA[:, i:i + s * n_H:s, j:j + s * n_W:s, :] = (dZ.reshape(-1, dZ.shape[3]) @ W[i, j].T).reshape(
                    m, n_H, n_W, -1)
        return dA, np.zeros(W.shape), np.zeros(b.shape)
    cost_model.checkerboard(overwrites)
    assert "✘ your dA_prev is not the window counts" in capsys.readouterr().out
    assert "these are not the window counts" in sent[-1]


def test_windows_view_agrees_with_the_count_of_the_window_matrix():
    """window_matrix_bytes counts what the reference's im2col reshape holds."""
    A = np.zeros((2, 9, 7, 3))
    cols = sliding_window_view(A, (3, 3), axis=(1, 2)).reshape(-1, 27)
    layer = cost_model.Layer("c", "conv", 4, 3, 1, 0)
    assert cost_model.window_matrix_bytes(layer, (9, 7, 3), m=2) == cols.size * 8
