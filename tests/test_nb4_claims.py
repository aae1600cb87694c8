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
    compute_table(ref["conv_param_count"], ref["dense_param_count"], ref["conv_multiply_adds"], ref["conv_forward"],
                  repeats=1)
    assert f"{ratio} its multiply-adds per image" in capsys.readouterr().out
    assert ratio == "21.2 times" and ratio in ANSWERS["fewer_params_less_compute"]
