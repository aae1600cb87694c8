"""Grade one generated class with stock `nbgrader autograde` and with `python -m autograder grade`
(--jobs 1 and --jobs 2), in one run, and print the ratios.

    .venv/bin/python bench/grader.py [--students 40]

Goals (issue 6), on a 2-core machine: --jobs 2 at least 1.6x faster than stock serial autograde;
--jobs 1 within 1.2x of stock, isolation, integrity scan and feedback included. Stock autograde runs
students' code unisolated and writes no feedback; ours does both.

Goal (issue 13): --jobs 1 with the caps on memory, processes and disk within 1.1x of --jobs 1
--no-caps on the same class. `--caps-only` times just these two.
"""
import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.sample_class import make  # noqa: E402

ASSIGNMENT = "01_conv_forward"
BIN = Path(sys.executable).parent


def class_of(n: int, root: Path) -> Path:
    """n students cycling through the sample class's honest kinds (right, partly right, mistakes, untouched)."""
    sample = root / "sample"
    make(sample, only=[ASSIGNMENT])
    kinds = ["ada", "ben", "cy", "dee"]
    subs = root / "submitted"
    for i in range(n):
        shutil.copytree(sample / kinds[i % len(kinds)] / ASSIGNMENT, subs / f"student{i:03d}" / ASSIGNMENT)
    return subs


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--caps-only", action="store_true", help="only the caps against no caps")
    args = parser.parse_args()
    n = args.students
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        root = Path(tmp)
        subs = class_of(n, root)
        grade = [sys.executable, "-m", "autograder", "grade", "--submissions", str(subs), "--assignment", ASSIGNMENT]
        nocaps = timed(grade + ["--out", str(root / "nocaps"), "--jobs", "1", "--no-caps"], ROOT)
        caps = timed(grade + ["--out", str(root / "caps"), "--jobs", "1"], ROOT)
        if args.caps_only:
            print(f"{n} students x {ASSIGNMENT}, --jobs 1: caps {caps:.1f} s, --no-caps {nocaps:.1f} s, "
                  f"{caps / nocaps:.2f}x (goal <= 1.1)")
            return
        course = root / "stock"
        course.mkdir()
        shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "source" / ASSIGNMENT)
        shutil.copytree(subs, course / "submitted")
        env_path = f"PATH={BIN}:/usr/bin:/bin"
        subprocess.run(["env", env_path, str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
                       cwd=course, check=True, capture_output=True)
        stock = timed(["env", env_path, str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], course)
        ours = {}
        for jobs in (1, 2):
            ours[jobs] = timed([sys.executable, "-m", "autograder", "grade", "--submissions", str(subs),
                                "--out", str(root / f"out{jobs}"), "--assignment", ASSIGNMENT, "--jobs", str(jobs)], ROOT)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {platform.python_version()}, "
          f"{n} students x {ASSIGNMENT}")
    print(f"stock nbgrader autograde (serial, no sandbox, no feedback): {stock:7.1f} s")
    print(f"autograder grade --jobs 1 (sandbox, scan, feedback):        {ours[1]:7.1f} s   "
          f"{ours[1] / stock:.2f}x stock (goal <= 1.2)")
    print(f"autograder grade --jobs 2:                                  {ours[2]:7.1f} s   "
          f"stock is {stock / ours[2]:.2f}x slower (goal >= 1.6)")
    print(f"--jobs 1 with caps {caps:.1f} s against --no-caps {nocaps:.1f} s: {caps / nocaps:.2f}x (goal <= 1.1)")


if __name__ == "__main__":
    main()
