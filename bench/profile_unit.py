"""Where each second of a grade goes: one assignment's submissions graded one after another by one
grading process (as `grade`'s worker and the service's kept process grade them), each stage timed,
the grader's own CPU split by what it spends it on, the kernels' CPU beside it.

    .venv/bin/python bench/profile_unit.py [--assignment 01_conv_forward] [--units 12] [--ref main] [--tiny]

The submissions are bench/grader.py's generated class (reference, catalogued mistakes, correct
alternatives, untouched), the first --units students. The first unit warms the process (imports,
templates) and is not counted. Printed per unit (means):
- wall seconds by stage, from each unit's own timings (UnitResult.timings);
- CPU seconds: the grading process's own (getrusage), and everything else it started (kernels, their
  sandboxes and launchers), from a cgroup v1 cpuacct group this script puts itself in (root only);
- the grading process's CPU by what it runs (cProfile timed by process_time, own time of each
  function, in buckets by module): the gradebook (SQLAlchemy, sqlite), the page (nbconvert's exporter,
  Jinja, BeautifulSoup, Pygments), notebooks (nbformat read, validate, write), copies and files,
  verdicts, the kernel client, nbgrader's converters (cProfile slows Python code: its seconds are
  larger than the unprofiled CPU above; read its shares); and, apart, the time Python's garbage
  collector took (gc.callbacks), which cProfile charges to whatever function it interrupted.
--ref COMMIT profiles that commit's grader too, in the same run (this script run by that tree's
Python path; a commit with the grader's public API, grading/api.py), and prints the two side by side
with their ratio. The units are graded through that API's Session, in this process. The load is printed with each run.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (bucket, substrings of a profiled function's file or name): the first that matches takes it
BUCKETS = (
    ("waiting on the kernel (start, cells)", ("select.epoll", "method 'poll'", "zmq_poll")),
    ("gradebook (SQLAlchemy, sqlite)", ("sqlalchemy", "sqlite3", "nbgrader/api.py", "alembic")),
    ("page (exporter, Jinja, bs4, Pygments)", ("nbconvert/exporters", "nbconvert/filters", "jinja2", "bs4",
                                               "html/parser", "pygments", "mistune", "markupsafe", "soupsieve",
                                               "feedback_html", "nbconvert/preprocessors/csshtmlheader")),
    ("notebooks (nbformat read, validate, write)", ("nbformat", "jsonschema", "fastjsonschema", "json/",
                                                    "_json", "referencing", "rpds")),
    ("copies and files", ("shutil", "posix", "built-in method io.open", "pathlib", "'read' of '_io",
                          "'write' of '_io", "tempfile", "os.py")),
    ("verdicts (verify, references)", ("grading/pipeline/verify", "cnn_student", "numpy", "authoring/reference",
                                       "authoring/testcells", "pipeline/needed", "outputs/integrity", "ast.py")),
    ("kernel client (jupyter_client, zmq, asyncio)", ("jupyter_client", "zmq", "asyncio", "nbclient", "selectors",
                                                      "threading", "tornado")),
    ("nbgrader's converters, traitlets", ("nbgrader", "traitlets", "nbconvert", "copy.py")),
)


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bucket_of(key: tuple) -> str:
    text = f"{key[0]}:{key[2]}"
    for name, needles in BUCKETS:
        if any(n in text for n in needles):
            return name
    return "other"


def inner(args: argparse.Namespace) -> dict:
    """Profile this Python path's grader (run in a process of its own); returns the figures."""
    import autograder  # noqa: F401  (first: from this process's Python path, before bench/grader.py puts
    import cnn_student  # noqa: F401   this checkout's root first on sys.path)
    sys.path.insert(0, str(HERE))
    from common import cpu_group
    from grader import make_class  # the generated class of bench/grader.py

    try:
        from autograder.grading import api
    except ImportError:   # a commit from before the grader's public API (issue 32)
        sys.exit(f"{Path(autograder.__file__).parents[1]} has no autograder.grading.api: give --ref a later commit")

    root = Path(args.folder)
    subs = root / "submitted"
    if not subs.exists():
        make_class(args.units + 1, root, only=[args.assignment])
    out = root / f"out-{os.getpid()}"
    if args.master:
        shutil.copytree(args.master, out / ".grader" / "master", symlinks=True)
    # the grading process's own way: units one after another, kernels started ahead, in this process
    session = api.Session(out, api.Grader(assignments=[args.assignment]), "auto", in_process=True)
    students = sorted(p.name for p in subs.iterdir())[:args.units + 1]
    units = [session.unit(s, args.assignment, subs, out / ".grader" / "units" / s / args.assignment, out)
             for s in students]
    timings, walls, own, total = [], [], [], []
    collecting = {"since": 0.0, "seconds": 0.0}

    def gc_clock(phase: str, info: dict) -> None:
        if phase == "start":
            collecting["since"] = time.process_time()
        else:
            collecting["seconds"] += time.process_time() - collecting["since"]
    profile = cProfile.Profile(time.process_time)   # CPU time: on a shared machine, waiting for a core is not cost
    with cpu_group() as cpu:
        try:
            session.grade(units[0])   # warms the process: imports, templates, references
            gc.callbacks.append(gc_clock)
            for unit in units[1:]:
                c0, t0, w0 = own_cpu(), cpu(), time.perf_counter()
                if args.cprofile:
                    profile.enable()
                result = session.grade(unit)
                if args.cprofile:
                    profile.disable()
                walls.append(time.perf_counter() - w0)
                own.append(own_cpu() - c0)
                total.append(cpu() - t0)
                timings.append(result.timings)
        finally:
            session.close()
    shutil.rmtree(out, ignore_errors=True)
    stages: dict[str, list[float]] = {}
    for t in timings:
        for k, v in t.items():
            stages.setdefault(k, []).append(v)
    buckets: dict[str, float] = {}
    top: list[tuple[float, str, str]] = []
    if args.cprofile:
        for key, (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():
            name = bucket_of(key)
            buckets[name] = buckets.get(name, 0.0) + tottime / len(walls)
            top.append((tottime / len(walls), name, f"{Path(key[0]).name}:{key[1]} {key[2]}"))
        top = sorted(top, reverse=True)[:args.top]
    return {"tree": str(Path(autograder.__file__).parents[1]), "load": os.getloadavg(), "units": len(walls),
            "gc": collecting["seconds"] / len(walls), "wall": statistics.mean(walls),
            "stages": {k: statistics.mean(v) for k, v in stages.items()},
            "own_cpu": statistics.mean(own), "all_cpu": statistics.mean(total), "buckets": buckets, "top": top}


def show(label: str, figures: dict) -> None:
    print(f"\n{label} ({figures['tree']}): {figures['units']} units, load {' '.join(f'{x:.1f}' for x in figures['load'])}")
    print(f"  wall per unit {figures['wall']:.3f} s; CPU per unit: grading process {figures['own_cpu']:.3f} s, "
          f"kernels and the rest {figures['all_cpu'] - figures['own_cpu']:.3f} s, all {figures['all_cpu']:.3f} s")
    print(f"  of the grading process's CPU, garbage collection {figures['gc']:.3f} s")
    print("  stages (s): " + ", ".join(f"{k} {v:.3f}" for k, v in figures["stages"].items()))
    if figures["buckets"]:
        total = sum(figures["buckets"].values())
        print(f"  grading process's CPU under cProfile, {total:.3f} s per unit:")
        for name, seconds in sorted(figures["buckets"].items(), key=lambda kv: -kv[1]):
            print(f"    {name:48s} {seconds:6.3f} s  {100 * seconds / total:4.0f} %")
        if figures.get("top"):
            print("  the functions that took most (own time):")
            for seconds, name, where in figures["top"]:
                print(f"    {seconds:6.3f} s  {where[:90]:90s} ({name.split(' (')[0]})")


def compare(before: dict, after: dict) -> None:
    print("\nbefore -> after (ratio after / before):")
    rows = [("wall per unit", before["wall"], after["wall"]), ("CPU, all", before["all_cpu"], after["all_cpu"]),
            ("CPU, grading process", before["own_cpu"], after["own_cpu"])]
    rows += [(f"stage {k}", before["stages"].get(k, 0.0), after["stages"].get(k, 0.0))
             for k in dict.fromkeys([*before["stages"], *after["stages"]])]
    for name, b, a in rows:
        print(f"  {name:28s} {b:7.3f} -> {a:7.3f}  ({a / b:.2f}x)" if b else f"  {name:28s}       - -> {a:7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignment", default="01_conv_forward")
    parser.add_argument("--units", type=int, default=12)
    parser.add_argument("--ref", help="also profile this commit's grader, in the same run")
    parser.add_argument("--no-cprofile", dest="cprofile", action="store_false")
    parser.add_argument("--top", type=int, default=15, help="list the functions that took most")
    parser.add_argument("--tiny", action="store_true", help="one unit after the warm one (the fast tier's check)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--master", help=argparse.SUPPRESS)   # the assignment's grader folder, built beforehand
    args = parser.parse_args()
    if args.tiny:
        args.units = 1
    if args.inner:
        print(json.dumps(inner(args)))
        return
    sys.path.insert(0, str(HERE))
    from common import ROOT, checkout, load, measured_by

    root = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    trees = ([(args.ref, checkout(args.ref, root))] if args.ref else []) + [("this tree", ROOT)]
    print(f"{args.units} units of {args.assignment}, one after another in one grading process; {load()}")
    figures = []
    try:
        for label, tree in trees:
            figures.append(measured_by(tree, Path(__file__).resolve(), "--folder", str(root), "--assignment",
                                       args.assignment, "--units", str(args.units), "--top", str(args.top),
                                       *([] if args.cprofile else ["--no-cprofile"]),
                                       *(["--master", str(args.master)] if args.master else [])))
            show(label, figures[-1])
        if len(figures) == 2:
            compare(*figures)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
