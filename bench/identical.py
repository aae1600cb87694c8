"""Grades and feedback identical to another commit's: the demo's sample class graded by that commit's
grader and by this working tree, in one run, compared file by file.

    .venv/bin/python bench/identical.py [--ref main] [--generated 60] [--keep DIR] [--student S] [--assignment A] [--tiny]

The class is the demo's (`autograder.demo.demo_class`: the ten named students, honest and hostile,
and --generated students drawn from the mistake catalogue), written once by this tree. Both graders
run `python -m autograder grade --jobs 2 --timeout 10` (the demo's options) into the same OUT path,
one after the other, so that no path in a page differs by where it was written.

Then each tree's `python -m autograder report` and `report --for-students` write report.html and
class_summary.html. Compared: grades.csv, causes.csv, integrity.csv, similarity.json, report.html,
class_summary.html and every feedback page (feedback/<student>/<assignment>/<notebook>.html), each after
the normalisations of tests/identical_outputs.py (the same comparison as the tests' check against the
pinned grading; it lists each normalisation and the difference between two runs it stands for), and
results.json with each unit's "timings" (seconds per stage) left out.
Exit status 1 when anything differs, with the first lines of each difference.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import ROOT, checkout, load, run  # noqa: E402
from tests.identical_outputs import FILES, path_normalisations, unified  # noqa: E402
from tests.identical_outputs import differences as normalised_differences  # noqa: E402


def write_class(root: Path, generated: int, students: list[str] | None = None, only: list[str] | None = None) -> Path:
    """The demo's class under root/submissions (those students and assignments only, if given)."""
    from autograder.demo import demo_class
    subs = root / "submissions"
    demo_class(subs, generated)
    for folder in sorted(subs.glob("*/*")):
        if (students and folder.parent.name not in students) or (only and folder.name not in only):
            shutil.rmtree(folder)
    for folder in subs.iterdir():
        if not any(folder.iterdir()):
            folder.rmdir()
    return subs


def grade(tree: Path, subs: Path, out: Path, keep: Path, *options: str, master: Path | None = None) -> float:
    """Grade the class with the grader of `tree` into `out`, then move the outputs to `keep`."""
    if out.exists():
        shutil.rmtree(out)
    if master is not None:   # a grader's course folder built beforehand
        shutil.copytree(master, out / ".grader" / "master", symlinks=True)
    start = time.perf_counter()
    run(tree, "grade", "--submissions", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "10", *options)
    seconds = time.perf_counter() - start
    run(tree, "report", "--out", str(out))
    run(tree, "report", "--out", str(out), "--for-students")
    shutil.rmtree(out / ".grader")
    out.rename(keep)
    return seconds


def normalised_results(folder: Path) -> str:
    results = json.loads((folder / "results.json").read_text())
    for r in results:
        r.pop("timings", None)
    return json.dumps(results, indent=1, sort_keys=True)


def differences(before: Path, after: Path, ref_tree: Path, root: Path) -> list[str]:
    """What differs between two graded OUT folders (empty: identical); each side's own checkout is <checkout>."""
    found = normalised_differences(before, after, path_normalisations(root, ref_tree), path_normalisations(root))
    a, b = normalised_results(before), normalised_results(after)
    if a != b:
        found.append(unified("results.json (timings left out)", a, b))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="main", help="the commit whose grades are today's (default main)")
    parser.add_argument("--generated", type=int, default=60, help="generated students besides the ten named")
    parser.add_argument("--keep", type=Path, help="keep the class and both graded folders here")
    parser.add_argument("--student", action="append", help="only this student of the class (repeatable)")
    parser.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    parser.add_argument("--tiny", action="store_true", help="ada's notebook 1 against HEAD (the fast tier's check)")
    parser.add_argument("--master", type=Path, help=argparse.SUPPRESS)   # a grader's course folder built beforehand
    args = parser.parse_args()
    if args.tiny:
        args.ref, args.generated, args.student, args.assignment = "HEAD", 0, ["ada"], ["01_conv_forward"]
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-identical-"))
    root.mkdir(parents=True, exist_ok=True)
    subs = write_class(root, args.generated, args.student, args.assignment)
    units = sum(1 for _ in subs.glob("*/*"))
    print(f"the demo's class: {len(list(subs.iterdir()))} students ({args.generated} generated), {units} units; {load()}")
    ref_tree = checkout(args.ref, root)
    options = [o for a in args.assignment or [] for o in ("--assignment", a)]
    before = grade(ref_tree, subs, root / "out", root / "before", *options, master=args.master)
    print(f"{args.ref}: {before:.1f} s ({before / units:.2f} s per unit); {load()}")
    after = grade(ROOT, subs, root / "out", root / "after", *options, master=args.master)
    print(f"this tree: {after:.1f} s ({after / units:.2f} s per unit), {after / before:.2f}x; {load()}")
    found = differences(root / "before", root / "after", ref_tree, root)
    pages = sum(1 for _ in (root / "after" / "feedback").rglob("*.html"))
    if ref_tree != ROOT:
        shutil.rmtree(ref_tree)
    if not args.keep:
        shutil.rmtree(root)
    if found:
        print(f"DIFFERENT: {len(found)} file(s)\n" + "\n\n".join(found[:20]))
        sys.exit(1)
    print(f"identical: {', '.join(FILES)}, results.json (timings left out) and {pages} feedback pages "
          "(normalised: the class's folder, the checkout and the venv, notebook 5's measured ratio, cell ids, "
          "tracebacks of cells stopped at their time limit, the count of a cell whose kernel exited)")


if __name__ == "__main__":
    main()
