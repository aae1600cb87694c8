"""Grade a generated class of every assignment with `python -m autograder grade --jobs 2` and, on a
subset of the same submissions, with stock `nbgrader autograde`; print where the time goes (per
unit, by stage, per notebook) and the ratios, all measured in one run.

    .venv/bin/python bench/grader.py [--students 200] [--stock-students 10] [--jobs 2]

The class mixes what the mistake catalogue (autograder/catalogue/) holds, per student and notebook:
the reference solution, one catalogued mistake, one correct alternative implementation, or the
untouched notebook. Stock autograde runs students' code unisolated, serially, and writes no
feedback; ours sandboxes every kernel, scans, verifies in the grader's process and writes feedback.

Goals, on a 2-core machine (an instructor grades a class while waiting, not overnight): the whole class of 200 x 5 under 10 minutes with --jobs 2;
per notebook no slower than stock (stock seconds per notebook / ours seconds per notebook >= 1).
The machine's load is printed before and after: report it with every figure.

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

from autograder.authoring.release import assignments  # noqa: E402
from autograder.demo.sample_class import released_notebook, write_submission  # noqa: E402
from autograder.authoring.variants import filled_student_notebook, solution_sources  # noqa: E402
from autograder.catalogue import mistaken_source, modules  # noqa: E402

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


def make_class(n: int, root: Path, seed: int = 14) -> tuple[Path, Counter]:
    """n students x every assignment in nbgrader's submitted layout; (folder, count of each kind)."""
    rng = random.Random(seed)
    catalogue = {m.ASSIGNMENT: m for m in modules()}
    kinds, weights = zip(*MIX)
    made: Counter = Counter()
    subs = root / "submitted"
    for a in assignments():
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


def stock(subs: Path, students: list[str], root: Path) -> dict[str, float]:
    """Stock nbgrader autograde (serial) on the given students: seconds per notebook, per assignment."""
    course = root / "stock"
    (course / "submitted").mkdir(parents=True)
    for student in students:
        shutil.copytree(subs / student, course / "submitted" / student)
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    per_notebook = {}
    for a in assignments():
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--stock-students", type=int, default=10, help="stock nbgrader runs on the first N")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--caps-only", action="store_true", help="only --jobs 1 with caps against --no-caps")
    parser.add_argument("--keep", type=Path, help="copy grades.csv and results.json of our run here (to compare runs)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        root = Path(tmp)
        subs, made = make_class(args.students, root)
        if args.caps_only:
            caps_against_no_caps(subs, root, args.students, load_before)
            return
        out = root / "out"
        wall = _run([sys.executable, "-m", "autograder", "grade", "--submissions", str(subs), "--out", str(out),
                     "--jobs", str(args.jobs)], ROOT)
        load_mid = os.getloadavg()
        results = json.loads((out / "results.json").read_text())
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("grades.csv", "results.json"):
                shutil.copyfile(out / name, args.keep / name)
        stock_seconds = stock(subs, sorted(p.name for p in subs.iterdir())[:args.stock_students], root) \
            if args.stock_students else {}
    load_after = os.getloadavg()

    units = len(results)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"load average (1, 5, 15 min): before {load_before}, after ours {load_mid}, after stock {load_after}")
    print(f"class: {args.students} students x {len(assignments())} assignments = {units} notebooks; "
          + ", ".join(f"{k} {v}" for k, v in made.most_common()))
    print(f"\nautograder grade --jobs {args.jobs}: {wall:7.1f} s for the class ({wall / 60:.1f} min, goal < 10 min), "
          f"{wall / units:.2f} s of wall time per notebook")

    stages: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        for stage, seconds in (r.get("timings") or {}).items():
            stages[r["assignment"]][stage].append(seconds)
    names = sorted({s for per in stages.values() for s in per})
    if not names:
        print("(results.json holds no per-unit 'timings': this grader does not time its stages)")
    print(f"\nper unit, mean seconds by stage ({'run includes kernel_start, cells, feedback' if 'run' in names else ''}):")
    print(f"{'assignment':24s}" + "".join(f"{n:>13s}" for n in names) + f"{'unit total':>12s}")
    ours_per_unit = {}
    for a in sorted(stages):
        means = {n: statistics.mean(stages[a][n]) if stages[a][n] else 0.0 for n in names}
        top = [n for n in ("intake", "run", "collect", "publish") if n in means]
        ours_per_unit[a] = sum(means[n] for n in top) if top else sum(means.values())
        print(f"{a:24s}" + "".join(f"{means[n]:13.2f}" for n in names) + f"{ours_per_unit[a]:12.2f}")

    def unit_seconds(r: dict) -> float:
        return sum((r.get("timings") or {}).get(n, 0) for n in ("intake", "run", "collect", "publish"))
    slowest = sorted((r for r in results if r.get("timings")), key=unit_seconds, reverse=True)[:6]
    print("\nslowest units: " + "; ".join(f"{r['student_id']} {r['assignment']} {unit_seconds(r):.1f} s "
                                         f"(cells {r['timings'].get('cells', 0):.1f})" for r in slowest))

    print(f"\nper notebook: stock nbgrader autograde (serial, first {args.stock_students} students) vs ours "
          f"(one unit, sandbox, scan, verification and feedback included; ratio >= 1: ours no slower)")
    print(f"{'assignment':24s}{'stock s':>9s}{'ours s':>9s}{'stock/ours':>12s}")
    for a, s in stock_seconds.items():
        o = ours_per_unit.get(a)
        print(f"{a:24s}{s:9.2f}" + (f"{o:9.2f}{s / o:12.2f}" if o else "        -"))
    total_stock = sum(stock_seconds.values())
    print(f"{'all five':24s}{total_stock:9.2f}{sum(ours_per_unit.values()):9.2f}"
          f"{total_stock / max(sum(ours_per_unit.values()), 1e-9):12.2f}")
    print(f"whole class, stock serial estimated from its per-notebook times: {total_stock * args.students:7.0f} s; "
          f"ours --jobs {args.jobs} measured: {wall:7.0f} s")


if __name__ == "__main__":
    main()
