"""The grading service under a class: students submit with nbgrader's own submit (in this process,
`--student=ID` as CourseDirectory.student_id; on a hub the id is the Unix user's name), the service
(`python -m autograder serve`, its own process) grades and releases; a submission's latency is the
time from the student's submit to its feedback page being in the exchange for fetch_feedback.

    .venv/bin/python bench/service.py [--single 20] [--burst 200] [--seconds 60] [--jobs 2] [--compare 5] [--keep DIR]

1. One at a time: --single submissions, each after the previous one's feedback is out; the median and
   95th percentile latency, and the mean of each phase (from the service's state: the service seeing
   it, waiting, the unit's stages, the release). Goal (issue 25): <= 3 s median, <= 6 s p95.
2. A burst: --burst submissions at random times within --seconds (half the students submit twice,
   minutes apart policy off), then: time to the last feedback, the longest wait in the queue, none lost,
   each student's in arrival order (--burst 0: none).
3. --compare of the single submissions graded again, each by its own `grade` process (a fresh
   process each, OUT's grader course folder built beforehand), in the same run.
The policy is set to 5 attempts and 0 minutes between them, so that every submission is graded.
The machine's load is printed before and after: other programs on it slow every figure.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgrader.utils import notebook_hash  # noqa: E402

from autograder.paths import COURSE_ID  # noqa: E402
from autograder.authoring.variants import solution_sources  # noqa: E402
from autograder.catalogue import mistaken_source, modules  # noqa: E402
from tests.exchange_class import Student, make_course, serve_command, serve_env  # noqa: E402

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
        """Submit; (the exchange's feedback page this submission's feedback will be, when submitted)."""
        before = set((s.home / ".cache" / COURSE_ID).glob("*")) if (s.home / ".cache" / COURSE_ID).is_dir() else set()
        t = time.time()
        s.submit()
        new = sorted(set((s.home / ".cache" / COURSE_ID).glob("*")) - before)[-1]
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


def compare_with_grade(course: Path, rows: list[dict], latencies: list[float]) -> None:
    """The same submissions, each graded by its own `python -m autograder grade` process (what a
    script calling grade for every submission would do), in the same run: the ratio of the medians."""
    out = Path(tempfile.mkdtemp(prefix="bench-grade-")) / "out"   # one OUT: its grader's folder is built once
    times = []
    for i, r in enumerate([rows[0]] + rows):
        kept = course / ".autograder-service" / "submissions" / f"{r['seq']:07d}"
        t = time.time()
        subprocess.run([sys.executable, "-m", "autograder", "grade", "--submissions", str(kept), "--out",
                        str(out), "--assignment", A, "--jobs", "1"], cwd=ROOT, env=serve_env(),
                       capture_output=True, check=True)
        if i:   # the first builds OUT's course folder: not timed
            times.append(time.time() - t)
        else:
            shutil.rmtree(out / ".grader" / "units")
    print(f"  the same {len(times)} submissions, one `grade` process each: median {statistics.median(times):.2f} s "
          f"(service median on them {statistics.median(latencies):.2f} s: "
          f"{statistics.median(times) / statistics.median(latencies):.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--single", type=int, default=20)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--compare", type=int, default=5,
                    help="grade this many of the single submissions again with one grade process each")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-service-"))
    print(f"load before: {os.getloadavg()}, {os.cpu_count()} cores; folder {root}")
    course, exchange = make_course(root, policy="c.FeedbackPolicy.attempts = 5\nc.FeedbackPolicy.minutes_between = 0\n")
    n_burst_students = max(1, args.burst // 2)
    klass = Class(root, exchange, args.single + 1 + n_burst_students)
    log = open(root / "serve.log", "w")
    t0 = time.time()
    service = subprocess.Popen(serve_command(course, "--jobs", str(args.jobs)), cwd=course, env=serve_env(),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    while "watching" not in (root / "serve.log").read_text():
        time.sleep(0.05)
    print(f"service ready in {time.time() - t0:.1f} s (builds the grader's course folder on its first start)")
    try:
        # the first submission starts a grading process: reported apart
        page, t = klass.submit(klass.students[0])
        while not released(page):
            time.sleep(0.02)
        print(f"first submission after start: {time.time() - t:.2f} s (starts the grading process)")

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
        print(f"\none at a time, {len(latencies)} submissions: median {statistics.median(latencies):.2f} s, "
              f"p95 {p95(latencies):.2f} s, max {max(latencies):.2f} s")
        print("  mean per phase (s): " + ", ".join(f"{k} {statistics.mean(v):.3f}" for k, v in phases.items()))
        if args.compare:
            compare_with_grade(course, rows[:args.compare], latencies[:args.compare])
        if not args.burst:
            return

        # the burst: each student once or twice, at random times within the window
        rng = random.Random(7)
        burst_students = klass.students[1 + args.single:]
        plan = [s for s in burst_students] + [s for s in burst_students][: args.burst - len(burst_students)]
        times = sorted(rng.uniform(0, args.seconds) for _ in plan)
        rng.shuffle(plan)
        # a student's two submissions keep their order in the plan: the later time is the second
        pages: dict[Path, float] = {}
        done: dict[Path, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch, args=(pages, done, stop), daemon=True)
        watcher.start()
        start = time.time()
        for s, at in zip(plan, times):
            delay = start + at - time.time()
            if delay > 0:
                time.sleep(delay)
            page, t = klass.submit(s)
            pages[page] = t
        submitted = time.time() - start
        end_by = time.time() + 1800
        while len(done) < len(pages) and time.time() < end_by:
            time.sleep(0.2)
        stop.set()
        rows = [r for r in state(course) if r["seq"] > 1 + args.single]
        waits = [r["started"] - max(r["arrived"], r["not_before"]) for r in rows if r["started"]]
        lat = [done[p] - t for p, t in pages.items() if p in done]
        in_order = True
        for s in burst_students:
            mine = sorted((r for r in rows if r["student"] == s.id), key=lambda r: r["seq"])
            starts = [r["started"] for r in mine]
            in_order &= starts == sorted(starts) and [r["timestamp"] for r in mine] == sorted(r["timestamp"] for r in mine)
        print(f"\nburst: {len(pages)} submissions from {len(burst_students)} students in {submitted:.1f} s; "
              f"all feedback out {max(done.values()) - start:.1f} s after the first submit" if done else "none released")
        print(f"  released {len(done)} of {len(pages)} (lost: {len(pages) - len(done)}); service rows {len(rows)}, "
              f"done {sum(r['state'] == 'done' for r in rows)}, graded twice {sum(r['gradings'] > 1 for r in rows)}")
        print(f"  latency median {statistics.median(lat):.1f} s, p95 {p95(lat):.1f} s, max {max(lat):.1f} s; "
              f"longest wait in the queue {max(waits):.1f} s; each student's in arrival order: {in_order}")
        grade_times = [json.loads(r["timings"]).get("grade", 0) for r in rows]
        print(f"  grading per submission: mean {statistics.mean(grade_times):.2f} s with --jobs {args.jobs} "
              f"(throughput {len(rows) / (max(done.values()) - start):.2f} per second)")
    finally:
        service.terminate()
        service.wait(timeout=60)
        log.close()
    print(f"load after: {os.getloadavg()}")
    queue_lines = [l for l in (root / "serve.log").read_text().splitlines() if " queue: " in l]
    print("the service's queue reports during the burst (every 10 s):")
    for line in queue_lines[-12:]:
        print("  " + line[:160])


if __name__ == "__main__":
    main()
