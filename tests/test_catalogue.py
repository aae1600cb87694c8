"""Every catalogued mistake loses points in the test of the function that holds it, with feedback
naming the likely cause; every correct alternative gets full marks; the reference gets full marks."""
import pytest

from autograder.authoring.release import assignments
from cnn_student.functions import all_causes

from autograder.catalogue import mistaken_source, modules
from tests.catalogue_harness import failures, namespace_with, grade_cell_ids

MODULES = list(modules())
MISTAKES = [(m.ASSIGNMENT, k) for m in MODULES for k in m.MISTAKES]
ALTERNATIVES = [(m.ASSIGNMENT, a) for m in MODULES for a in m.ALTERNATIVES]


@pytest.mark.parametrize("assignment", sorted({m.ASSIGNMENT for m in MODULES}))
def test_reference_passes_every_test_cell(assignment):
    assert failures(assignment, namespace_with(assignment)) == {}


@pytest.mark.parametrize("assignment,mistake", MISTAKES, ids=[f"{a}:{k.id}" for a, k in MISTAKES])
def test_mistake_loses_points(assignment, mistake):
    ns = namespace_with(assignment, mistake.function, mistaken_source(assignment, mistake))
    failed = failures(assignment, ns)
    known = set(grade_cell_ids(assignment))
    assert set(mistake.fails) <= known, f"unknown test cells {set(mistake.fails) - known}"
    missed = [t for t in mistake.fails if t not in failed]
    assert not missed, f"{mistake.id} ({mistake.why}) passed {missed}; it failed only {sorted(failed)}"
    if mistake.hint:
        message = " ".join(failed[mistake.fails[0]].message.split())  # messages are wrapped for reading
        assert mistake.hint.lower() in message.lower(), \
            f"feedback for {mistake.id} should name the cause ({mistake.hint!r}):\n{message}"
    # the cause the instructor's report counts it under (causes.csv), registered and named first
    assert mistake.cause in all_causes(), f"{mistake.id}: unknown cause id {mistake.cause!r}"
    assert failed[mistake.fails[0]].causes[:1] == [mistake.cause], \
        f"{mistake.id} is diagnosed as {failed[mistake.fails[0]].causes}, catalogued as {mistake.cause!r}"


@pytest.mark.parametrize("assignment,alt", ALTERNATIVES, ids=[f"{a}:{k.id}" for a, k in ALTERNATIVES])
def test_correct_alternative_gets_full_marks(assignment, alt):
    failed = failures(assignment, namespace_with(assignment, extra=alt.source))
    assert failed == {}, f"correct alternative {alt.id} ({alt.why}) lost: " + \
        "\n".join(f"{k}: {v.message}" for k, v in failed.items())


# The least each topic's catalogue must hold (mistakes, correct alternatives): enough that the generated
# class and the feedback meet a class's common slips, and every correct way of writing it passes.
MINIMUM = {("01_conv_forward", "02_pool_forward"): (15, 3), ("03_backprop",): (15, 3),
           ("04_sharing_vs_sparsity",): (8, 2), ("05_vectorized",): (6, 2)}


def test_catalogue_is_large_enough():
    counts = {m.ASSIGNMENT: (len(m.MISTAKES), len(m.ALTERNATIVES)) for m in MODULES}
    assert set(counts) == set(assignments()), "every assignment needs a catalogue module, and only those"
    for group, (mistakes, alternatives) in MINIMUM.items():
        assert sum(counts[a][0] for a in group) >= mistakes, f"{group}: too few catalogued mistakes"
        assert sum(counts[a][1] for a in group) >= alternatives, f"{group}: too few correct alternatives"
