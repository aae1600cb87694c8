"""A graded kernel's own start: the CPU a kernel spends from its sandbox's first instruction until it
answers, started and destroyed as the grader starts and destroys one.

    .venv/bin/python bench/kernel_start.py [--kernels 20] [--ref main] [--tiny]

Each kernel is taken from a grading pool (grading/isolation/pool.py: its own bubblewrap sandbox and
control group with the caps, its imports ahead), waited for until it answers kernel_info, then destroyed
as after its notebook (no matplotlib font cache: no grader folder here). Its CPU is read from a cgroup v1
cpuacct group of its own, which the first process of its command joins (root only; nan otherwise); the
grading process's own CPU to start, wait for and destroy it (getrusage) is printed beside it. With --ref,
that commit's pool starts kernels too, in the same run, the two trees taking turns two kernels at a time
(each turn a process of its own, that tree first on the Python path), so that both see the same load.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
PER_TURN = 2


def cpu_seconds(group: Path | None) -> float:
    return int((group / "cpuacct.usage").read_text()) / 1e9 if group else float("nan")


def inner(kernels: int) -> dict:
    """`kernels` kernels of this tree's pool, one after another: each one's CPU and the grader's."""
    # this tree's grader (its folder is first on sys.path: common.env)
    from jupyter_core.utils import run_sync

    from autograder.grading.isolation import kernel_caps, pool, sandbox
    from autograder.grading.records import Isolation

    group: Path | None = CPUACCT / f"cnn-bench-kernel-{os.getpid()}"
    try:
        group.mkdir()
    except OSError:
        group = None
    if group:  # the kernel's command joins the group first (the grader's own process stays out of it)
        argv = sandbox.kernel_argv
        join = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh"]
        sandbox.kernel_argv = lambda settings, connection_file: join + argv(settings, connection_file)
    kernel_cpu, grader_cpu = [], []
    kernels_pool = pool.Pool(0, "jupyter_client.asynchronous.AsyncKernelClient")
    kernels_pool.use(pool.Setting(isolation=Isolation(caps_mechanism=kernel_caps.usable(True)[0]), mplcache=None))
    try:
        for _ in range(kernels):
            before, mine = cpu_seconds(group), resource.getrusage(resource.RUSAGE_SELF)
            kernel = kernels_pool.take()
            client = kernel.manager.client()
            client.start_channels()
            try:
                run_sync(client.wait_for_ready)(timeout=120)
            finally:
                client.stop_channels()
            kernels_pool.destroy(kernel)
            after = resource.getrusage(resource.RUSAGE_SELF)
            kernel_cpu.append(cpu_seconds(group) - before)
            grader_cpu.append(after.ru_utime + after.ru_stime - mine.ru_utime - mine.ru_stime)
    finally:
        kernels_pool.shutdown()
        for _ in range(100 if group else 0):
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.05)
    return {"kernel": kernel_cpu, "grader": grader_cpu}


def summary(label: str, figures: dict) -> str:
    k, g = figures["kernel"], figures["grader"]
    return (f"{label:>10}: {len(k)} kernels, CPU per kernel median {statistics.median(k):.4f} s "
            f"(mean {statistics.mean(k):.4f}); the grading process's median {statistics.median(g):.4f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernels", type=int, default=20)
    parser.add_argument("--ref", help="also start that commit's kernels, in turns with this tree's")
    parser.add_argument("--tiny", action="store_true", help="one kernel of this tree (the fast tier's check)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args.kernels)))
        return
    sys.path.insert(0, str(HERE))
    from common import ROOT, checkout, load, measured_by

    if args.tiny:
        args.kernels, args.ref = 1, None
    root = Path(tempfile.mkdtemp(prefix="bench-kernel-start-"))
    trees = ([(args.ref, checkout(args.ref, root))] if args.ref else []) + [("this tree", ROOT)]
    figures = {label: {"kernel": [], "grader": []} for label, _ in trees}
    print(f"{args.kernels} kernels of each tree, started through the pool, ready, destroyed; {load()}")
    try:
        done = 0
        while done < args.kernels:
            turn = min(PER_TURN, args.kernels - done)
            for label, tree in trees:
                got = measured_by(tree, Path(__file__).resolve(), "--kernels", str(turn))
                for key in got:
                    figures[label][key] += got[key]
            done += turn
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for label, _ in trees:
        print(summary(label, figures[label]))
    if args.ref:
        ratio = statistics.median(figures["this tree"]["kernel"]) / statistics.median(figures[args.ref]["kernel"])
        print(f"ratio this tree / {args.ref}, CPU per kernel (medians): {ratio:.3f}")
    print(load())


if __name__ == "__main__":
    main()
