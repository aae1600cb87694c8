"""Feedback through a real JupyterHub (`python -m autograder hub`, as root): six students each submit with
their own single-user server's nbgrader API (what the Assignments tab's Submit calls) and then ask it to
fetch feedback (what Fetch Feedback calls) until the graded page is in their home. A latency is the time
from the submit request to the fetched page. Three students one at a time, then three at once.

    sudo .venv/bin/python bench/hub.py [--port 8203] [--prefix pfb-] [--ref main] [--tiny]

Goal (issue 34): median <= 2 s over the six. The hub's grading service is the course's (`serve`, as
the hub runs it), with 5 attempts and no wait between them. Accounts `<prefix>instructor` and
`<prefix>student1..7` are created and removed again; the hub's state is a temporary folder.
--ref COMMIT measures that commit's hub first, in the same run (its tree builds its own students'
environment, about a minute more). --tiny: two students, one at a time then together.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

A = "01_conv_forward"


def inner(args: argparse.Namespace) -> dict:
    """The measurement with this Python path's hub (run as its own process)."""
    import nbformat

    import autograder
    from autograder.authoring.variants import filled_student_notebook, solution_sources
    from autograder.deploy import accounts, hub as hubmod
    from autograder.paths import COURSE_ID, NOTEBOOKS

    state = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    state.chmod(0o755)
    options = hubmod.Hub(port=args.port or hubmod.free_port(), students=args.students + 1,  # +1: warms up
                         password=secrets.token_urlsafe(12), state_dir=str(state), account_prefix=args.prefix)
    run = hubmod.planned_run(options)
    accounts.remove_accounts(run.accounts)
    hub = None
    try:
        run, _ = hubmod.prepare(options)
        with (run.course() / "nbgrader_config.py").open("a") as config:
            config.write("c.FeedbackPolicy.attempts = 5\nc.FeedbackPolicy.minutes_between = 0\n")
        hub = hubmod.start(run)
        run = hub.run
        tokens = {n: subprocess.run([str(Path(sys.executable).parent / "jupyterhub"), "token", "-f", str(hubmod.CONFIG), n],
                                    cwd=run.hub_dir, capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1]
                  for n in run.students}
        solved = nbformat.writes(filled_student_notebook(nbformat.read(NOTEBOOKS / A / f"{A}.ipynb", as_version=4),
                                                         solution_sources(A)))

        def call(user: str, method: str, path: str, data: dict | None = None) -> bytes:
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            request = urllib.request.Request(f"{run.url}{path}", data=body, method=method,
                                             headers={"Authorization": f"token {tokens[user]}"})
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.read()

        for user in run.students:   # servers started and the assignment fetched, untimed
            try:
                call(user, "POST", f"hub/api/users/{user}/server", {})
            except urllib.error.HTTPError as err:
                if err.code != 400:   # 400: already running
                    raise
        for user in run.students:
            deadline = time.monotonic() + 300
            while not json.loads(call(user, "GET", f"hub/api/users/{user}"))["servers"].get("", {}).get("ready"):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{user}'s server did not start")
                time.sleep(0.5)
            call(user, "POST", f"user/{user}/assignments/fetch", {"course_id": COURSE_ID, "assignment_id": A})
            path = run.home(user) / A / f"{A}.ipynb"
            path.write_text(solved)
            stat = run.home(user).stat()
            os.chown(path, stat.st_uid, stat.st_gid)

        def journey(user: str, out: dict) -> None:
            folder = run.home(user) / A / "feedback"
            before = set(folder.glob("*")) if folder.is_dir() else set()
            start = time.perf_counter()
            call(user, "POST", f"user/{user}/assignments/submit", {"course_id": COURSE_ID, "assignment_id": A})
            while time.perf_counter() - start < 300:
                call(user, "POST", f"user/{user}/assignments/fetch_feedback",
                     {"course_id": COURSE_ID, "assignment_id": A})
                pages = [p for d in set(folder.glob("*")) - before for p in d.glob("*.html")] if folder.is_dir() else []
                if any("Score of this submission" in p.read_text() for p in pages):
                    out[user] = time.perf_counter() - start
                    return
                time.sleep(0.1)
            out[user] = float("inf")

        warm, timed = run.students[0], run.students[1:]
        journey(warm, {})   # the service's first grade starts its grading process: not timed
        half = len(timed) // 2
        single: dict = {}
        for user in timed[:half]:
            journey(user, single)
        together: dict = {}
        threads = [threading.Thread(target=journey, args=(u, together)) for u in timed[half:]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"tree": str(Path(autograder.__file__).parents[1]), "single": list(single.values()),
                "together": list(together.values()), "load": os.getloadavg()}
    finally:
        if hub is not None:
            hub.stop()
        accounts.remove_accounts(run.accounts)
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8203, help="the hub's port (0: any free one)")
    parser.add_argument("--prefix", default="pfb-")
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--ref", help="also measure this commit's hub, first, in the same run")
    parser.add_argument("--tiny", action="store_true", help="two students")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tiny:
        args.students = 2
    if args.inner:
        print(json.dumps(inner(args)))
        return
    if os.geteuid() != 0:
        sys.exit("the hub's accounts are real Unix users: run as root (sudo)")
    sys.path.insert(0, str(HERE))
    from common import ROOT, checkout, load
    print(f"{args.students} students through a JupyterHub on port {args.port}; {load()}")
    trees = ([(args.ref, checkout(args.ref))] if args.ref else []) + [("this tree", ROOT)]
    found = []
    try:
        measure_all(args, trees, found)
    finally:
        for _, tree in trees:
            if tree != ROOT:
                shutil.rmtree(tree, ignore_errors=True)
    if len(found) == 2:
        print(f"\nmedian {found[0]:.2f} -> {found[1]:.2f} s ({found[1] / found[0]:.2f}x)")
    print(load())


def measure_all(args: argparse.Namespace, trees: list, found: list) -> None:
    sys.path.insert(0, str(HERE))
    from common import ROOT, measured_by
    for label, tree in trees:
        if tree != ROOT:   # its own students' environment (the accounts must reach it), this checkout's proxy
            tree.chmod(0o755)
            if not (tree / "hub/node/node_modules").exists():
                (tree / "hub/node/node_modules").symlink_to(ROOT / "hub/node/node_modules")
        f = measured_by(tree, Path(__file__).resolve(), "--port", str(args.port), "--prefix", args.prefix,
                        "--students", str(args.students))
        all_six = f["single"] + f["together"]
        print(f"\n{label} ({f['tree']}): load {' '.join(f'{x:.1f}' for x in f['load'])}")
        print(f"  one at a time: {', '.join(f'{x:.2f}' for x in f['single'])} s; at once: "
              f"{', '.join(f'{x:.2f}' for x in f['together'])} s")
        print(f"  median {statistics.median(all_six):.2f} s, max {max(all_six):.2f} s (goal: median <= 2 s)")
        found.append(statistics.median(all_six))


if __name__ == "__main__":
    main()
