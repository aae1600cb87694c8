"""The integrity scan names what a submission's code does that the exercises never need, and stays
quiet on honest solutions."""
import pytest
from nbformat.v4 import new_code_cell

from autograder.grading.outputs.integrity import cell_fingerprints, scan_source
from cnn_student.speed import loops_in
from autograder.authoring.variants import solution_sources
from autograder.authoring.release import assignments

CASES = [
    ("import subprocess\nsubprocess.run(['ls'])", "process_or_network"),
    ("import socket", "process_or_network"),
    ("data = open('/etc/passwd').read()", "file_access"),
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "monkeypatch"),
    ("import builtins\nsetattr(builtins, 'print', None)", "monkeypatch"),
    ("import cnn_student.compare as c\nc.explain = None", "checking_code"),
    ("import sys\nf = sys._getframe(1)\nprint(f.f_locals)", "frame_inspection"),
    ("import inspect", "frame_inspection"),
    ("import os\nos._exit(0)", "exit"),
    ("exec('x = 1')", "dynamic_code"),
    ("def conv_backward(dZ, cache):\n    return numerical_gradient(lambda A: 0.0, cache[0])", "numerical_gradient"),
    ("def broken(:\n    pass", "syntax_error"),
]


@pytest.mark.parametrize("source,rule", CASES, ids=[r for _, r in CASES])
def test_each_rule_fires(source, rule):
    assert rule in {r for r, _ in scan_source(source)}


@pytest.mark.parametrize("assignment", assignments())
def test_reference_solutions_raise_no_finding(assignment):
    for grade_id, source in solution_sources(assignment).items():
        assert scan_source(source) == [], f"{assignment}:{grade_id}"


def test_magics_are_not_syntax_errors():
    assert scan_source("%matplotlib inline\nx = 1") == []


@pytest.mark.parametrize("code", ["x = " + "1+" * 200_000 + "1", "x = " + "-" * 100_000 + "1", "s = '\ud800'"],
                         ids=["deep_expression", "many_minuses", "lone_surrogate"])
def test_unparsable_code_is_a_finding_not_a_crash(code):
    """Code that Python's parser cannot take (RecursionError, MemoryError, UnicodeEncodeError) is read as a
    syntax error of that student's cell: the unit goes on, it is no problem of the grading machine."""
    assert [rule for rule, _ in scan_source(code)] == ["syntax_error"]
    cell = new_code_cell(code)
    cell.metadata["nbgrader"] = {"solution": True, "grade_id": "zero_pad"}
    assert '"zero_pad"' in cell_fingerprints([cell])
    assert loops_in("conv_forward_fast", [code]) is None
