"""Grade a generated class of every assignment with `python -m autograder grade --jobs 2` and, on a
subset of the same submissions, with stock `nbgrader autograde`; print where the time goes (per
unit, by stage, per notebook) and the ratios, all measured in one run.

    .venv/bin/python bench/grader.py [--students 200] [--stock-students 10] [--jobs 2] [--ref main] [--assignment A] [--tiny]

The class mixes what the mistake catalogue (autograder/catalogue/) holds, per student and notebook:
the reference solution, one catalogued mistake, one correct alternative implementation, or the
untouched notebook. Stock autograde runs students' code unisolated, serially, and writes no
feedback; ours sandboxes every kernel, scans, verifies in the grader's process and writes feedback.

Goals, on a 2-core machine (an instructor grades a class while waiting, not overnight): the whole class of 200 x 5 under 10 minutes with --jobs 2,
0.40 s of wall time per notebook (issue 34); per notebook no slower than stock (stock seconds per
notebook / ours seconds per notebook >= 1). The grader's course folder is built once beforehand (not
timed). --ref COMMIT grades the same class with that commit's grader first, in the same run, and prints
the ratio and whether grades.csv is identical. The machine's load is printed: report it with every figure.

Goal (the caps must not make grading noticeably slower): --jobs 1 with the caps on memory, processes and disk within 1.1x of --jobs 1
--no-caps on the same class (notebook 1). `--caps-only` times just these two.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from autograder.authoring.release import assignments  # noqa: E402
from autograder.demo.sample_class import released_notebook, write_submission  # noqa: E402
from autograder.authoring.variants import filled_student_notebook, solution_sources  # noqa: E402
from autograder.catalogue import mistaken_source, modules  # noqa: E402
from common import checkout, cpu_group, run  # noqa: E402

BIN = Path(sys.executable).parent
MIX = (("reference", 45), ("mistake", 30), ("alternative", 10), ("untouched", 15))  # percent


def _with_alternative(sources: dict[str, str], alternative_source: str) -> dict[str, str] | None:
    """The alternative's code in the solution cell of each function it defines (each such cell holds
    all of it, so that no later cell brings back the reference version); None if a function it
    defines has no solution cell of its own."""
    import ast
    names = [n.name for n in ast.parse(alternative_source).body if isinstance(n, ast.FunctionDef)]
    if not names or any(name not in sources for name in names):
        return None
    return dict(sources, **{name: alternative_source for name in names})


def make_class(n: int, root: Path, seed: int = 14, only: list[str] | None = None) -> tuple[Path, Counter]:
    """n students x every assignment (or those in `only`) in nbgrader's submitted layout; (folder, count
    of each kind)."""
    rng = random.Random(seed)
    catalogue = {m.ASSIGNMENT: m for m in modules()}
    kinds, weights = zip(*MIX)
    made: Counter = Counter()
    subs = root / "submitted"
    for a in [a for a in assignments() if not only or a in only]:
        name, released = released_notebook(a)
        reference = solution_sources(a)
        extras = [p for p in (ROOT / "notebooks" / a).iterdir() if p.is_file() and p.suffix != ".ipynb"]
        for i in range(n):
            kind = rng.choices(kinds, weights)[0]
            sources = reference
            if kind == "mistake" and catalogue[a].MISTAKES:
                mistake = rng.choice(catalogue[a].MISTAKES)
                sources = dict(reference, **{mistake.function: mistaken_source(a, mistake)})
            elif kind == "alternative":
                options = [s for s in (_with_alternative(reference, alt.source) for alt in catalogue[a].ALTERNATIVES) if s]
                sources = rng.choice(options) if options else reference
                kind = kind if options else "reference"
            nb = released if kind == "untouched" else filled_student_notebook(released, sources)
            student = f"student{i:03d}"
            write_submission(subs, student, a, name, nb)
            for extra in extras:  # what sits in the student's folder (notebook 4's tiny_cnn.py)
                shutil.copyfile(extra, subs / student / a / extra.name)
            made[kind] += 1
    return subs, made


def _run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def stock(subs: Path, students: list[str], root: Path, only: list[str]) -> dict[str, float]:
    """Stock nbgrader autograde (serial) on the given students: seconds per notebook, per assignment."""
    course = root / "stock"
    (course / "submitted").mkdir(parents=True)
    for student in students:
        shutil.copytree(subs / student, course / "submitted" / student)
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    per_notebook = {}
    for a in only:
        shutil.copytree(ROOT / "solutions" / a, course / "source" / a)
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", a, "--force"], cwd=course, check=True,
                       capture_output=True, env=env)
        start = time.perf_counter()
        proc = subprocess.run([str(BIN / "nbgrader"), "autograde", a, "--force"], cwd=course, capture_output=True,
                              text=True, env=env)
        if proc.returncode != 0:
            sys.exit(f"nbgrader autograde {a} failed:\n{proc.stderr[-3000:]}")
        per_notebook[a] = (time.perf_counter() - start) / len(students)
    return per_notebook


def caps_against_no_caps(subs: Path, root: Path, n: int, load_before: tuple) -> None:
    first = assignments()[0]
    grade = [sys.executable, "-m", "autograder", "grade", "--submissions", str(subs), "--assignment", first, "--jobs", "1"]
    nocaps = _run(grade + ["--out", str(root / "nocaps"), "--no-caps"], ROOT)
    caps = _run(grade + ["--out", str(root / "caps")], ROOT)
    print(f"{n} students x {first}, --jobs 1: caps {caps:.1f} s, --no-caps {nocaps:.1f} s, "
          f"{caps / nocaps:.2f}x (goal <= 1.1); load before {load_before}, after {os.getloadavg()}")


def grade_class(tree: Path, subs: Path, out: Path, master: Path, jobs: int, only: list[str]) -> tuple[float, float, list]:
    """`grade --jobs N` of the tree at `tree` on the class, its grader's course folder given (built
    beforehand, not timed); (wall seconds, CPU seconds of everything it ran, results.json). The CPU
    (a cpuacct group, as root; nan otherwise) does not depend on what else the machine runs: on 2
    busy cores a quiet machine's wall time is about half of it."""
    shutil.copytree(master, out / ".grader" / "master", symlinks=True)
    cmd = ["grade", "--submissions", str(subs), "--out", str(out), "--jobs", str(jobs)]
    for a in only:
        cmd += ["--assignment", a]
    with cpu_group() as cpu:
        start, cpu0 = time.perf_counter(), cpu()
        run(tree, *cmd)
        wall, used = time.perf_counter() - start, cpu() - cpu0
    return wall, used, json.loads((out / "results.json").read_text())


def per_stage(results: list) -> dict[str, dict[str, float]]:
    stages: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        for stage, seconds in (r.get("timings") or {}).items():
            stages[r["assignment"]][stage].append(seconds)
    return {a: {n: statistics.mean(v) for n, v in per.items()} for a, per in stages.items()}


def unit_total(means: dict[str, float]) -> float:
    top = [n for n in ("intake", "run", "collect", "publish") if n in means]
    return sum(means[n] for n in top) if top else sum(means.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--stock-students", type=int, default=10, help="stock nbgrader runs on the first N")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    parser.add_argument("--ref", help="grade the class with this commit's grader too, first, in the same run")
    parser.add_argument("--caps-only", action="store_true", help="only --jobs 1 with caps against --no-caps")
    parser.add_argument("--keep", type=Path, help="copy grades.csv and results.json of our run here (to compare runs)")
    parser.add_argument("--tiny", action="store_true", help="1 student, notebook 1, no stock run")
    parser.add_argument("--master", type=Path, help=argparse.SUPPRESS)   # a grader's course folder built beforehand
    args = parser.parse_args()
    if args.tiny:
        args.students, args.stock_students, args.assignment = 1, 0, args.assignment or [assignments()[0]]
    only = args.assignment or assignments()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        root = Path(tmp)
        subs, made = make_class(args.students, root, only=only)
        if args.caps_only:
            caps_against_no_caps(subs, root, args.students, load_before)
            return
        if args.master:
            master = args.master
        else:
            # here: bench/profile_unit.py imports this module's make_class under another commit's tree (--ref)
            from autograder.grading.api import grader_folder
            master, _ = grader_folder(root / "master-out", None if only == assignments() else only)
        trees = ([(args.ref, checkout(args.ref, root))] if args.ref else []) + [("this tree", ROOT)]
        runs = []
        for n, (label, tree) in enumerate(trees):
            wall, used, results = grade_class(tree, subs, root / f"out-{n}", master, args.jobs, only)
            runs.append((label, wall, results, os.getloadavg(), used))
        same = len({(root / f"out-{n}" / "grades.csv").read_text() for n in range(len(trees))}) == 1
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("grades.csv", "results.json"):
                shutil.copyfile(root / f"out-{len(trees) - 1}" / name, args.keep / name)
        stock_seconds = stock(subs, sorted(p.name for p in subs.iterdir())[:args.stock_students], root, only) \
            if args.stock_students else {}
    load_after = os.getloadavg()

    units = len(runs[-1][2])
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"class: {args.students} students x {len(only)} assignments = {units} notebooks; "
          + ", ".join(f"{k} {v}" for k, v in made.most_common()))
    print(f"load average (1, 5, 15 min): before {load_before}, after stock {load_after}")
    for label, wall, results, load_then, used in runs:
        print(f"\n{label}: grade --jobs {args.jobs}: {wall:7.1f} s for the class ({wall / 60:.1f} min), "
              f"{wall / units:.3f} s of wall time per notebook (goal <= 0.40); load after {load_then}; "
              f"CPU {used:.1f} s, {used / units:.3f} s per notebook")
        means = per_stage(results)
        names = sorted({s for per in means.values() for s in per})
        print(f"{'assignment':24s}" + "".join(f"{n:>13s}" for n in names) + f"{'unit total':>12s}")
        for a in sorted(means):
            print(f"{a:24s}" + "".join(f"{means[a].get(n, 0.0):13.2f}" for n in names) + f"{unit_total(means[a]):12.2f}")

        def unit_seconds(r: dict) -> float:
            return sum((r.get("timings") or {}).get(n, 0) for n in ("intake", "run", "collect", "publish"))
        slowest = sorted((r for r in results if r.get("timings")), key=unit_seconds, reverse=True)[:4]
        print("slowest units: " + "; ".join(f"{r['student_id']} {r['assignment']} {unit_seconds(r):.1f} s "
                                             f"(cells {r['timings'].get('cells', 0):.1f})" for r in slowest))
    if len(runs) == 2:
        print(f"\nper notebook, {runs[0][0]} -> this tree: {runs[0][1] / units:.3f} -> {runs[1][1] / units:.3f} s "
              f"({runs[1][1] / runs[0][1]:.2f}x), CPU {runs[0][4] / units:.3f} -> {runs[1][4] / units:.3f} s "
              f"({runs[1][4] / runs[0][4]:.2f}x); grades.csv identical: {same}")
    if stock_seconds:
        ours_per_unit = {a: unit_total(m) for a, m in per_stage(runs[-1][2]).items()}
        print(f"\nper notebook: stock nbgrader autograde (serial, first {args.stock_students} students) vs ours "
              f"(one unit, sandbox, scan, verification and feedback included; ratio >= 1: ours no slower)")
        print(f"{'assignment':24s}{'stock s':>9s}{'ours s':>9s}{'stock/ours':>12s}")
        for a, s_ in stock_seconds.items():
            o = ours_per_unit.get(a)
            print(f"{a:24s}{s_:9.2f}" + (f"{o:9.2f}{s_ / o:12.2f}" if o else "        -"))


if __name__ == "__main__":
    main()
