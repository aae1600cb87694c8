"""The notebooks as shipped: releases match solutions/, leak nothing, run top to bottom."""
import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.paths import EXPECTED, ROOT
from autograder.authoring.cells import is_test_cell
from autograder.authoring.release import assignments, release
from cnn_student.serialize import case_key
from autograder.authoring.testcells import hidden_checks, visible_source

ASSIGNMENTS = assignments()


def test_every_assignment_is_released():
    assert ASSIGNMENTS, "no assignment in solutions/"
    released = sorted(p.name for p in (ROOT / "notebooks").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_release_is_fresh_and_deterministic(tmp_path):
    """notebooks/ and cnn_student/expected/ equal a fresh release from solutions/ (no drift, no hand edits,
    no file missing on either side), and a second release into the same folders changes nothing."""
    release(notebooks=tmp_path / "notebooks", expected_dir=tmp_path / "expected", dist=None)
    first = {name: _files(tmp_path / name) for name in ("notebooks", "expected")}
    release(notebooks=tmp_path / "notebooks", expected_dir=tmp_path / "expected", dist=None)
    for name, committed_dir in (("notebooks", ROOT / "notebooks"), ("expected", EXPECTED)):
        fresh, committed = _files(tmp_path / name), _files(committed_dir)
        assert fresh == first[name], f"a second release changed {sorted(set(fresh.items()) ^ set(first[name].items()))[:3]}"
        assert sorted(fresh) == sorted(committed), \
            f"{committed_dir}: files differ from a fresh release ({sorted(set(fresh) ^ set(committed))}): " \
            "run `python -m autograder release` and commit"
        stale = [f for f in fresh if fresh[f] != committed[f]]
        assert not stale, f"{committed_dir}: {stale} differ from a fresh release: run the release and commit"


def _solution_lines(cell) -> list[str]:
    m = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
    return [line.strip() for block in m for line in block.splitlines() if len(line.strip()) > 12]


def _hidden_lines(cell) -> list[str]:
    m = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
    return [line.strip() for block in m for line in block.splitlines() if len(line.strip()) > 12]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_notebook_leaks_no_solution_or_hidden_test(assignment):
    source = nbformat.read(next((ROOT / "solutions" / assignment).glob("*.ipynb")), as_version=4)
    public = "\n".join(visible_source(re.sub(r"### BEGIN SOLUTION\n.*?### END SOLUTION", "", c.source, flags=re.S))
                       for c in source.cells)
    secret = [line for cell in source.cells for line in _solution_lines(cell) + _hidden_lines(cell)
              if line not in public]
    assert secret, "the solutions notebook has no solution or hidden-test region"
    student_path = next((ROOT / "notebooks" / assignment).glob("*.ipynb"))
    text = student_path.read_text()
    leaked = [line for line in secret if json.dumps(line)[1:-1] in text]
    assert not leaked, f"{student_path} contains solution or hidden-test lines: {leaked[:3]}"
    # nor are hidden cases among the expected values shipped to students
    shipped = json.loads((EXPECTED / f"{assignment}.json").read_text())
    hidden = [case_key(fn, case) for c in source.cells if is_test_cell(c) for fn, case in hidden_checks(c.source)]
    assert hidden, "no hidden test cases found"
    assert not [k for k in hidden if k in shipped], "hidden cases leaked into data/expected"


def test_no_committed_notebook_has_outputs():
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in tracked.stdout.split():
        path = ROOT / name
        nb = nbformat.read(path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path} has outputs or execution counts in cells {dirty}"


# Running the notebooks is tested once, where students run them: tests/test_browser.py runs every
# notebook finished and untouched in JupyterLab, tests/test_grading.py grades the reference solutions
# (hidden tests included) to full marks, tests/test_distribution.py runs one from the student distribution.
