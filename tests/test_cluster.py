"""`grade --scheduler`: a small class graded on a real Dask LocalCluster of two worker processes equals
a local `--jobs 2` run; a worker killed midway loses nothing; a worker with other solutions is refused."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask.config
import pytest
from distributed import Client, LocalCluster

from autograder.grading.orchestrate import master as master_mod
from autograder.grading.orchestrate.cluster import PLUGIN
from autograder.paths import ROOT, SOLUTIONS
from autograder.demo.sample_class import make
from tests import machine
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

FIRST, SECOND = "01_conv_forward", "02_pool_forward"
ONLY = ("--assignment", FIRST, "--assignment", SECOND)
STUDENTS = ("ada", "ben", "hal")  # right; a missing bias; a kernel that exits mid-notebook


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The class, the grader's master for notebooks 1-2 (seeded into every OUT and the workers' cache)
    and a LocalCluster of two worker processes."""
    tmp = tmp_path_factory.mktemp("cluster")
    make(tmp / "sample", only=[FIRST, SECOND])
    for student in STUDENTS:
        for a in (FIRST, SECOND):
            shutil.copytree(tmp / "sample" / student / a, tmp / "subs" / student / a)
    master, digest = master_mod.prepare(tmp / "master-out", only=[FIRST, SECOND])
    cache = tmp / "cache"
    shutil.copytree(master, cache / "masters" / digest, symlinks=True)
    before = machine.stale()
    with dask.config.set({"autograder.cache": str(cache)}), \
            LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield {"tmp": tmp, "subs": tmp / "subs", "master": master, "cache": cache, "cluster": cluster,
               "client": client, "address": cluster.scheduler_address}
    # the workers closed: their grading processes stopped, what their kernels started ahead held removed
    left = machine.left_behind(before)
    assert not left, f"the closed workers left this on the machine: {left}"


def seeded(setup, name: str) -> Path:
    out = setup["tmp"] / name
    shutil.copytree(setup["master"], out / ".grader" / "master", symlinks=True)
    return out


def grade_cmd(subs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", "--submissions", str(subs), "--out", str(out), *ONLY, *extra]


def grade(*args, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(grade_cmd(*args), cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def results(out: Path) -> dict:
    """Every unit's result, without its timings."""
    data = json.loads((out / "results.json").read_text())
    return {(r["student_id"], r["assignment"]): {k: v for k, v in r.items() if k != "timings"} for r in data}


RANDOM_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


PROMPT = re.compile(r"In\s\[[0-9\s]*\]")  # nbconvert writes no-break spaces


def pages(out: Path) -> dict:
    """Feedback pages, with the ids nbconvert draws at random for widget outputs replaced, and the input
    prompts (the cell in which a kernel exits shows its number or not, as the kernel's last message
    races its death, in local runs alike)."""
    return {str(p.relative_to(out)): PROMPT.sub("In []", RANDOM_IDS.sub("ID", p.read_text()))
            for p in (out / "feedback").rglob("*.html")}


@pytest.fixture(scope="module")
def local(setup):
    out = seeded(setup, "local")
    grade(setup["subs"], out, "--jobs", "2")
    return out


def test_cluster_equals_local_jobs_2(setup, local):
    out = seeded(setup, "on-cluster")
    proc = grade(setup["subs"], out, "--scheduler", setup["address"])
    assert "6/6 graded" in proc.stderr and "2 worker thread(s)" in proc.stderr
    assert results(out) == results(local)   # scores, per-test results, notes, findings
    assert results(out)[("ada", FIRST)]["raw_score"] == 15 and results(out)[("hal", FIRST)]["raw_score"] == 3
    for name in ("grades.csv", "integrity.csv"):
        assert (out / name).read_text() == (local / name).read_text()
    assert pages(out) == pages(local) and len(pages(out)) == 6
    graded = sorted(str(p.relative_to(out)) for p in out.glob(".grader/units/*/*/course/autograded/*/*/*"))
    assert graded == sorted(str(p.relative_to(local)) for p in local.glob(".grader/units/*/*/course/autograded/*/*/*"))
    assert len(graded) == 12  # each unit's autograded notebook and timestamp.txt, for the gradebook


def test_a_worker_killed_midway_loses_nothing(setup, local):
    out = seeded(setup, "killed")
    client = setup["client"]
    before = unit_folders(client)   # another run's, left before this test: not this test's to judge
    proc = subprocess.Popen(grade_cmd(setup["subs"], out, "--scheduler", setup["address"]), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, victim = time.monotonic() + 300, None
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        busy = [w for w, keys in client.processing().items() if any(str(k).startswith("grade-") for k in keys)]
        if busy and list(out.glob(".grader/units/*/*/result.json")):  # midway: one unit done, others running
            victim = busy[0]
        time.sleep(0.2)
    assert victim, "no unit was running"
    pids = client.run(os.getpid)
    at_kill = unit_folders(client) - before
    assert at_kill, "no unit's folder found"
    os.kill(pids[victim], signal.SIGKILL)  # the worker process and, with it, its grading processes
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    assert "6/6 graded" in stderr and "7/6" not in stderr
    assert results(out) == results(local)
    assert len(list(out.glob(".grader/units/*/*/result.json"))) == 6
    client.wait_for_workers(2, timeout=120)  # the nanny restarted it
    # the killed worker's unit folder went with its own folder, which Dask removes as the new worker starts
    # (which may be after it has registered)
    wait_for(lambda: not [p for p in at_kill if p.exists()],
             lambda: f"the killed worker's unit folder to go: {sorted(p for p in at_kill if p.exists())} left", 60,
             every=0.2)


def unit_folders(client: Client) -> set[Path]:
    """The units' temporary folders now on this machine: in /tmp or in a worker's own folder."""
    where = [Path(tempfile.gettempdir()), *map(Path, client.run(lambda dask_worker: dask_worker.local_directory).values())]
    return {p for folder in where for p in folder.glob("autograder-unit-*")}


def other_solutions(tmp: Path) -> Path:
    """A copy of solutions/ with one notebook changed (here by a byte): another version of the course."""
    copy = tmp / "other-solutions"
    shutil.copytree(SOLUTIONS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    nb = copy / FIRST / f"{FIRST}.ipynb"
    nb.write_text(nb.read_text() + "\n")
    return copy


def start_worker(setup, solutions: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, DASK_AUTOGRADER__SOLUTIONS=str(solutions), DASK_AUTOGRADER__CACHE=str(setup["cache"]))
    return subprocess.Popen([str(Path(sys.executable).parent / "dask"), "worker", setup["address"], "--nthreads", "1",
                             "--dashboard-address", ":0"], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def test_a_worker_with_other_solutions_is_refused(setup):
    tmp, client = setup["tmp"], setup["client"]
    other = other_solutions(tmp)
    ours, theirs = master_mod.solutions_hash(), master_mod.solutions_hash(other)
    assert ours != theirs
    subs = tmp / "one"
    shutil.copytree(setup["subs"] / "ada" / FIRST, subs / "ada" / FIRST)
    # present before `grade` registers its check: refused then
    if PLUGIN in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins)):
        client.unregister_worker_plugin(PLUGIN)
    early = start_worker(setup, other, tmp / "early.log")
    client.wait_for_workers(3, timeout=120)
    proc = grade(subs, seeded(setup, "refused"), "--scheduler", setup["address"])
    assert "refused" in proc.stderr and ours in proc.stderr and theirs in proc.stderr, proc.stderr
    assert results(tmp / "refused")[("ada", FIRST)]["raw_score"] == 15  # graded by the others
    assert early.wait(timeout=60) is not None  # it left the cluster
    # joining once the check is registered: refused at once
    late = start_worker(setup, other, tmp / "late.log")
    late.wait(timeout=120)
    log = (tmp / "late.log").read_text()
    assert "refused" in log and ours in log and theirs in log, log[-3000:]
    assert len(client.scheduler_info()["workers"]) == 2
