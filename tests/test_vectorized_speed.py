"""Notebook 5 grades "no Python loop over output positions" on any machine.

The timing is a ratio to a calibration workload timed in the same process. A machine on which
vectorized NumPy is 3 times slower relative to the interpreter (calibration scaled by 1/3) must still
give every correct vectorized solution of the catalogue its points; the pasted loop versions must
lose them on the timing alone, even on a machine 3 times more favourable to them (scale 3), and on
the source scan alone.
"""
import nbformat
import pytest

from autograder.authoring.cells import grade_id, is_test_cell
from autograder.authoring.reference import notebook_path
from autograder.authoring.testcells import parse_checks
from cnn_student.functions import build_args
from cnn_student.speed import LIMIT, loops_in, measure, verdict

from autograder.catalogue import a05_vectorized as catalogue, mistaken_source
from tests.catalogue_harness import SOURCES, namespace_with

A = catalogue.ASSIGNMENT
TIMED = {fn: case for c in nbformat.read(notebook_path(A), as_version=4).cells if is_test_cell(c)
         and grade_id(c).endswith("_vectorized") for fn, case in parse_checks(c.source, ("check_vectorized",))}
LOOPED = [m for m in catalogue.MISTAKES if m.hint == catalogue.LOOPS]
VECTORIZED = [("reference", namespace_with(A))] + [(a.id, namespace_with(A, extra=a.source)) for a in catalogue.ALTERNATIVES]


def _ratio(fn, ns, scale):
    _, measures = measure(ns[fn], build_args(fn, TIMED[fn]), scale)
    return measures, measures["seconds"] / measures["calibration"]


def test_every_fast_function_has_a_timed_check():
    assert set(TIMED) == {"conv_forward_fast", "pool_forward_fast", "conv_backward_fast", "pool_backward_fast"} \
        or (not catalogue.BACKWARD and set(TIMED) >= {"conv_forward_fast", "pool_forward_fast"})


@pytest.mark.parametrize("name,ns", VECTORIZED, ids=[n for n, _ in VECTORIZED])
def test_vectorized_solutions_keep_the_points_on_a_3x_slower_machine(name, ns):
    for fn in TIMED:
        measures, ratio = _ratio(fn, ns, 1 / 3)
        print(f"{name}: {fn} {ratio:.3f} calibrations on a 3x slower machine (limit {LIMIT})")
        assert verdict(fn, measures, loops_in(fn, ns[SOURCES])) is None, f"{name}: {fn} at {ratio:.2f}"


@pytest.mark.parametrize("mistake", LOOPED, ids=[m.id for m in LOOPED])
def test_loops_over_positions_lose_the_points_on_timing_and_on_the_scan_alone(mistake):
    ns = namespace_with(A, mistake.function, mistaken_source(A, mistake))
    fn = mistake.function
    measures, ratio = _ratio(fn, ns, 3)
    print(f"{mistake.id}: {ratio:.2f} calibrations on a 3x more favourable machine (limit {LIMIT})")
    loops = loops_in(fn, ns[SOURCES])
    assert loops, f"{mistake.id}: the source scan finds no loop over positions"
    assert verdict(fn, {"seconds": 1e-9, "calibration": 1.0}, loops), "the scan alone must fail it"
    if mistake.id.endswith("_pasted_loop_version"):  # the fully looped versions: the timing alone fails them
        assert verdict(fn, measures, None), f"{mistake.id} at only {ratio:.2f} calibrations"
