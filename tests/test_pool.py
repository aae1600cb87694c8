"""Kernels started ahead (grading/isolation/pool.py): each one is a unit's alone, and none outlives its
grading process. One student plants state everywhere a kernel can reach, and the next student's
kernel, started while the first one ran, looks for it; a grading process stopped, or killed, leaves
no kernel, control group or runtime folder behind."""
import html
import re
import time
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.variants import filled_student_notebook, solution_sources
from autograder.grading.isolation import kernel_caps, leftovers
from autograder.grading.orchestrate.batch import Worker
from autograder.grading.orchestrate.worker import UnitGrader
from autograder.grading.records import Limits, Unit
from autograder.paths import NOTEBOOKS

pytestmark = pytest.mark.slow

FIRST = "01_conv_forward"
NB = f"{FIRST}.ipynb"

PLANT = '''
import builtins, os, subprocess, sys
import numpy
numpy.PLANTED = builtins.PLANTED = "ann"
os.environ["PLANTED"] = "ann"
sys.path.append("/tmp/ann")
PLANTED_GLOBAL = "ann"
for place in ("planted.txt", "/tmp/planted.txt", "/course/.submission/planted.txt", "/dev/shm/planted.txt"):
    try:
        with open(place, "w") as f:
            f.write("ann")
    except OSError:
        pass
subprocess.Popen(["sleep", "300"])
print("PLANTED", sorted(p for p in ("planted.txt", "/tmp/planted.txt") if os.path.exists(p)))
'''

LOOK = '''
import builtins, os, sys
import numpy
found = [name for name, seen in [
    ("numpy attribute", hasattr(numpy, "PLANTED")), ("builtins attribute", hasattr(builtins, "PLANTED")),
    ("environment", "PLANTED" in os.environ), ("sys.path", "/tmp/ann" in sys.path),
    ("global", "PLANTED_GLOBAL" in globals()),
    ("working folder", os.path.exists("planted.txt")), ("/tmp", os.path.exists("/tmp/planted.txt")),
    ("inbox", os.path.exists("/course/.submission/planted.txt")), ("/dev/shm", os.path.exists("/dev/shm/planted.txt")),
    ("a process", any(open(f"/proc/{p}/cmdline").read().startswith("sleep") for p in os.listdir("/proc") if p.isdigit())),
    ("history", any("builtins." + "PLANTED =" in str(i) for i in In)),
] if seen]
print("FOUND", found, "FILES", sorted(os.listdir(".")), "CWD", os.getcwd())
'''


def notebook(extra: str) -> nbformat.NotebookNode:
    """A right notebook 1 whose conv_forward cell also runs `extra`."""
    sources = solution_sources(FIRST)
    sources["conv_forward"] = sources["conv_forward"] + "\n" + extra
    return filled_student_notebook(nbformat.read(NOTEBOOKS / FIRST / NB, as_version=4), sources)


def unit_for(tmp_path: Path, master: Path, student: str, nb: nbformat.NotebookNode) -> Unit:
    folder = tmp_path / "subs" / student / FIRST
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NB)
    mechanism = kernel_caps.detect()[0]
    return Unit(student=student, assignment=FIRST, submissions=tmp_path / "subs",
                work=tmp_path / "out" / ".grader" / "units" / student / FIRST, master=master,
                master_hash="test", out=tmp_path / "out", limits=Limits(timeout=20), caps_mechanism=mechanism)


def page(unit: Unit) -> str:
    """The text of the unit's feedback page (entities decoded)."""
    return html.unescape((unit.feedback / NB.replace(".ipynb", ".html")).read_text())


def ours(pid: int) -> dict:
    """The runtime folders the grading process `pid` holds (leftovers.py's owner.json), and the control
    groups they record that exist."""
    held = [(folder, owner) for folder, owner in leftovers.owners() if owner and owner.pid == pid]
    return {"groups": sorted(g for _, owner in held for g in owner.groups if Path(g).is_dir()),
            "folders": sorted(str(folder) for folder, _ in held)}


def test_no_state_passes_from_one_students_kernel_to_the_next(tmp_path, first_master):
    ann = unit_for(tmp_path, first_master, "ann", notebook(PLANT))
    bob = unit_for(tmp_path, first_master, "bob", notebook(LOOK))
    grader = UnitGrader(pool_size=1)
    try:
        first, second = grader.grade(ann), grader.grade(bob)
        assert first.timings["kernel_start"] < 5 and second.timings["kernel_start"] < 5
    finally:
        grader.close()
    assert first.raw_score == second.raw_score == 15.0
    assert "PLANTED ['/tmp/planted.txt', 'planted.txt']" in page(ann)   # the plant took
    found = re.search(r"FOUND \[(.*?)\] FILES \[(.*?)\] CWD (\S+)", page(bob))
    assert found, page(bob)[-3000:]
    assert found[1] == ""                                                            # nothing of ann's
    assert found[2] == f"'{NB}'" and found[3] == f"/course/notebooks/{FIRST}"  # its own submission, where grade puts it
    assert ours(__import__("os").getpid()) == {"groups": [], "folders": []}


def test_a_grading_process_leaves_nothing_when_it_ends_or_is_killed(tmp_path, first_master):
    for n, end in enumerate(("finish", "stop")):
        unit = unit_for(tmp_path / end, first_master, f"s{n}", notebook(""))
        worker = Worker(tmp_path / f"{end}.log", kernels_ahead=2)
        ok, why = worker.grade(unit, deadline=300)
        assert ok, why
        deadline = time.monotonic() + 60
        while len(ours(worker.proc.pid)["folders"]) < 2 and time.monotonic() < deadline:   # 2 kernels ahead
            time.sleep(0.2)
        held = ours(worker.proc.pid)
        assert len(held["folders"]) == 2 and len({Path(g).name for g in held["groups"]}) == 2, held
        getattr(worker, end)()   # the batch's end of input, or the service's stop (SIGKILL to the worker)
        assert ours(worker.proc.pid) == {"groups": [], "folders": []}
        assert not [p for p in held["groups"] + held["folders"] if Path(p).exists()]
        assert unit.result_path.exists()


REACH = '''
import glob, os
from ipykernel import get_connection_file
here = os.path.dirname(get_connection_file())
seen = [p for p in (os.path.join(here, "owner.json"), os.path.join(here, "..", "owner.json")) if os.path.exists(p)]
seen += glob.glob("/dev/shm/*/owner.json") + glob.glob("/dev/shm/*/*/owner.json")
print("OWNER_SEEN", seen)
'''


def test_a_kernel_cannot_reach_the_record_that_sweep_trusts(tmp_path, first_master):
    """A unit's kernel (no pool) sees its sockets' folder but not the owner.json that names the unit's
    groups: rewritten, it could send sweep to kill another student's kernel group."""
    unit = unit_for(tmp_path, first_master, "eve", notebook(REACH))
    grader = UnitGrader(pool_size=0)
    try:
        result = grader.grade(unit)
    finally:
        grader.close()
    assert result.raw_score == 15.0
    found = re.search(r"OWNER_SEEN \[(.*?)\]", page(unit))
    assert found, page(unit)[-3000:]
    assert found[1] == "", found[0]
