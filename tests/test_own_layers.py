"""Notebook 4 loads the student's own layers from their notebooks 1-3 in the course folder (issue 22):
yours when right, the provided ones with a clear reason when a notebook is missing or a layer is not
written, raises or is wrong, and never at grading."""
import json
import shutil
from pathlib import Path

from cnn_student.own_layers import SOURCES, load_own_layers

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ("01_conv_forward", "02_pool_forward", "03_backprop")


def provided():
    """Stand-ins for notebook 4's provided layers: the loader hands them back where it cannot use yours."""
    def make(name):
        def layer(*args):
            raise AssertionError(f"provided {name} called")
        layer.__name__ = name
        return layer
    return {name: make(name) for name in SOURCES}


def course(tmp_path, source="solutions", only=ASSIGNMENTS):
    """A course folder with notebooks 1-3 (the reference solutions: right; the released ones: stubs) and an
    empty folder for notebook 4, where the loader is called from."""
    for assignment in only:
        (tmp_path / assignment).mkdir()
        shutil.copy(ROOT / source / assignment / f"{assignment}.ipynb", tmp_path / assignment)
    (tmp_path / "04_sharing_vs_sparsity").mkdir()
    return tmp_path


def edit_cell(path, grade_id, old, new):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            source = "".join(cell["source"])
            assert old in source
            cell["source"] = source.replace(old, new)
    path.write_text(json.dumps(nb))


def test_right_layers_are_yours(tmp_path, capsys):
    folder = course(tmp_path)
    fakes = provided()
    own = load_own_layers(**fakes, folder=folder)
    assert own.origin == {name: "yours" for name in SOURCES}
    assert all(own.layers()[name] is not fakes[name] for name in SOURCES)
    assert own.conv_forward.__doc__.startswith("Forward pass of a convolutional layer")
    assert "runs 4 of your layers" in capsys.readouterr().out


def test_stubs_fall_back_with_a_reason(tmp_path, capsys):
    folder = course(tmp_path, source="notebooks")
    fakes = provided()
    own = load_own_layers(**fakes, folder=folder)
    assert own.origin == {name: "provided" for name in SOURCES}
    assert own.layers() == fakes
    out = capsys.readouterr().out
    for name in SOURCES:
        assert f"{name}: yours, from" in out and "is not written yet" in out, out
    assert "runs 0 of your layers and the provided ones for the rest." in out


def test_a_missing_notebook_and_a_wrong_layer(tmp_path, capsys):
    folder = course(tmp_path, only=("01_conv_forward", "03_backprop"))
    edit_cell(folder / "01_conv_forward" / "01_conv_forward.ipynb", "conv_forward",
              "vert_start = h * stride", "vert_start = h")  # the window does not move with the stride
    own = load_own_layers(**provided(), folder=folder)
    out = capsys.readouterr().out
    assert own.origin == {"conv_forward": "provided", "pool_forward": "provided",
                          "conv_backward": "yours", "pool_backward": "yours"}
    assert "notebook 02_pool_forward: not found" in out
    assert "conv_forward: yours, from 01_conv_forward/01_conv_forward.ipynb, gives a wrong result on conv_forward(" in out


def test_a_cell_that_cannot_run_and_a_layer_that_raises(tmp_path, capsys):
    folder = course(tmp_path, only=("02_pool_forward", "03_backprop"))
    edit_cell(folder / "02_pool_forward" / "02_pool_forward.ipynb", "pool_forward", "def pool_forward(", "def pool_forward(:")
    edit_cell(folder / "03_backprop" / "03_backprop.ipynb", "pool_backward",
              "dA_prev = np.zeros(A_prev.shape)", "dA_prev = np.zeros(A_prev.shape)\n    1 / 0")
    own = load_own_layers(**provided(), folder=folder)
    out = capsys.readouterr().out
    assert "notebook 02_pool_forward: its cell pool_forward cannot be read as Python (SyntaxError" in out
    assert "pool_forward: not defined in 02_pool_forward/02_pool_forward.ipynb; the provided one is used." in out
    assert "pool_backward: yours, from 03_backprop/03_backprop.ipynb, raises ZeroDivisionError on pool_backward(" in out
    assert own.origin["conv_backward"] == "yours" and own.origin["pool_backward"] == "provided"


def test_nothing_is_read_at_grading(tmp_path, capsys, monkeypatch):
    folder = course(tmp_path)
    monkeypatch.setenv("AUTOGRADER_GRADING", "1")
    fakes = provided()
    own = load_own_layers(**fakes, folder=folder)
    assert own.layers() == fakes
    assert "At grading your other notebooks are not read" in capsys.readouterr().out


def test_the_student_cells_run_in_a_namespace_of_their_own(tmp_path):
    folder = course(tmp_path, only=("01_conv_forward",))
    edit_cell(folder / "01_conv_forward" / "01_conv_forward.ipynb", "zero_pad",
              "def zero_pad(X, pad):", "X_train = 'changed by notebook 1'\n\n\ndef zero_pad(X, pad):")
    X_train = "notebook 4's"
    own = load_own_layers(**provided(), folder=folder, quiet=True)
    assert X_train == "notebook 4's" and "X_train" not in globals()
    assert own.conv_forward.__globals__["X_train"] == "changed by notebook 1"
