"""Shared fixtures. The grader's course folder (nbgrader source, gradebook, release) is built once
per test session and copied where a test needs one, instead of once per `grade` run."""
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.cells import grade_id, points
from autograder.authoring.reference import notebook_path
from autograder.grading.orchestrate import master as master_mod
from tests import identical_outputs


@pytest.fixture(scope="session", autouse=True)
def nothing_left_on_the_machine():
    """After the session's tests (each process of `make test` checks its own), nothing of their grading
    stays on the machine: no kernel, runtime folder or control group (tests/machine.py)."""
    from tests import machine
    before = machine.stale()
    yield
    left = machine.left_behind(before)
    assert not left, f"the tests' grading left this on the machine: {left}"


@pytest.fixture(scope="session")
def grader_master(tmp_path_factory) -> Path:
    """OUT/.grader/master for every assignment, as `grade` builds it."""
    out = tmp_path_factory.mktemp("master-out")
    folder, _ = master_mod.prepare(out)
    return folder


@pytest.fixture(scope="session")
def first_master(tmp_path_factory) -> Path:
    """The same for notebook 1 only: quicker to build, enough for the fast tier's stage tests."""
    out = tmp_path_factory.mktemp("master-first")
    folder, _ = master_mod.prepare(out, only=["01_conv_forward"])
    return folder


def seeded(out: Path, master: Path) -> Path:
    """OUT with a copy of a grader's course folder built earlier (`grade` then finds it up to date)."""
    dest = out / ".grader" / "master"
    if not dest.exists():
        shutil.copytree(master, dest, symlinks=True)
    return out


@pytest.fixture(scope="session")
def seed_out(grader_master):
    """seed_out(OUT): give a new OUT the session's course folder for every assignment."""
    return lambda out: seeded(out, grader_master)


def cell_points(assignment: str, *grade_ids: str) -> float:
    """The points of the named graded cells of an assignment, as solutions/ gives them."""
    cells = nbformat.read(notebook_path(assignment), as_version=4).cells
    found = {grade_id(c): points(c) for c in cells if grade_id(c) in grade_ids}
    if set(found) != set(grade_ids):
        raise KeyError(f"no graded cells {sorted(set(grade_ids) - set(found))} in {assignment}")
    return sum(found.values())


def pytest_addoption(parser):
    parser.addoption("--record-identical", action="store_true",
                     help="write tests/identical/<class>.json from this tree's grading instead of checking against it "
                          "(tests/identical_outputs.py: when a change of a page or a grade is meant)")


@pytest.fixture(scope="session")
def identical_to_pin(request):
    """identical_to_pin(OUT, name, class folder): the class graded in OUT holds the same grades, feedback pages
    and report, normalised, as tests/identical/<name>.json, the pinned commit's grading (or records it there)."""
    def check(out: Path, name: str, class_folder: Path) -> None:
        paths = identical_outputs.path_normalisations(class_folder)
        if request.config.getoption("--record-identical"):
            identical_outputs.record(out, name, paths)
            return
        found = identical_outputs.check(out, name, paths)
        if found:
            pytest.fail(found, pytrace=False)
    return check
