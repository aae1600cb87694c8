"""Visible tests decide: at least 90 % of the catalogued mistakes fail a VISIBLE test, so that
students meet their mistake before they submit. Hidden tests keep adding cases and points; every
mistake that only they catch says why in its catalogue entry (`why_hidden`)."""
from functools import lru_cache

import nbformat
import pytest

from autograder.authoring.cells import is_test_cell, points
from autograder.authoring.reference import notebook_path
from autograder.authoring.testcells import HIDDEN_RE

from autograder.catalogue import mistaken_source, modules
from tests.catalogue_harness import namespace_with, visible_failures

pytestmark = pytest.mark.slow  # a release or every catalogue entry twice: the full suite only

GOAL = 0.90
MODULES = list(modules())


@lru_cache(maxsize=None)
def caught_visibly(assignment: str, index: int) -> bool:
    mod = next(m for m in MODULES if m.ASSIGNMENT == assignment)
    mistake = mod.MISTAKES[index]
    ns = namespace_with(assignment, mistake.function, mistaken_source(assignment, mistake))
    return bool(visible_failures(assignment, ns, first_only=True))


def visible_points(assignment: str) -> tuple[int, int]:
    cells = [c for c in nbformat.read(notebook_path(assignment), as_version=4).cells if is_test_cell(c)]
    scored = [(int(points(c)), not HIDDEN_RE.search(c.source)) for c in cells]
    return sum(p for p, visible in scored if visible), sum(p for p, _ in scored)


@pytest.mark.parametrize("mod", MODULES, ids=[m.ASSIGNMENT for m in MODULES])
def test_mistakes_left_to_hidden_tests_say_why(mod):
    for index, mistake in enumerate(mod.MISTAKES):
        caught = caught_visibly(mod.ASSIGNMENT, index)
        assert caught or mistake.why_hidden, \
            f"{mistake.id} passes every visible test: make a visible case catch it, or record why_hidden"
        assert not (caught and mistake.why_hidden), \
            f"{mistake.id} is caught by a visible test now: remove its why_hidden"


def test_visible_tests_catch_most_mistakes(capsys):
    total = caught = 0
    lines = []
    for mod in MODULES:
        flags = [caught_visibly(mod.ASSIGNMENT, i) for i in range(len(mod.MISTAKES))]
        shown, points = visible_points(mod.ASSIGNMENT)
        lines.append(f"{mod.ASSIGNMENT}: visible points {shown}/{points}, mistakes caught by visible tests "
                     f"{sum(flags)}/{len(flags)} ({sum(flags) / len(flags):.0%})")
        lines += [f"    left to hidden tests: {m.id}: {m.why_hidden}" for m, f in zip(mod.MISTAKES, flags) if not f]
        total, caught = total + len(flags), caught + sum(flags)
    lines.append(f"overall: {caught}/{total} = {caught / total:.1%} caught by visible tests (goal {GOAL:.0%})")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert caught / total >= GOAL, "\n".join(lines)
