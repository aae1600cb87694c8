"""A graded kernel's own start: the CPU a kernel spends from its sandbox's first instruction until it
answers, started and destroyed as the grader starts and destroys one.

    .venv/bin/python bench/kernel_start.py [--kernels 20] [--ref main] [--tiny]

Each kernel is taken from a grading pool (grading/isolation/pool.py: its own bubblewrap sandbox and
control group with the caps, its imports ahead), waited for until it answers kernel_info, then destroyed
as after its notebook (no matplotlib font cache: no grader folder here), through the grader's API
(`kernel_started_ahead`). Its CPU is what a cgroup v1 cpuacct group holding the measuring process and all
it starts counted, less that process's own (getrusage; root only, nan otherwise): the kernel, its
sandbox and shells; the grading process's own CPU to start, wait for and destroy it is printed beside
it. With --ref, that commit's pool starts kernels too, in the same run, the two trees taking turns two kernels at a time
(each turn a process of its own, that tree first on the Python path), so that both see the same load;
the commit needs `api.kernel_started_ahead` (branch kstart34 on: the figures against main in
bench/README.md were taken by this script's first version, 3957941, which started kernels through the
pool itself and counted a group the kernel's command joined).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PER_TURN = 2


def inner(kernels: int) -> dict:
    """`kernels` kernels of this tree's grader, one after another: each one's CPU and the grader's."""
    # this tree's grader (its folder is first on sys.path: common.env)
    from jupyter_client import BlockingKernelClient

    from autograder.grading import api
    from common import cpu_group   # bench/ is on sys.path: this script's folder

    grader = api.Grader()
    caps = grader.isolation("bench/kernel_start.py")
    if caps is False:   # no sandbox here (isolation said why)
        sys.exit(1)
    kernel_cpu, grader_cpu = [], []
    with cpu_group() as cpu:   # this process and all it starts: the kernel's CPU is the group's less its own
        for _ in range(kernels):
            group, mine = cpu(), own_cpu()
            with api.kernel_started_ahead(grader, caps) as connection_file:
                client = BlockingKernelClient(connection_file=str(connection_file))
                client.load_connection_file()
                client.start_channels()
                try:
                    client.wait_for_ready(timeout=120)
                finally:
                    client.stop_channels()
            grader_cpu.append(own_cpu() - mine)
            kernel_cpu.append(cpu() - group - grader_cpu[-1])
    return {"kernel": kernel_cpu, "grader": grader_cpu}


def own_cpu() -> float:
    """This process's CPU seconds, all its threads."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


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
