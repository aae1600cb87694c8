"""The grading service under a class: students submit with nbgrader's own submit (in this process,
`--student=ID` as CourseDirectory.student_id; on a hub the id is the Unix user's name), the service
(`python -m autograder serve --jobs 2`, its own process) grades and releases; a submission's latency is
the time from the student's submit to its graded page being in the exchange, where fetch_feedback
finds it.

    .venv/bin/python bench/service.py [--single 20] [--burst 200] [--seconds 60] [--jobs 2] [--ref main]

1. One at a time: --single submissions, each after the previous one's feedback is out; the median and
   95th percentile latency, and the mean of each phase (from the service's state: the service seeing
   it, waiting, the unit's stages, the release). Goal (issue 34): <= 0.8 s median, <= 1.2 s p95.
2. A burst: --burst submissions at random times within --seconds (--burst / 2 students, each twice),
   then: the last feedback after the first and after the last submission, the longest wait in the
   queue, latencies, each student's in arrival order, and what became of each submission: graded, or
   replaced by the same student's newer one while it waited in the queue (the service grades a
   student's newest), none lost. Goal: all there, the last feedback <= 90 s after the first submission
   (<= 30 s after the last), the longest wait <= 30 s.
--ref COMMIT runs both parts with that commit's service first (a course, exchange and class of its
own), then with this tree's, in one run under the same load, and prints the ratios. The policy is 5
attempts, 0 minutes apart, so that every submission is graded. The load is printed with each part.
--tiny: one single submission and a burst of 2 in 1 s (the fast tier's check that this script runs).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from nbgrader.utils import notebook_hash  # noqa: E402

from autograder.authoring.variants import solution_sources  # noqa: E402
from autograder.catalogue import mistaken_source, modules  # noqa: E402
from autograder.paths import COURSE_ID  # noqa: E402
from common import ROOT, checkout, env, load  # noqa: E402
from tests.exchange_class import Student, make_course, serve_command  # noqa: E402

A = "01_conv_forward"


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


class Class:
    def __init__(self, root: Path, exchange: Path, n: int, seed: int = 25):
        rng = random.Random(seed)
        catalogue = next(m for m in modules() if m.ASSIGNMENT == A)
        reference = solution_sources(A)
        self.students = []
        for i in range(n):
            s = Student(root, f"s{i:03d}", exchange)
            s.fetch()
            sources = reference
            if rng.random() < 0.35 and catalogue.MISTAKES:   # a third make a catalogued mistake
                m = rng.choice(catalogue.MISTAKES)
                sources = dict(reference, **{m.function: mistaken_source(A, m)})
            s.write(sources=sources)
            self.students.append(s)
        self.exchange = exchange

    def submit(self, s: Student) -> tuple[Path, float]:
        """Submit; (the exchange's page this submission's feedback will be, when submitted)."""
        cache = s.home / ".cache" / COURSE_ID
        before = set(cache.glob("*")) if cache.is_dir() else set()
        t = time.time()
        s.submit()
        new = sorted(set(cache.glob("*")) - before)[-1]
        secret = (new / "submission_secret.txt").read_text()
        page = self.exchange / COURSE_ID / "feedback" / f"{notebook_hash(secret=secret, notebook_id=A)}.html"
        return page, t


def released(page: Path) -> bool:
    """Graded feedback is out (not a notice that the submission waits)."""
    try:
        return "Score of this submission" in page.read_text()
    except FileNotFoundError:
        return False


def state(course: Path) -> list[dict]:
    db = sqlite3.connect(course / "autograder-service.db")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM submission ORDER BY seq")]
    db.close()
    return rows


def watch(pages: dict[Path, float], done: dict[Path, float], stop: threading.Event) -> None:
    while not stop.is_set():
        for page in [p for p in list(pages) if p not in done]:
            if released(page):
                done[page] = time.time()
        time.sleep(0.02)


def measure(tree: Path, root: Path, args: argparse.Namespace, master: Path | None) -> dict:
    """Both parts with the service of `tree`, in a course, exchange and class of their own under root."""
    figures: dict = {"load_before": os.getloadavg()}
    course, exchange = make_course(root, policy="c.FeedbackPolicy.attempts = 5\nc.FeedbackPolicy.minutes_between = 0\n")
    if master is not None:   # the grader's course folder, built beforehand (the fast tier's)
        shutil.copytree(master, course / ".autograder-service" / "grader" / ".grader" / "master", symlinks=True)
    burst_students = max(1, args.burst // 2)
    klass = Class(root, exchange, args.single + 1 + burst_students)
    log = open(root / "serve.log", "w")
    t0 = time.time()
    service = subprocess.Popen(serve_command(course, "--jobs", str(args.jobs), "--assignment", A), cwd=course, env=env(tree),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while "watching" not in (root / "serve.log").read_text():
            if service.poll() is not None:
                sys.exit(f"the service stopped:\n{(root / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.05)
        figures["ready"] = time.time() - t0
        page, t = klass.submit(klass.students[0])   # the first starts the grading process: apart
        while not released(page):
            time.sleep(0.02)
        figures["first"] = time.time() - t

        latencies, sent = [], []
        for s in klass.students[1:1 + args.single]:
            page, t = klass.submit(s)
            while not released(page):
                time.sleep(0.01)
            latencies.append(time.time() - t)
            sent.append(t)
            time.sleep(0.3)
        rows = state(course)[1:1 + args.single]
        phases: dict[str, list[float]] = {"seen": [r["arrived"] - t for r, t in zip(rows, sent)]}
        for r in rows:
            for k, v in json.loads(r["timings"]).items():
                phases.setdefault(k, []).append(v)
        figures.update(single=latencies, phases={k: statistics.mean(v) for k, v in phases.items()},
                       load_single=os.getloadavg())
        if args.burst:
            figures.update(burst(klass, klass.students[1 + args.single:], course, args))
    finally:
        service.terminate()
        service.wait(timeout=60)
        log.close()
    figures["queue_lines"] = [l for l in (root / "serve.log").read_text().splitlines() if " queue: " in l][-8:]
    return figures


def burst(klass: Class, students: list[Student], course: Path, args: argparse.Namespace) -> dict:
    """Each student once, half of them twice, at random times within the window."""
    rng = random.Random(7)
    plan = students + students[: args.burst - len(students)]
    times = sorted(rng.uniform(0, args.seconds) for _ in plan)
    rng.shuffle(plan)
    pages: dict[Path, float] = {}
    done: dict[Path, float] = {}
    stop = threading.Event()
    threading.Thread(target=watch, args=(pages, done, stop), daemon=True).start()
    first_seq = max((r["seq"] for r in state(course)), default=0)
    start = time.time()
    for s, at in zip(plan, times):
        delay = start + at - time.time()
        if delay > 0:
            time.sleep(delay)
        page, t = klass.submit(s)
        pages[page] = t
    submitted = time.time()
    end_by = time.time() + 1800
    while time.time() < end_by:
        rows = [r for r in state(course) if r["seq"] > first_seq]
        replaced = {r["name"] for r in rows if r["state"] == "superseded"}
        if len(rows) == len(pages) and len(done) + len(replaced) >= len(pages) and \
                all(r["state"] in ("done", "superseded") for r in rows):
            break
        time.sleep(0.2)
    stop.set()
    rows = [r for r in state(course) if r["seq"] > first_seq]
    waits = [r["started"] - max(r["arrived"], r["not_before"]) for r in rows if r["started"]]
    in_order = True
    for s in students:
        mine = sorted((r for r in rows if r["student"] == s.id and r["started"]), key=lambda r: r["seq"])
        in_order &= [r["started"] for r in mine] == sorted(r["started"] for r in mine)
    return {"burst_n": len(pages), "burst_students": len(students), "burst_submitted": submitted - start,
            "burst_last_after_first": max(done.values()) - start if done else float("nan"),
            "burst_last_after_last": max(done.values()) - submitted if done else float("nan"),
            "burst_latency": sorted(done[p] - t for p, t in pages.items() if p in done),
            "burst_graded": sum(r["state"] == "done" for r in rows),
            "burst_replaced": sum(r["state"] == "superseded" for r in rows),
            "burst_lost": len(pages) - len(done) - sum(r["state"] == "superseded" for r in rows),
            "burst_twice": sum(r["gradings"] > 1 for r in rows), "burst_longest_wait": max(waits, default=0.0),
            "burst_in_order": in_order, "load_burst": os.getloadavg()}


def show(label: str, f: dict, args: argparse.Namespace) -> None:
    lat = f["single"]
    print(f"\n{label}: service ready in {f['ready']:.1f} s; first submission {f['first']:.2f} s (starts its grading "
          f"process); load before {f['load_before'][0]:.1f}")
    print(f"  one at a time, {len(lat)}: median {statistics.median(lat):.2f} s, p95 {p95(lat):.2f} s, "
          f"max {max(lat):.2f} s (goal <= 0.8 and <= 1.2); load {f['load_single'][0]:.1f}")
    print("  mean per phase (s): " + ", ".join(f"{k} {v:.3f}" for k, v in f["phases"].items()))
    if "burst_n" in f:
        bl = f["burst_latency"]
        print(f"  burst: {f['burst_n']} submissions from {f['burst_students']} students in {f['burst_submitted']:.1f} s;"
              f" last feedback {f['burst_last_after_first']:.1f} s after the first submission (goal <= 90), "
              f"{f['burst_last_after_last']:.1f} s after the last (goal <= 30); load {f['load_burst'][0]:.1f}")
        print(f"    {f['burst_graded'] / f['burst_last_after_first']:.2f} gradings per second; "
              f"graded {f['burst_graded']}, replaced by the same student's newer one while queued "
              f"{f['burst_replaced']}, lost {f['burst_lost']}, graded twice {f['burst_twice']}; each student's in "
              f"arrival order: {f['burst_in_order']}")
        if bl:
            print(f"    latency median {statistics.median(bl):.1f} s, p95 {p95(bl):.1f} s, max {max(bl):.1f} s; "
                  f"longest wait in the queue {f['burst_longest_wait']:.1f} s (goal <= 30)")
        for line in f["queue_lines"][-4:]:
            print("    " + line[:170])


def compare(before: dict, after: dict) -> None:
    print("\nafter / before (one run, same load):")
    rows = [("median, one at a time", statistics.median(before["single"]), statistics.median(after["single"])),
            ("p95, one at a time", p95(before["single"]), p95(after["single"]))]
    if "burst_n" in before and "burst_n" in after:
        rows += [("burst: last feedback after the first submission", before["burst_last_after_first"],
                  after["burst_last_after_first"]),
                 ("burst: longest wait", before["burst_longest_wait"], after["burst_longest_wait"]),
                 ("burst: seconds per grading (2 jobs)", before["burst_last_after_first"] / before["burst_graded"],
                  after["burst_last_after_first"] / after["burst_graded"])]
    for name, b, a in rows:
        print(f"  {name:48s} {b:7.2f} -> {a:7.2f}  ({a / b:.2f}x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--single", type=int, default=20)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--ref", help="also measure this commit's service, in the same run")
    ap.add_argument("--keep", type=Path, help="keep the courses, exchanges and logs here")
    ap.add_argument("--master", type=Path, help=argparse.SUPPRESS)   # a grader's course folder to start from
    ap.add_argument("--tiny", action="store_true", help="1 single submission, a burst of 2 in 1 s")
    args = ap.parse_args()
    if args.tiny:
        args.single, args.burst, args.seconds = 1, 2, 1.0
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-service-"))
    print(f"{load()}; folder {root}")
    trees = ([(args.ref, checkout(args.ref, root))] if args.ref else []) + [("this tree", ROOT)]
    found = []
    for n, (label, tree) in enumerate(trees):
        found.append(measure(tree, root / f"run{n}", args, args.master))
        show(label, found[-1], args)
    if len(found) == 2:
        compare(*found)
    print(load())
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
