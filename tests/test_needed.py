"""What grading runs (autograder/grading/pipeline/needed.py): teaching cells that no running cell needs are
skipped; anything the student wrote or changed runs, and so does every teaching cell it uses."""
import ast
import contextlib
import io

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.authoring.cells import has_nbgrader
from autograder.grading.pipeline.needed import _names, skipped
from autograder.paths import NOTEBOOKS
from autograder.authoring.reference import notebook_path
from autograder.authoring.release import assignments
from cnn_student.source import python_text

# calls that change state a graded cell may read, which no reading of names can see
STATE_CHANGERS = {"np.random.seed", "random.seed", "np.seterr", "np.set_printoptions", "os.chdir", "os.putenv",
                  "warnings.filterwarnings", "warnings.simplefilter", "plt.rcParams.update", "matplotlib.use"}
MUTATORS = {"append", "extend", "insert", "update", "pop", "clear", "setdefault", "remove", "sort", "fill",
            "resize", "put", "itemset"}


def released_sources(assignment: str) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / assignment / f"{assignment}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def sources(cells) -> list[str]:
    return [c.source for c in cells if c.cell_type == "code"]


def dotted(node: ast.AST) -> str:
    return f"{dotted(node.value)}.{node.attr}" if isinstance(node, ast.Attribute) else getattr(node, "id", "?")


@pytest.mark.parametrize("assignment", assignments())
def test_skipped_cells_of_the_released_notebooks_change_no_shared_state(assignment):
    """Only teaching cells are skipped, some in every notebook, and none of them makes a call that could
    change what a graded cell computes (a seed, an option, a method that mutates a running cell's object)."""
    cells = nbformat.read(notebook_path(assignment), as_version=4).cells
    skip = skipped(cells, released_sources(assignment))
    assert skip and not any(has_nbgrader(cells[i]) for i in skip)
    running_names = set().union(*(_names(c.source)[0] for i, c in enumerate(cells)
                                  if c.cell_type == "code" and i not in skip))
    for i in skip:
        for node in ast.walk(ast.parse(python_text(cells[i].source))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = dotted(node.func)
                assert name not in STATE_CHANGERS, f"{assignment} cell {i} is skipped at grading but calls {name}"
                assert not (node.func.attr in MUTATORS and name.split(".")[0] in running_names), \
                    f"{assignment} cell {i} is skipped at grading but changes {name.split('.')[0]} with {name}"


@pytest.mark.parametrize("assignment", assignments())
def test_the_cells_that_run_at_grading_run_without_the_skipped_ones(assignment, monkeypatch):
    """The reference notebook's cells that grading runs, run in order in one namespace without an error:
    nothing they use was defined only in a skipped cell."""
    monkeypatch.delenv("AUTOGRADER_GRADING", raising=False)
    path = notebook_path(assignment)
    monkeypatch.chdir(path.parent)
    cells = nbformat.read(path, as_version=4).cells
    skip = skipped(cells, released_sources(assignment))
    namespace: dict = {}
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and i not in skip:
            code = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith("%matplotlib"))
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"<{assignment} cell {i}>", "exec"), namespace)


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
    # a cell the student added that uses photo: photo's cell runs
    cells.insert(3, teaching("mine = photo * 2"))
    assert skipped(cells, given) == {2}


def test_what_a_needed_teaching_cell_needs_runs_too():
    """A chain: the student's cell needs photo, photo's cell needs raw, raw's cell runs as well."""
    cells = [teaching("raw = load()"), teaching("photo = raw / 2"), teaching("show(photo)"),
             graded("def f(x):\n    return x * photo.mean()"), graded("check(f)", "test")]
    assert skipped(cells, sources(cells)) == {2}


def test_stores_into_objects_bind_the_name_they_start_from():
    cells = [teaching("settings = {}"), teaching("settings['scale'] = 2"), teaching("state.level = 3"),
             graded("def f(x):\n    return x * settings['scale'] * state.level"), graded("check(f)", "test")]
    assert skipped(cells, sources(cells)) == set()


def test_changed_cells_run_and_opaque_code_runs_everything():
    cells = [teaching("photo = load()"), teaching("show(photo)"), graded("check(f)", "test")]
    given = sources(cells)
    cells[1] = teaching("show(photo, big=True)")  # edited by the student: not the released cell
    assert skipped(cells, given) == set()  # and it needs photo
    cells[1] = teaching("show(photo)")
    assert skipped(cells, given) == {0, 1}
    # a cell the student added whose names cannot be read: everything runs
    opaque = ["exec('x = 1')", "globals()['photo']", "%timeit f(1)", "!ls", "from mine import *", "check(_)",
              "check(Out[1])", "check(_3)", "import __main__\ncheck(__main__.photo)", "print(dir())",
              "def setx():\n    global x\n    x = 2", "x = " + "(" * 400 + ")" * 400, "s = '\ud800'"]
    for code in opaque:
        assert skipped(cells + [teaching(code)], given) == set(), code
