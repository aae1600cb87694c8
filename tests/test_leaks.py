"""Nothing students receive holds a graded answer: no line of a reference solution, no hidden test
case or its expected value, no concept-question key, no answer-stating explanation.

The student distribution is built afresh by the real release (nbgrader's generate_assignment, then
autograder.authoring.distribution) into a temporary folder, and every text file of every release stage is
scanned: the released notebooks (every cell, markdown too) and the files released with them,
cnn_student/ (code, hint strings, comments, expected/*.json), data/, the README, requirements and
pyproject. At each stage the answers of every assignment not yet due (the stage's newest and all
later ones) count; those of the assignments already due are given code in later notebooks.

How answers are collected, normalised (whitespace, comments, quotes, line breaks, names of locals)
and which ones are excluded as trivial, and why, is in tests/leakscan.py's docstring. In short: a
statement that only unpacks, passes on or allocates what the function was given; a statement of a
released stub; the contract's output-size formulas; fewer than MIN_EXACT distinctive tokens; and a
solution line of an assignment already due at the stage scanned.
test_scan_finds_planted_answers proves that the scan can fail.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.pipeline.explanations import ANSWERS
from autograder.paths import SOLUTIONS
from autograder.authoring.reference import expected_result, namespace
from autograder.authoring.release import release
from cnn_student.functions.sharing import CONCEPT_KINDS
from cnn_student.serialize import decode

from tests import leakscan as L

pytestmark = pytest.mark.slow  # a release or every catalogue entry twice: the full suite only

@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> dict[str, Path]:
    """Every release stage exactly as `python -m autograder release` writes it, from solutions/ (with the
    freshly released expected values, not the committed ones): {newest assignment: its folder}."""
    root = tmp_path_factory.mktemp("release")
    release(notebooks=root / "notebooks", expected_dir=root / "expected", dist=root / "dist")
    return {p.name: p for p in sorted((root / "dist").iterdir())}


@pytest.fixture(scope="module")
def dist(stages) -> Path:
    """The last stage: every assignment released."""
    return stages[max(stages)]


@pytest.fixture(scope="module")
def concept_keys() -> dict:
    ns = namespace("04_sharing_vs_sparsity")
    return {name: ns[name]() for name in CONCEPT_KINDS}


@pytest.fixture(scope="module")
def needles(dist, concept_keys) -> list[L.Needle]:
    found = L.solution_needles(SOLUTIONS, L.stubs_text(dist / "notebooks"))
    found += [n for *_, n in L.hidden_case_needles(SOLUTIONS)]
    found += L.concept_needles(concept_keys, ANSWERS)  # METHODS restate formulas the notebooks teach
    return found


def due_at(stage: str, stages) -> list[str]:
    """The assignments already due when `stage` is released: those released before it."""
    return [a for a in stages if a < stage]


@pytest.fixture(scope="module")
def findings(stages, needles) -> list[L.Finding]:
    found = []
    for stage, folder in stages.items():
        found += [L.Finding(f"stage {stage}: {f.where}", f.needle, f.how)
                  for f in L.scan(L.documents(folder), needles, due=due_at(stage, stages))]
    return found


def test_stages_follow_the_release_order(stages):
    """Stage k holds notebooks 1..k and their expected values, nothing later."""
    order = list(stages)
    assert order == sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    for k, (stage, folder) in enumerate(stages.items()):
        assert sorted(p.name for p in (folder / "notebooks").iterdir()) == order[:k + 1], stage
        assert sorted(p.stem for p in (folder / "cnn_student" / "expected").glob("*.json")) == order[:k + 1], stage


def test_a_stage_with_a_later_notebook_is_a_leak(stages, needles):
    """Notebook 4 holds notebook 3's answers as given code: in stage 4 that is no leak, in stage 3 it is."""
    stage3, stage4 = stages["03_backprop"], stages["04_sharing_vs_sparsity"]
    notebook4 = L.documents(stage4)
    assert not [f for f in L.scan(notebook4, needles, due=due_at("04_sharing_vs_sparsity", stages))
                if f.needle.kind == "solution line"]
    early = [f for f in L.scan(notebook4, needles, due=due_at("03_backprop", stages))
             if f.needle.kind == "solution line" and f.needle.assignment == "03_backprop"
             and f.where.startswith("notebooks/04_sharing_vs_sparsity")]
    assert early, "notebook 4's provided conv_backward and pool_backward are notebook 3's answers: the scan must see them"
    assert not (stage3 / "notebooks" / "04_sharing_vs_sparsity").exists()


def test_answers_are_collected(needles, concept_keys):
    """The scan has something to look for: every assignment's solutions, hidden cases, every key."""
    lines = [n for n in needles if n.kind == "solution line"]
    searched = [n for n in lines if not n.trivial]
    assert {n.assignment for n in searched} == {p.name for p in SOLUTIONS.iterdir() if p.is_dir()}
    assert len(searched) >= 80, f"only {len(searched)} solution lines searched"
    assert len(searched) >= len(lines) // 4, "most solution lines were excluded as trivial"
    assert any(n.kind == "hidden case" for n in needles)
    assert set(concept_keys) == set(ANSWERS), "every concept question needs its explanation, and only those"


def test_no_solution_line_in_what_students_receive(findings):
    """No searched reference statement (trivial ones: module docstring) in any file or cell: code, hints,
    docstrings, markdown alike; no allowlist, a leak is a leak."""
    leaks = [f for f in findings if f.needle.kind == "solution line"]
    assert not leaks, "reference solution lines in the student distribution:\n" + "\n".join(map(str, leaks))


def test_no_hidden_case_in_what_students_receive(findings):
    leaks = [f for f in findings if f.needle.kind == "hidden case"]
    assert not leaks, "hidden test cases in the student distribution:\n" + "\n".join(map(str, leaks))


def test_no_hidden_expected_value_in_what_students_receive(dist):
    """No shipped expected value equals a hidden case's expected value (same function); the last stage
    ships every assignment's expected values, the earlier stages a part of them."""
    shipped: dict[str, list] = {}
    for path in (dist / "cnn_student" / "expected").glob("*.json"):
        for key, value in json.loads(path.read_text()).items():
            shipped.setdefault(json.loads(key)[0], []).append(decode(value))
    leaks = []
    for assignment, fn, case, _ in L.hidden_case_needles(SOLUTIONS)[::2]:  # one entry per case
        hidden = expected_result(fn, case, assignment)
        for value in shipped.get(fn, []):
            if _same(hidden, value):
                leaks.append(f"{assignment} {fn} {case}")
    for name in CONCEPT_KINDS:  # a question's only case is hidden: no value of it may ship at all
        if name in shipped:
            leaks.append(f"04_sharing_vs_sparsity {name}")
    assert not leaks, f"hidden expected values shipped: {leaks}"


def _same(a, b) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype.kind in "biuf" and b.dtype.kind in "biuf" and np.allclose(a, b)


def test_no_concept_key_or_explanation_in_what_students_receive(findings):
    leaks = [f for f in findings if f.needle.kind.startswith("concept")]
    assert not leaks, "concept keys or explanations in the student distribution:\n" + "\n".join(map(str, leaks))


def test_scan_finds_planted_answers(dist, needles, concept_keys, tmp_path):
    """A copy of the distribution with a solution line (locals renamed), a concept key and an
    explanation planted in it: the scan finds all three, where they were planted."""
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy)
    name, key = next(iter(concept_keys.items()))
    hints = copy / "cnn_student" / "functions" / "_hints.py"
    hints.write_text(hints.read_text() + f'''

def _planted(acc, K, G, n, y, x, j, top, bottom, left, right):
    acc[top:bottom, left:right, :] += K[:, :, :, j] * G[n, y, x, j]   # conv_backward's line, renamed
    return acc

ANSWER_KEY = {{"{name}": {key!r}}}
''')
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\nNote: " + " ".join(ANSWERS[name].split()[2:14]) + "\n")
    found = L.scan(L.documents(copy), needles)
    planted = {(f.where, f.needle.kind, f.how) for f in found} - {(f.where, f.needle.kind, f.how)
                                                                  for f in L.scan(L.documents(dist), needles)}
    assert ("cnn_student/functions/_hints.py", "solution line", "with names replaced") in planted, planted
    assert ("cnn_student/functions/_hints.py", "concept key", "the key bound to its question's name") in planted, planted
    assert ("README.md", "concept explanation", f"{L.SHINGLE} words in a row") in planted, planted


def test_figures(needles, findings, concept_keys, capsys):
    """The scan's figures add up, and are printed for the record (pytest -s): every solution statement
    is searched or excluded for one of the four documented reasons; each hidden case is searched twice
    (its literal and its key); every concept question gives one key and one explanation."""
    lines = [n for n in needles if n.kind == "solution line"]
    by_reason: dict[str, int] = {}
    for n in lines:
        by_reason[n.trivial.split(":")[0] or "searched"] = by_reason.get(n.trivial.split(":")[0] or "searched", 0) + 1
    assert set(by_reason) <= {"searched", "unpacking", "contract", "stub", "short"}, by_reason
    assert sum(by_reason.values()) == len(lines) and by_reason.get("searched", 0) >= 80, by_reason
    hidden = [n for n in needles if n.kind == "hidden case"]
    assert hidden and len(hidden) % 2 == 0, "each hidden case: its literal and its key"
    keys = sorted(n.origin for n in needles if n.kind == "concept key")
    explained = sorted(n.origin for n in needles if n.kind == "concept explanation")
    assert keys == explained == sorted(concept_keys), (keys, explained)
    assert {f.needle.kind for f in findings} <= {n.kind for n in needles}
    with capsys.disabled():
        print(f"\nleak scan: {len(lines)} solution statements and values, {by_reason}; "
              f"renamed form searched for {sum(bool(n.loose) for n in lines if not n.trivial)}; "
              f"{len(hidden) // 2} hidden cases; {len(keys)} concept keys; {len(explained)} explanations; "
              f"{len(findings)} findings")
