"""Grades and feedback identical to another commit's: the demo's sample class graded by that commit's
grader and by this working tree, in one run, compared file by file.

    .venv/bin/python bench/identical.py [--ref main] [--generated 60] [--keep DIR] [--student S] [--assignment A] [--tiny]

The class is the demo's (`autograder.demo.demo_class`: the ten named students, honest and hostile,
and --generated students drawn from the mistake catalogue), written once by this tree. Both graders
run `python -m autograder grade --jobs 2 --timeout 10` (the demo's options) into the same OUT path,
one after the other, so that no path in a page differs by where it was written.

Compared byte for byte: grades.csv, causes.csv, integrity.csv and similarity.json. results.json with
each unit's "timings" (seconds per stage) left out. Every feedback page
(feedback/<student>/<assignment>/<notebook>.html) byte for byte after four normalisations, each of
something that differs between two runs of one and the same grader (seen: main against itself):
- notebook 5's measured ratio, "0.031 calibrations on the timed case" (a timing), as "N calibrations";
- cell ids (`id="cell-id=..."`): nbgrader gives each test cell it restores a new random id;
- the traceback of a cell stopped at its time limit (where the interrupt lands is timing): the
  output's text up to its last line, "KeyboardInterrupt: ";
- the execution count of the cell in which the kernel exited (KernelDied): "In [5]" when the kernel's
  execute_input message left before it died, "In [ ]" when not (main against itself: 1 run in 6).
Exit status 1 when anything differs, with the first lines of each difference.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import ROOT, checkout, load, run  # noqa: E402

FILES = ("grades.csv", "causes.csv", "integrity.csv", "similarity.json")
PAGE_NORMALISATIONS = (
    (re.compile(r"\b\d+\.\d+ calibrations on the timed case"), "N calibrations on the timed case"),
    (re.compile(r'id="cell-id=[^"]*"'), 'id="cell-id=?"'),
    (re.compile(r"<pre>(?:(?!</pre>).)*(KeyboardInterrupt</span>: (?:(?!</pre>).)*)</pre>", re.S), r"<pre>[...]\1</pre>"),
    (re.compile("In\xa0\\[(?:\\d+|\xa0)\\]:((?:(?!input_prompt).)*?KernelDied)", re.S), "In\xa0[?]:\\1"),
)


def normalised_page(text: str) -> str:
    for pattern, replacement in PAGE_NORMALISATIONS:
        text = pattern.sub(replacement, text)
    return text


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
    shutil.rmtree(out / ".grader")
    out.rename(keep)
    return seconds


def normalised_results(folder: Path) -> str:
    results = json.loads((folder / "results.json").read_text())
    for r in results:
        r.pop("timings", None)
    return json.dumps(results, indent=1, sort_keys=True)


def differences(before: Path, after: Path) -> list[str]:
    """What differs between two graded OUT folders (empty: identical)."""
    found = []

    def compare(name: str, a: str, b: str) -> None:
        if a != b:
            diff = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "before/" + name, "after/" + name, n=1,
                                             lineterm=""))
            found.append("\n".join(diff[:12]))

    for name in FILES:
        a, b = before / name, after / name
        compare(name, a.read_text() if a.exists() else "(missing)", b.read_text() if b.exists() else "(missing)")
    compare("results.json (timings left out)", normalised_results(before), normalised_results(after))
    pages_a = {p.relative_to(before) for p in (before / "feedback").rglob("*.html")}
    pages_b = {p.relative_to(after) for p in (after / "feedback").rglob("*.html")}
    for missing in sorted(pages_a ^ pages_b):
        found.append(f"{missing}: only {'before' if missing in pages_a else 'after'}")
    for page in sorted(pages_a & pages_b):
        compare(str(page), normalised_page((before / page).read_text()), normalised_page((after / page).read_text()))
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
    found = differences(root / "before", root / "after")
    pages = sum(1 for _ in (root / "after" / "feedback").rglob("*.html"))
    if ref_tree != ROOT:
        shutil.rmtree(ref_tree)
    if not args.keep:
        shutil.rmtree(root)
    if found:
        print(f"DIFFERENT: {len(found)} file(s)\n" + "\n\n".join(found[:20]))
        sys.exit(1)
    print(f"identical: {', '.join(FILES)}, results.json (timings left out) and {pages} feedback pages "
          "(normalised: notebook 5's measured ratio, cell ids, tracebacks of cells stopped at their time limit, "
          "the count of a cell whose kernel exited)")


if __name__ == "__main__":
    main()
