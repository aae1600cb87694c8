"""Notebook 4's claims that issue 33 found wrong or inexact, each checked where its number is made: by the
functions the notebook calls, run here with the reference solutions (no kernel), and in the answer texts
the grader adds to feedback. A claim's number is computed, never typed into the test."""
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from autograder.authoring.reference import namespace  # noqa: E402
from autograder.grading.pipeline.explanations import ANSWERS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NB4 = "04_sharing_vs_sparsity"


@pytest.fixture(scope="module")
def ref():
    return namespace(NB4)


@pytest.fixture(autouse=True)
def figures(monkeypatch):
    """Every figure the notebook's functions make passes show_figure's accessibility checks; the PNG itself is
    not rendered here (it is what takes the time), so the tests check the numbers and the checks only."""
    import matplotlib.pyplot as plt
    from cnn_student.visuals import _common, architectures, sharing, time_memory
    alts = []

    def checked(fig, alt, print_alt=False):
        problems = _common.figure_problems(fig, alt)
        plt.close(fig)
        assert not problems, problems
        alts.append(alt)
    for module in (architectures, sharing, time_memory):
        monkeypatch.setattr(module, "show_figure", checked)
    return alts


def test_a_named_cell_id_is_its_grade_id(ref):
    """A cell id that is a name, not a random hex string, names the cell's own grade id (Q2's cells kept
    `dense-overfits-more` after their question changed)."""
    wrong = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if gid and not re.fullmatch(r"[0-9a-f]{8,}", cell["id"]) and cell["id"] != gid.replace("_", "-"):
                wrong.append(f"{path.name}: cell {cell['id']!r} holds {gid!r}")
    assert not wrong, "\n".join(wrong)


def test_q2_states_the_ratio_the_compute_table_prints(ref, capsys):
    """Q2's explanation says how many times fc8's multiply-adds VGG-16's first conv layer does: 21.2, as the
    table prints, not 'twenty'."""
    from cnn_student.visuals.sharing import compute_table
    conv = ref["conv_multiply_adds"](3, 3, (224, 224, 64))
    dense = 4096 * 1000  # one multiply-add per weight of fc8
    ratio = f"{conv / dense:.1f} times"
    compute_table(ref["conv_param_count"], ref["dense_param_count"], ref["conv_multiply_adds"])
    assert f"{ratio} its multiply-adds per image" in capsys.readouterr().out
    assert ratio == "21.2 times" and ratio in ANSWERS["fewer_params_less_compute"]


def _cell_source(cell_id: str) -> str:
    cells = json.loads((ROOT / "solutions" / NB4 / f"{NB4}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["id"] == cell_id)["source"])


def test_the_decay_cell_prints_the_step_and_the_half_gap_in_units_of_2_to_the_minus_1074(capsys):
    """Printed as numbers of 2.47e-324 they looked equal; in units of 2^-1074 they are 0.499 and 0.5."""
    exec(_cell_source("decay-to-the-end"), {"np": __import__("numpy")})
    out = capsys.readouterr().out
    assert "after 737,048 steps θ = 499 units of 2^-1074" in out, out
    assert "the step lr·λ·θ is 0.499000 units of 2^-1074 (computed exactly" in out and "(1 unit, half of it 0.5)" in out
    assert "float64 rounds the step to 0 and θ − lr·λ·θ is θ again" in out, out
    assert "θ is exactly 0: False" in out


def test_weight_decay_ends_as_the_notebook_and_the_feedback_say(capsys):
    """Gradual underflow with lr·λ < 1/2: never 0; lr·λ = 0.6: 0 after 813 steps; flush-to-zero: 0 after
    707,350 steps (float64) and 86,602 (float32) when the step multiplies θ by 1 - lr·λ, a normal number and
    never 0 when it subtracts lr·λ·θ (the step itself flushes to 0 first)."""
    from cnn_student.update_rules import decay_endings, decay_to_the_end
    ends = {(e.dtype, e.flush, e.form, e.lr_lambda): e for e in decay_endings()}
    out = capsys.readouterr().out
    rule = ends[("float64", False, "subtract", 0.001)]
    assert (rule.steps, rule.units) == (737_048, 499) and rule.theta > 0
    assert ends[("float64", False, "multiply", 0.001)].units == 499
    assert ends[("float64", False, "subtract", 0.5)].units == 1            # ½: the subtracted step rounds to 0
    assert ends[("float64", False, "multiply", 0.5)].theta == 0            # ... the halved θ rounds to 0
    assert (ends[("float64", False, "subtract", 0.6)].steps, ends[("float64", False, "subtract", 0.6)].theta) == (813, 0)
    assert (ends[("float64", True, "multiply", 0.001)].steps, ends[("float64", True, "multiply", 0.001)].theta) \
        == (707_350, 0)
    assert (ends[("float32", True, "multiply", 0.001)].steps, ends[("float32", True, "multiply", 0.001)].theta) \
        == (86_602, 0)
    for dtype in ("float64", "float32"):                                   # the step flushes first: never 0
        stalled = ends[(dtype, True, "subtract", 0.001)]
        assert stalled.theta >= {"float64": 2.0 ** -1022, "float32": 2.0 ** -126}[dtype]
    assert ends[("float32", False, "subtract", 0.001)].units == 499
    assert "737,048  499 units of 2^-1074" in out and "707,350  exactly 0" in out and "86,602  exactly 0" in out
    # the subtracted step stops θ the first time lr·λ·θ falls below 2^-1022, 6,904 steps before the multiplied
    # form leaves the normal range
    assert decay_to_the_end(0.5, 0.001, flush=True, form="subtract").steps == 700_446
    said = ANSWERS["decay_zero_after_300"]
    for number in ("737,048", "499 units of 2^-1074", "0.499 units", "707,350", "2.22e-305"):
        assert number in said, number
    assert f"{ends[('float64', True, 'subtract', 0.001)].theta:.3g}" == "2.22e-305"
    assert "`lr·λ = 0.001` as above" in _cell_source("f3eb70686140")          # Q7 pins the decay it asks about


def test_momentum_is_named_in_both_forms_with_what_each_does_to_the_step(capsys):
    """The sum form's velocity grows to g / (1 - beta), the average form's to g; the average form with
    lr / (1 - beta) takes the sum form's steps; a zero gradient moves the weight under both. The notebook's
    table names both rules."""
    from cnn_student.update_rules import momentum_forms
    paths = momentum_forms(beta=0.9, lr=0.03)
    out = capsys.readouterr().out
    rows = {int(r[0]): (float(r[1]), float(r[2])) for r in (line.split() for line in out.splitlines())
            if len(r) == 3 and r[0].isdigit()}
    assert rows[1] == (1.0, 0.1) and rows[100][0] == pytest.approx(10, abs=1e-3) and rows[100][1] == pytest.approx(1, abs=1e-4)
    assert abs(paths["sum"] - paths["average"]).max() < 1e-12
    moved = re.search(r"moved in (\d+) of (\d+)", out)
    assert moved and moved.group(1) == moved.group(2) != "0", out
    table = _cell_source("6f3665e6b387")
    assert "`v ← β·v + dθ`" in table and "`v ← β·v + (1 − β)·dθ`" in table
    assert "v <- beta*v + (1 - beta)*dθ" in ANSWERS["momentum_moves_zero_grad"]


def _tiny_cnn():
    import sys
    sys.path.insert(0, str(ROOT / "solutions" / NB4))  # tiny_cnn.py ships with notebook 4
    import tiny_cnn
    return tiny_cnn


def test_the_timed_layers_separate_the_two_counts(ref):
    """A, B, C: the same (position, filter) pairs, 1, 16 and 64 times the multiply-adds; C, D: the same
    multiply-adds, D with twice the pairs. Counted with the reference conv_multiply_adds; the layers are
    called, not timed here (timings belong to bench/)."""
    from cnn_student.visuals.time_memory import time_layers
    calls = set()
    rows = time_layers(ref["conv_multiply_adds"], {"any": lambda x, W, b: calls.add((x.shape, W.shape))},
                       repeats=1)
    by = {r.label: r for r in rows}
    assert [by[k].pairs for k in "ABC"] == [2048] * 3
    assert [by[k].multiply_adds // by["A"].multiply_adds for k in "ABC"] == [1, 16, 64]
    assert [by[k].multiply_adds for k in "CD"] == [1_179_648] * 2 and by["D"].pairs == 2 * by["C"].pairs
    assert "so twice the pairs." in " ".join(_cell_source("time-against-counts-intro").split())  # not "over twice"
    assert ((1, 16, 16, 32), (3, 3, 32, 16)) in calls and len(calls) == 4
    # the layers are timed in turn, round after round: a busy moment of the machine cannot slow one layer alone
    from cnn_student.visuals import time_memory
    order: list = []
    time_layers(ref["conv_multiply_adds"], {"any": lambda x, W, b: order.append(x.shape[3] * 100 + W.shape[3])},
                repeats=1)
    visits = [k for i, k in enumerate(order) if i == 0 or k != order[i - 1]]  # A's warm-up merges with A
    assert time_memory.ROUNDS >= 2 and visits == [108, 1608, 6408, 3216] * time_memory.ROUNDS, visits


def test_the_verdict_names_the_count_the_time_is_proportional_to(capsys):
    """Times made proportional to one count (plus a call's fixed cost, or a slower inner product for more
    channels, as measured) must be attributed to that count, and the table and figure text print it."""
    from cnn_student.visuals import time_memory
    counts = {r[0]: (9 * r[2] * r[1] * r[1] * r[3], r[1] * r[1] * r[3]) for r in time_memory.TIMED_LAYERS}
    rows = [time_memory.TimedLayer(label, n, c_prev, c, counts[label][0], counts[label][1],
                            {"loops": 3e-6 * counts[label][1] * (1 + c_prev / 200),
                             "vectorized": 50e-6 + 0.7e-9 * counts[label][0]})
            for label, n, c_prev, c in time_memory.TIMED_LAYERS]
    assert min(time_memory.spreads(rows, "loops"), key=time_memory.spreads(rows, "loops").get) == "(position, filter) pairs"
    assert min(time_memory.spreads(rows, "vectorized"), key=time_memory.spreads(rows, "vectorized").get) == "multiply-adds"


def test_the_vectorized_layer_is_notebook_1s_layer(ref):
    import numpy as np
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal((1, 1, 1, 4))
    Z, _ = ref["conv_forward"](x, W, b, {"stride": 1, "pad": 1})
    np.testing.assert_allclose(_tiny_cnn().conv_forward_vectorized(x, W, b, 1), Z, atol=1e-12)


def test_in_a_training_step_the_activations_outweigh_the_parameters(capsys):
    """Part 3's network: parameters and gradients 17,056 bytes at every batch size, the activations kept for
    the backward pass more than that already for one image and in proportion to the batch."""
    from cnn_student.visuals.time_memory import training_memory
    net = _tiny_cnn()
    X, y, _, _ = net.load_shapes()
    rows = training_memory(net.forward, net.backward, net.init_params(X.shape[1:]), X, y, batches=(1, 4, 16))
    assert {(r.parameters, r.gradients) for r in rows} == {(17_056, 17_056)}
    assert rows[0].activations > rows[0].parameters
    assert rows[2].activations == 16 * rows[0].activations and all(r.peak >= r.activations for r in rows)
    assert set(rows[1].kept) == {"cols", "Z1", "P", "probs"}  # flat is P reshaped: not counted twice
    assert "17,056" in capsys.readouterr().out


def test_groups_extends_the_contracts_count_without_changing_any_call(ref):
    """conv_param_count(f, n_C_prev, n_C) keeps its contract meaning: `groups` is a keyword with default 1, and
    the three-argument call equals groups=1 (the stub students receive has the signature)."""
    import inspect
    fn = ref["conv_param_count"]
    params = inspect.signature(fn).parameters
    assert list(params)[:3] == ["f", "n_C_prev", "n_C"] and params["groups"].default == 1
    for f, c, n in ((3, 4, 8), (5, 3, 6), (1, 7, 2)):
        assert fn(f, c, n) == fn(f, c, n, groups=1) == (f * f * c + 1) * n
    assert fn(3, 16, 16, groups=16) == 16 * (9 + 1)                    # depthwise: one channel per filter
    released = (ROOT / "notebooks" / NB4 / f"{NB4}.ipynb").read_text(encoding="utf-8")
    assert "def conv_param_count(f, n_C_prev, n_C, groups=1):" in released


def test_stacked_3x3_filters_see_as_far_with_27_against_49_c_squared(ref, capsys):
    """Measured with the reference conv_forward on an impulse: two 3x3 layers reach 5x5 outputs, three 7x7, as
    one 5x5 and one 7x7 layer do; weights 18, 25, 27, 49 times C², parameters from the reference count."""
    from cnn_student.visuals.architectures import stacked_filters
    rows = stacked_filters(ref["conv_param_count"], ref["conv_multiply_adds"], ref["conv_forward"], channels=64)
    fields = {k: r.field for k, r in rows.items()}
    assert fields == {"two 3x3": (5, 5), "one 5x5": (5, 5), "three 3x3": (7, 7), "one 7x7": (7, 7)}
    assert {k: r.weights // 64 ** 2 for k, r in rows.items()} == {"two 3x3": 18, "one 5x5": 25, "three 3x3": 27,
                                                                   "one 7x7": 49}
    assert rows["three 3x3"].params == 3 * (9 * 64 + 1) * 64 and rows["one 7x7"].params == (49 * 64 + 1) * 64
    stack = rows["three 3x3"].response
    assert stack[4, 4] == 49 and stack[1, 1] == 1 and stack[0, 4] == 0  # paths: (1+x+x²)³ has 7 at its middle
    out = capsys.readouterr().out
    assert "the same 7 x 7 receptive field (measured), 55% of the parameters" in out
    # the text quotes both ratios the table prints, not "about half" (two 3x3 take 72% of one 5x5)
    shares = [f"{rows[a].params / rows[b].params:.0%}" for a, b in (("two 3x3", "one 5x5"), ("three 3x3", "one 7x7"))]
    assert shares == ["72%", "55%"] and all(f"{x} of the parameters" in out for x in shares)
    said = " ".join(_cell_source("grouped-separable-intro").split())
    assert "for 72% of its parameters and multiply-adds (two 3x3 against one 5x5) or 55%" in said
    assert "with 72% (5x5) or 55% (7x7) of its weights" in " ".join(_cell_source("0dfad468f0a2").split())


def test_depthwise_separable_counts_with_the_students_grouped_count(ref):
    """MobileNet's 14x14x512 layer: standard 2,359,808 parameters, depthwise 5,120 + pointwise 262,656; the
    multiply-adds shrink by the same factors. A count that ignores groups shows in the table as it is."""
    from cnn_student.visuals.architectures import LayerCost, grouped_and_separable
    rows = grouped_and_separable(ref["conv_param_count"], ref["conv_multiply_adds"])
    assert rows["standard"] == LayerCost(2_359_808, 462_422_016)
    assert rows["depthwise"] == LayerCost(5_120, 903_168) and rows["pointwise 1x1"] == LayerCost(262_656, 51_380_224)
    assert rows["depthwise-separable"] == LayerCost(267_776, 52_283_392)
    assert rows["grouped (32 groups)"] == LayerCost((9 * 16 + 1) * 512, 9 * 16 * 14 * 14 * 512)
    ignoring = grouped_and_separable(lambda f, c, n, groups=1: (f * f * c + 1) * n, ref["conv_multiply_adds"])
    assert ignoring["depthwise"].parameters == rows["standard"].parameters


def test_global_average_pooling_shrinks_the_head_of_part_3s_network(ref):
    """2,132 parameters with the dense head on 16x16 images, 116 with global average pooling, which stays 116
    for larger images while the dense head grows with them; the averaged features are one per filter."""
    import numpy as np
    from cnn_student.visuals.architectures import average_pooling_head
    rows, averaged = average_pooling_head(ref["conv_param_count"], ref["dense_param_count"], np.ones((5, 8, 8, 8)))
    totals = {r.n: (r.conv + r.dense_head, r.conv + r.pooling_head) for r in rows}
    assert totals == {16: (2_132, 116), 32: (8_276, 116), 64: (32_852, 116)}
    assert averaged.shape == (5, 8)


# each slip's count written out here, as a student would compute it: (cause, count(f, C, n, g))
COUNT_SLIPS = {
    "conv_param_count.no_biases": lambda f, C, n, g: f * f * (C // g) * n,
    "conv_param_count.one_bias": lambda f, C, n, g: f * f * (C // g) * n + 1,
    "conv_param_count.bias_per_input_channel": lambda f, C, n, g: f * f * (C // g) * n + C // g,
    "conv_param_count.bias_per_filter_and_channel": lambda f, C, n, g: (f * f + 1) * (C // g) * n,
    "conv_param_count.ignores_input_channels": lambda f, C, n, g: (f * f + 1) * n,
    "conv_param_count.no_channels_no_biases": lambda f, C, n, g: f * f * n,
    "conv_param_count.one_filter": lambda f, C, n, g: f * f * (C // g) + 1,
    "conv_param_count.window_f_not_f_squared": lambda f, C, n, g: (f * (C // g) + 1) * n,
    "conv_param_count.added_dimensions": lambda f, C, n, g: (f + f + C // g + 1) * n,
    "conv_param_count.f_plus_f": lambda f, C, n, g: (2 * f * (C // g) + 1) * n,
    "conv_param_count.weights_of_one_filter": lambda f, C, n, g: f * f * (C // g) + n,
    "conv_param_count.groups_ignored": lambda f, C, n, g: (f * f * C + 1) * n,
    "conv_param_count.bias_per_group": lambda f, C, n, g: f * f * (C // g) * n + g,
    "conv_param_count.one_group": lambda f, C, n, g: (f * f * (C // g) + 1) * (n // g),
    "conv_param_count.divided_total": lambda f, C, n, g: (f * f * C + 1) * n / g,
    "conv_param_count.times_groups": lambda f, C, n, g: (f * f * (C // g) + 1) * n * g,
}


@pytest.mark.parametrize("f, C, n, g", [(3, 4, 8, 1), (5, 3, 6, 1), (3, 8, 12, 4), (5, 6, 12, 3), (3, 16, 16, 16)])
def test_each_count_slip_is_named_from_the_right_count(ref, f, C, n, g):
    """The hints ship to students, so they derive each slip's count from the right one instead of spelling the
    grouped count out; each slip is still named by its cause (where two slips give the same count, one of them)."""
    from cnn_student.compare import diagnose
    case = {"f": f, "n_C_prev": C, "n_C": n, **({"groups": g} if g > 1 else {})}
    right = ref["conv_param_count"](f, C, n, g)
    by_count: dict = {}
    for cause, slip in COUNT_SLIPS.items():
        if g > 1 or cause.split(".")[1] not in ("groups_ignored", "bias_per_group", "one_group", "divided_total",
                                                "times_groups"):
            by_count.setdefault(slip(f, C, n, g), set()).add(cause)
    for count, causes in by_count.items():
        if count == right:
            continue
        named = diagnose("conv_param_count", case, right, count).causes
        assert named[0] in causes, (case, count, causes, named)
    source = (ROOT / "cnn_student" / "functions" / "sharing.py").read_text()
    assert "per_group + 1" not in source and "f * f * C + 1" not in source  # no graded count spelled out


def test_which_outweighs_the_other_is_quoted_from_part_1s_table(ref, capsys):
    """Training memory's reading quotes the output values and parameters of three layers of Part 1's table: a
    conv layer outputs more values than it has parameters on a large map, fewer on LeNet-like conv2's 10x10 (it
    said 'a conv layer far more')."""
    from cnn_student.visuals.sharing import compute_table
    compute_table(ref["conv_param_count"], ref["dense_param_count"], ref["conv_multiply_adds"])
    rows = {line[:34].strip(): line.split()[-4:] for line in capsys.readouterr().out.splitlines()
            if re.match(r"(LeNet|VGG)", line)}
    said = " ".join(_cell_source("training-memory-reading").split())
    for name, label in (("VGG-16 fc8 (dense, 4096 -> 1000)", "fc8"), ("VGG-16 conv1_1 (3x3, 64 filters)", "conv1_1"),
                        ("LeNet-like conv2 (5x5, 16 filters)", "conv2")):
        params, _, _, outputs = rows[name]
        assert f"{label}: {outputs} for {params}" in said or f"({outputs} for {params})" in said, (label, said)
    conv2 = rows["LeNet-like conv2 (5x5, 16 filters)"]
    assert int(conv2[3].replace(",", "")) < int(conv2[0].replace(",", ""))  # fewer outputs than parameters
