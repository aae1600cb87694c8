"""Grade one generated class locally (`grade --jobs 2`) and on a Dask LocalCluster of two single-thread
worker processes (`grade --scheduler`), in one run, and print the ratio and the time the cluster adds
per unit.

    .venv/bin/python bench/cluster.py [--students 24] [--tiny]

Goal (a cluster must pay for itself at scale), on a 2-core machine: the cluster path at most 1.15x the local time. Both runs start
with the grader's course folder already built (on the client and in the workers' cache), as every run
after the first does; building it is timed separately (once per host and version of solutions/).
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dask.config  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from autograder.grading.api import grader_folder, grader_folder_hash  # noqa: E402
from grader import make_class  # noqa: E402  (the class bench/grader.py grades)

ASSIGNMENT = "01_conv_forward"  # of the generated class, the notebook graded here


def grade(subs: Path, out: Path, *extra: str) -> float:
    cmd = [sys.executable, "-m", "autograder", "grade", "--submissions", str(subs), "--out", str(out),
           "--assignment", ASSIGNMENT, *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--tiny", action="store_true", help="1 student, a cluster of 1 worker")
    parser.add_argument("--master", type=Path, help=argparse.SUPPRESS)   # notebook 1's grader folder, built beforehand
    args = parser.parse_args()
    n = 1 if args.tiny else args.students
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        root = Path(tmp)
        subs, _ = make_class(n, root, only=[ASSIGNMENT])
        start = time.perf_counter()
        if args.master:
            master, digest = args.master, grader_folder_hash([ASSIGNMENT])
        else:
            master, digest = grader_folder(root / "master-out", [ASSIGNMENT])
        build = time.perf_counter() - start
        cache = root / "cache"
        shutil.copytree(master, cache / "masters" / digest, symlinks=True)
        for name in ("local", "cluster"):
            shutil.copytree(master, root / name / ".grader" / "master", symlinks=True)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"{n} students x {ASSIGNMENT}")
        print(f"grader's course folder built in {build:.1f} s ({load()})")
        local = grade(subs, root / "local", "--jobs", "2")
        print(f"local --jobs 2:                       {local:6.1f} s   ({load()})")
        with dask.config.set({"autograder.cache": str(cache)}), \
                LocalCluster(processes=True, n_workers=1 if args.tiny else 2, threads_per_worker=1, dashboard_address=":0") as lc, \
                Client(lc):
            cluster = grade(subs, root / "cluster", "--scheduler", lc.scheduler_address)
        print(f"LocalCluster, 2 workers x 1 thread:   {cluster:6.1f} s   ({load()})")
        same = (root / "local" / "grades.csv").read_text() == (root / "cluster" / "grades.csv").read_text()
    print(f"cluster / local: {cluster / local:.2f}x (goal <= 1.15); grades.csv identical: {same}")
    print(f"per unit: {local * 2 / n:.2f} core-seconds locally; the cluster adds {(cluster - local) * 2 / n:+.2f} s "
          "(wall time added x 2 slots / units)")


if __name__ == "__main__":
    main()
