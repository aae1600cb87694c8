"""`make demo`: release, run the reference solutions, grade the sample class, report."""
from __future__ import annotations

import os
import sys

from .paths import DEMO, SOLUTIONS


def demo() -> int:
    from .grading import sandbox
    from .grading.aggregate import score_table
    from .grading.batch import Options, run
    from .grading.records import Limits
    from .grading.report import report
    from .release import release
    from .run_notebook import errors, execute
    from .sample_class import DESCRIPTIONS, make

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
    make(DEMO / "submissions")
    for student, what in DESCRIPTIONS.items():
        print(f"   {student:4s} {what}")
    ok, why = sandbox.available()
    if not ok:
        print(f"   the grading sandbox is not available here ({why}); grading with --no-sandbox")
    print("4. Grade it: python -m autograder grade --submissions demo-out/submissions --out demo-out/grades "
          "--timeout 10  (per-cell limit shortened so the endless loop costs 10 s)")
    opts = Options(jobs=os.cpu_count() or 1, sandbox=ok, limits=Limits(timeout=10))
    results = run(DEMO / "submissions", DEMO / "grades", opts)
    print(score_table(results))
    print("5. Report: python -m autograder report --out demo-out/grades")
    print(report(DEMO / "grades"))
    print(f"\nFeedback for each student: {DEMO / 'grades' / 'feedback'}/<student>/<assignment>/<notebook>.html")
    return 0


if __name__ == "__main__":
    sys.exit(demo())
