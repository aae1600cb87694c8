"""Run the five solutions notebooks and the five untouched student notebooks again and again beside
a CPU-bound job, and report the slowest cells: a stall shows up as a cell far slower than its usual
time (runs once sat idle for ~600 s, kernel and client both waiting).

    .venv/bin/python bench/stalls.py [--rounds 5] [--hogs 2] [--dump-after 60] [--tiny]

--hogs N starts N busy-looping processes for the duration (0: rely on whatever else loads the
machine). When a cell runs longer than --dump-after seconds, the stacks of this process and of the
kernel are written to bench/stall-dumps/ with py-spy, when it is installed (`pip install py-spy`;
not a project dependency). The run prints the load average before and after: report it with
every figure.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.authoring.run_notebook import errors, execute  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from common import tiny_notebook  # noqa: E402

HOG = "while True: pass"


class Watch:
    """Times every cell (nbclient hooks) and dumps stacks once per cell that runs too long."""

    def __init__(self, dump_after: float, dumps: Path):
        self.dump_after, self.dumps = dump_after, dumps
        self.label, self.cell, self.started, self.dumped = "", None, None, False
        self.times: list[tuple[float, str, int]] = []  # (seconds, notebook, cell index)
        self.pyspy = shutil.which("py-spy") or (str(Path(sys.executable).parent / "py-spy")
                                                if (Path(sys.executable).parent / "py-spy").exists() else None)
        threading.Thread(target=self._watch, daemon=True).start()

    def start(self, cell, cell_index, **_) -> None:
        self.cell, self.started, self.dumped = cell_index, time.monotonic(), False

    def done(self, cell, cell_index, **_) -> None:
        if self.started is not None:
            self.times.append((time.monotonic() - self.started, self.label, cell_index))
        self.started = None

    def _watch(self) -> None:
        while True:
            time.sleep(1)
            started = self.started
            if started is None or self.dumped or time.monotonic() - started < self.dump_after:
                continue
            self.dumped = True
            note = f"{self.label} cell {self.cell}: running for {time.monotonic() - started:.0f} s"
            print("  slow:", note, flush=True)
            if self.pyspy:
                self.dumps.mkdir(exist_ok=True)
                out = subprocess.run([self.pyspy, "dump", "--pid", str(os.getpid()), "--subprocesses"],
                                     capture_output=True, text=True)
                path = self.dumps / f"stall-{time.strftime('%Y%m%d-%H%M%S')}.txt"
                path.write_text(f"{note}\nload {os.getloadavg()}\n\n{out.stdout}{out.stderr}")
                print("  stacks:", path, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 1, help="busy-looping processes beside")
    parser.add_argument("--dump-after", type=float, default=60.0, help="seconds before a cell's stacks are dumped")
    parser.add_argument("--tiny", action="store_true", help="one round of a one-cell notebook, no busy loop")
    args = parser.parse_args()
    paths = sorted((ROOT / "solutions").glob("*/*.ipynb")) + sorted((ROOT / "notebooks").glob("*/*.ipynb"))
    scratch = None
    if args.tiny:
        args.rounds, args.hogs = 1, 0
        scratch = Path(tempfile.mkdtemp(prefix="bench-stalls-"))   # removed at the end (the tests run it)
        paths = [tiny_notebook(scratch)]
    watch = Watch(args.dump_after, ROOT / "bench" / "stall-dumps")
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    load_before = os.getloadavg()
    walls: dict[str, list[float]] = {}
    try:
        for r in range(args.rounds):
            for path in paths:
                watch.label = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
                nb, seconds = execute(path, allow_errors=True, on_cell_execute=watch.start,
                                      on_cell_executed=watch.done)
                walls.setdefault(watch.label, []).append(seconds)
                bad = [e for e in errors(nb) if e[1] != "NotImplementedError"] if "notebooks/" in watch.label else errors(nb)
                print(f"round {r + 1} {watch.label:62s} {seconds:6.1f} s  load {os.getloadavg()[0]:4.1f}"
                      + (f"  ERRORS {bad[:2]}" if bad else ""), flush=True)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nload average (1, 5, 15 min) before: {load_before}, after: {os.getloadavg()}; "
          f"{args.hogs} busy loop(s) beside, {os.cpu_count()} cores")
    print(f"{'notebook':62s} {'median':>7s} {'max':>7s}  (s, {args.rounds} runs)")
    for label, times in walls.items():
        print(f"{label:62s} {statistics.median(times):7.1f} {max(times):7.1f}")
    print("slowest cells (s, notebook, cell index):")
    for seconds, label, index in sorted(watch.times, reverse=True)[:5]:
        print(f"  {seconds:7.1f}  {label} cell {index}")


if __name__ == "__main__":
    main()
