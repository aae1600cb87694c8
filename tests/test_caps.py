"""The caps on what a kernel can take from the grading machine, tried by hostile students (no student may
cost the grading machine, or another student, its disk, memory or processes):
a kernel that writes past its disk cap, one that fills /tmp past its memory cap, one that forks past its
process cap. Each is graded between two honest students, who keep full marks; each attack is stopped
at its cap (asserted from what it printed), and nothing of it is left on the machine.

Every attack is bounded by its own code as well (twice its cap; fork attempts at 600), so that a cap
that does not hold cannot hurt the machine that runs the tests.
"""
import csv
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.isolation import kernel_caps
from autograder.paths import ROOT
from autograder.demo.sample_class import make
from autograder.authoring.variants import filled_student_notebook, solution_sources
from tests import machine
from tests.conftest import seeded

pytestmark = pytest.mark.slow

FIRST = "01_conv_forward"
MiB = 1024 ** 2
FORK_NAME = "cnncapfork"  # the forked processes' name, to look for leftovers

WRITE = '''
import os
written, size = 0, {chunk}
try:
    for i in range({limit} // size):  # bounded: twice the cap
        with open(os.path.join({folder!r}, f"fill{{i}}.bin"), "wb") as f:
            f.write(b"x" * size)
        written += size
        print("ATTACK wrote", written, flush=True)
finally:
    print("ATTACK stopped at", written, flush=True)
'''

FORK = '''
import ctypes, os, time
started = 0
try:
    for _ in range({attempts}):  # bounded
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, b"''' + FORK_NAME + '''")  # PR_SET_NAME
            time.sleep({hold})  # held until the grader removes the kernel's group
            os._exit(0)
        started += 1
finally:
    print("ATTACK forked", started, flush=True)
'''


def attacker(code: str) -> nbformat.NotebookNode:
    """A right solution of notebook 1 whose first solution cell also runs the attack."""
    nb = nbformat.read(ROOT / "notebooks" / FIRST / f"{FIRST}.ipynb", as_version=4)
    sources = solution_sources(FIRST)
    sources["zero_pad"] = sources["zero_pad"] + "\n" + code
    return filled_student_notebook(nb, sources)


def left_behind(before: dict) -> dict:
    """What the attacks left: control groups, runtime folders and kernels that no live grading process
    holds (tests/machine.py: reliable while the other test process grades), and the forked processes."""
    found = machine.left_behind(before)
    procs = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == FORK_NAME:
                procs.append(comm.parent.name)
        except OSError:
            continue
    return dict(found, **({"procs": procs} if procs else {}))


def grade_class(tmp: Path, name: str, attacks: dict[str, str], master: Path, *options: str) -> tuple[Path, str]:
    """Grade honest ada, the attackers, honest zed (notebook 1 only, one job: in that order), in an OUT
    that holds the session's grader folder for notebook 1 (`master`)."""
    sample = tmp / "sample"
    if not sample.exists():
        make(sample, only=[FIRST])
    subs = tmp / name
    for student in ("ada", "zed"):
        nbformat.write(nbformat.read(sample / "ada" / FIRST / f"{FIRST}.ipynb", as_version=4),
                       _path(subs, student))
    for student, code in attacks.items():
        nbformat.write(attacker(code), _path(subs, student))
    out = tmp / f"{name}-out"
    seeded(out, master)
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "--submissions", str(subs), "--out", str(out),
                           "--assignment", FIRST, "--jobs", "1", "--timeout", "30", *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc.stderr


def _path(subs: Path, student: str) -> Path:
    (subs / student / FIRST).mkdir(parents=True)
    return subs / student / FIRST / f"{FIRST}.ipynb"


def rows(out: Path, name: str) -> list[dict]:
    with open(out / name, newline="") as fh:
        return list(csv.DictReader(fh))


def scores(out: Path) -> dict[str, float]:
    return {r["student_id"]: float(r["score"]) for r in rows(out, "grades.csv")}


def findings(out: Path, student: str) -> set[str]:
    return {r["rule"] for r in rows(out, "integrity.csv") if r["student_id"] == student}


def feedback(out: Path, student: str) -> str:
    return next((out / "feedback" / student / FIRST).glob("*.html")).read_text()


def reached(html: str, word: str) -> list[int]:
    """The numbers an attack printed after `ATTACK <word>`."""
    return [int(n) for n in re.findall(rf"ATTACK {word} (\d+)", html)]


@pytest.fixture(scope="module")
def mechanism():
    """Never skipped: `grade` refuses to run without the caps (or --no-caps), and the suite grades with
    them, so a machine that runs the suite has a mechanism; none found is a broken cap, and fails."""
    found, why = kernel_caps.detect()
    assert found is not None, f"no mechanism for the caps on this machine, where grade needs one: {why}"
    return found


def test_disk_and_process_caps_stop_attacks_between_honest_students(tmp_path, mechanism, first_master):
    disk = 64 * MiB
    before = machine.stale()
    out, stderr = grade_class(tmp_path, "disk", {
        "bob": WRITE.format(chunk=8 * MiB, limit=2 * disk, folder="."),  # the working folder, in 8 MiB files
        "cat": FORK.format(attempts=600, hold=120),  # over twice the cap of 256: enough to prove it holds
    }, first_master, "--disk", "64MiB")
    assert f"({mechanism})" in stderr and "disk 64 MiB" in stderr
    s = scores(out)
    assert s["ada"] == s["zed"] == 15.0
    bob = feedback(out, "bob")
    assert "No space left on device" in bob and "[cap reached: disk" in bob
    assert max(reached(bob, "wrote")) == disk - 8 * MiB  # the last whole file that fit (the notebook takes 60 kB)
    assert "disk_limit" in findings(out, "bob")
    cat = feedback(out, "cat")
    forked = reached(cat, "forked")
    assert forked and 200 <= forked[0] < 256, forked  # the kernel's own threads count too
    assert "[cap reached: processes" in cat and "process_limit" in findings(out, "cat")
    assert s["bob"] == s["cat"] == 15.0  # the caps cost the attack, not the right solution around it
    assert not list((out / ".grader").rglob("fill*.bin"))  # nothing reached the grading machine's disk
    assert left_behind(before) == {}


def test_memory_cap_holds_files_in_tmp(tmp_path, mechanism, first_master):
    memory = 512 * MiB  # notebook 1 itself needs about 300 MiB (its figures of the photo)
    before = machine.stale()
    out, _ = grade_class(tmp_path, "memory", {
        "dan": WRITE.format(chunk=16 * MiB, limit=2 * memory, folder="/tmp"),
    }, first_master, "--memory", "512MiB", "--disk", "2GiB")
    s = scores(out)
    assert s["ada"] == s["zed"] == 15.0
    dan = feedback(out, "dan")
    assert max(reached(dan, "wrote")) < memory  # files in /tmp are memory: stopped below the cap
    assert "MemoryCapExceeded" in dan and "memory_limit" in findings(out, "dan")
    assert left_behind(before) == {}
