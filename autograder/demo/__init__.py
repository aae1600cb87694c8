"""`make demo`: release, run the reference solutions, grade the sample class, report."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..authoring.release import assignments, release
from ..authoring.run_notebook import errors, execute
from ..grading import api
from ..paths import DEMO, SOLUTIONS
from .sample_class import DESCRIPTIONS, make, make_class

CLASS_SIZE = 60
# what the generated class submits in the demo: fewer than a real class (make_class's SUBMITS), fewer of
# each later notebook (notebook 4's training takes most of a unit's time) and none of the optional
# notebook 5, so that `make demo` stays short on 2 cores (README: 112 s measured on a fresh clone)
DEMO_SUBMITS = {"01_conv_forward": 0.9, "02_pool_forward": 0.35, "03_backprop": 0.45,
                "04_sharing_vs_sparsity": 0.3, "05_vectorized": 0.0}
# the named students whose point is made in the forward notebooks: their later notebooks are not graded
FORWARD_ONLY = ("fay", "gus", "hal", "ivy", "jo")


def demo_class(root: Path, size: int = CLASS_SIZE) -> list[str]:
    """The demo's class under root: the named students (the forward-only ones without their later
    notebooks) and `size` generated ones submitting DEMO_SUBMITS; returns the generated ids."""
    make(root)
    for student in FORWARD_ONLY:
        for a in assignments()[2:]:
            shutil.rmtree(root / student / a, ignore_errors=True)
    return make_class(root, size, submits=DEMO_SUBMITS)


def demo() -> int:
    print("1. Release: notebooks/, the visible cases' expected values and the student distribution from solutions/")
    release()
    print("2. Run every reference solution notebook top to bottom")
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        nb, seconds = execute(path, allow_errors=True)
        bad = errors(nb)
        print(f"   {path.name:34s} {seconds:5.1f} s  {'OK' if not bad else f'{len(bad)} cell(s) raised: {bad[:2]}'}")
        if bad:
            return 1
    print("3. Write the sample class (nbgrader's submitted layout) to demo-out/submissions")
    generated = demo_class(DEMO / "submissions")
    for student, what in DESCRIPTIONS.items():
        print(f"   {student:4s} {what}")
    print(f"   {generated[0]}..{generated[-1]}: {len(generated)} students generated from the mistake catalogue "
          "(autograder/demo/sample_class.py make_class)")
    ok, why = api.sandbox_available()
    if not ok:
        print(f"   the grading sandbox is not available here ({why}); grading with --no-sandbox")
    print("4. Grade it: python -m autograder grade --submissions demo-out/submissions --out demo-out/grades "
          "--timeout 10  (per-cell limit shortened so the endless loop costs 10 s)")
    # a fresh batch: grading resumes from the results in OUT, and the generated class may have changed
    shutil.rmtree(DEMO / "grades", ignore_errors=True)
    results = api.grade_class(DEMO / "submissions", DEMO / "grades", api.Grader(jobs=os.cpu_count() or 1, sandbox=ok,
                                                                                timeout=10), "auto")
    print(api.score_table(results))
    print("5. Report: python -m autograder report --out demo-out/grades (and --for-students)")
    print(api.report(DEMO / "grades"))
    print(api.class_summary(DEMO / "grades"))
    print(f"\nFeedback for each student: {DEMO / 'grades' / 'feedback'}/<student>/<assignment>/<notebook>.html")
    return 0


if __name__ == "__main__":
    sys.exit(demo())
