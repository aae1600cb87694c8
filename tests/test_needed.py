"""What grading runs (autograder/grading/needed.py): teaching cells that no running cell needs are
skipped; anything the student wrote or changed runs, and so does every teaching cell it uses."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.cells import has_nbgrader
from autograder.grading.needed import skipped
from autograder.reference import notebook_path
from autograder.release import assignments


def released(assignment: str) -> list:
    return nbformat.read(notebook_path(assignment).parents[2] / "notebooks" / assignment / f"{assignment}.ipynb",
                         as_version=4).cells


def sources(cells) -> list[str]:
    return [c.source for c in cells if c.cell_type == "code"]


@pytest.mark.parametrize("assignment", assignments())
def test_reference_skips_only_teaching_cells_and_every_test_runs(assignment):
    cells = nbformat.read(notebook_path(assignment), as_version=4).cells
    skip = skipped(cells, sources(released(assignment)))
    assert skip, f"{assignment}: no teaching cell skipped at grading"
    assert not any(has_nbgrader(cells[i]) for i in skip)


def teaching(source: str):
    return new_code_cell(source)


def graded(source: str, kind: str = "solution"):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": kind == "solution", "grade": kind == "test", "locked": kind == "test",
                                 "grade_id": source[:8], "points": 1 if kind == "test" else 0}
    return cell


def test_a_teaching_cell_runs_when_something_that_runs_uses_its_names():
    cells = [teaching("%matplotlib inline\nimport matplotlib.pyplot as plt"), teaching("photo = load()"),
             teaching("show(photo)"), graded("def f(x):\n    return x"), graded("check(f)", "test")]
    given = sources(cells)
    assert skipped(cells, given) == {0, 1, 2}
    # the student's solution draws with plt: the import cell must run, the figure cells need not
    cells[3] = graded("def f(x):\n    plt.plot(x)\n    return x")
    assert skipped(cells, given) == {1, 2}
    # a cell the student added that uses photo: photo's cell runs (and what it uses, transitively)
    cells.insert(3, teaching("mine = photo * 2"))
    assert skipped(cells, given) == {2}


def test_changed_cells_run_and_opaque_code_runs_everything():
    cells = [teaching("photo = load()"), teaching("show(photo)"), graded("check(f)", "test")]
    given = sources(cells)
    cells[1] = teaching("show(photo, big=True)")  # edited by the student: not the released cell
    assert skipped(cells, given) == set()  # and it needs photo
    cells[1] = teaching("show(photo)")
    for opaque in ("exec('x = 1')", "globals()['photo']", "%timeit f(1)", "from mine import *"):
        assert skipped(cells + [teaching(opaque)], given + [opaque]) == set(), opaque
