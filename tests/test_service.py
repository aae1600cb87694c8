"""The grading service end to end: students submit with nbgrader's own submit, `python -m autograder
serve` grades and releases, students read it with nbgrader's own fetch_feedback; the service killed
with SIGKILL mid-grade grades that submission once after a restart; `grade` after the deadline agrees
with the service and is the only one to write the course's gradebook."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.authoring.variants import solution_sources
from tests.conftest import seeded
from tests.test_grading import shown_hidden_lines
from tests.exchange_class import Student, app, make_course, serve_command, serve_env

A = "01_conv_forward"
pytestmark = pytest.mark.slow


def rows(course: Path) -> dict[str, dict]:
    path = course / "autograder-service.db"
    if not path.exists():
        return {}
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return {r["name"]: dict(r) for r in db.execute("SELECT * FROM submission ORDER BY seq")}
    except sqlite3.OperationalError:   # the service has not made its table yet
        return {}
    finally:
        db.close()


def wait_for(check, what: str, seconds: float = 120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def of(course: Path, student: str) -> list[dict]:
    return [r for r in rows(course).values() if r["student"] == student]


def start(course: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(serve_command(course, "--jobs", "1", "--assignment", A), cwd=course, env=serve_env(),
                            stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the service's grading processes)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def pool_leftovers(pid: int) -> list[str]:
    """The control groups and folders of the kernels the grading process `pid` keeps started."""
    from autograder.grading.isolation import kernel_caps, pool
    tag, mechanism = pool.owner_tag(pid), kernel_caps.detect()[0]
    groups = [str(p) for parent in kernel_caps.parents(mechanism) for p in parent.glob(f"{kernel_caps.PREFIX}{tag}*")]
    return groups + [str(p) for p in Path("/dev/shm").glob(f"cnnk-{tag}*")]


def latest(pages: dict[str, str]) -> str:
    return pages[max(pages)]


def test_submit_serve_fetch_feedback_then_restart_and_grade_agree(tmp_path, first_master):
    course, exchange = make_course(tmp_path, policy="c.FeedbackPolicy.attempts = 2\n"
                                                    "c.FeedbackPolicy.minutes_between = 0\n")
    seeded(course / ".autograder-service" / "grader", first_master)   # the grader's course folder, built once
    seeded(course / "out", first_master)
    log = tmp_path / "serve.log"
    alice, bob, carol = (Student(tmp_path, s, exchange) for s in ("alice", "bob", "carol"))
    for s in (alice, bob, carol):
        s.fetch()
    crash = dict(solution_sources(A))
    crash["conv_single_step"] = "import os\nos._exit(1)\n" + crash["conv_single_step"]
    alice.write()
    alice.submit()
    bob.write(sources=crash)
    bob.submit()
    service = start(course, log)
    try:
        wait_for(lambda: len(rows(course)) == 2 and all(r["state"] == "done" for r in rows(course).values()),
                 "the first two submissions")
        page = latest(alice.fetch_feedback())
        assert "attempt 1 of 2" in page and "Score of this submission: 15 of 15" in page
        assert "Attempts with feedback left for this assignment: 1" in page
        assert "test_conv_forward_hidden" in page and not shown_hidden_lines(page, A)   # names and verdicts only
        bobs = latest(bob.fetch_feedback())
        assert "attempt 1 of 2" in bobs and "Score of this submission: 3 of 15" in bobs   # the crash cost that cell's tests
        assert len(alice.fetch_feedback()) == 1 and "Score of this submission: 3" not in page  # her own only

        alice.submit()          # attempt 2 of 2
        # graded before the next: submitted while it still waited in the queue, the next would replace it
        wait_for(lambda: [r["state"] for r in of(course, "alice")] == ["done", "done"], "alice's second")
        alice.submit()          # past the limit: kept, graded after the deadline
        wait_for(lambda: [r["state"] for r in of(course, "alice")] == ["done", "done", "deferred"], "alice's three")
        pages = alice.fetch_feedback()
        assert len(pages) == 3
        third = pages[max(pages)]
        assert "used your 2 attempts" in third and "when your instructor grades" in third

        carol.write()
        carol.submit()
        wait_for(lambda: [r["state"] for r in of(course, "carol")] == ["grading"], "carol's grading to start")
        os.killpg(service.pid, signal.SIGKILL)
        service.wait()
        assert [r["state"] for r in of(course, "carol")] == ["grading"]
        service = start(course, log)
        wait_for(lambda: [r["state"] for r in of(course, "carol")] == ["done"], "carol's grading after the restart")
        assert {r["name"]: r["gradings"] for r in rows(course).values() if r["state"] == "done"} == \
            {r["name"]: 1 for r in rows(course).values() if r["state"] == "done"}       # each graded once
        assert "attempt 1 of 2" in latest(carol.fetch_feedback())
        workers = children(service.pid)
        assert workers and all(pool_leftovers(w) for w in workers)   # each keeps a kernel started
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
        assert [pool_leftovers(w) for w in workers] == [[] for _ in workers]   # none outlives the service
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)
            service.wait()
    text = log.read_text()
    assert "restarted:" in text and "stopped" in text, text[-2000:]

    # the official grade: the course's gradebook holds nothing of the service's
    db = sqlite3.connect(course / "gradebook.db")
    assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == 0
    db.close()
    app(course, "collect", A, "--student=bob")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--submissions", "submitted", "--out", "out"],
                          cwd=course, env=serve_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    official = next(r for r in json.loads((course / "out" / "results.json").read_text()) if r["student_id"] == "bob")
    seq = of(course, "bob")[0]["seq"]
    served = json.loads((course / ".autograder-service" / "units" / f"{seq:07d}" / "result.json").read_text())
    assert (official["raw_score"], official["tests"]) == (served["raw_score"], served["tests"])
    assert official["raw_score"] == 3.0


def test_serve_grades_on_a_dask_cluster(tmp_path, first_master):
    """`serve --scheduler`: the submission graded on a LocalCluster's worker (grading/cluster.py's task),
    its page released as a local grade's."""
    import argparse
    import shutil

    import dask.config
    import nbformat
    from distributed import LocalCluster
    from nbgrader.utils import notebook_hash

    from autograder.grading.orchestrate import master as master_mod
    from autograder.paths import NOTEBOOKS
    from autograder.service.cli import add_arguments, build
    from autograder.authoring.variants import filled_student_notebook
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'cnn-inside'\nc.Exchange.root = {str(exchange)!r}\n"
        "c.FeedbackService.check_owner = False\n")
    seeded(course / ".autograder-service" / "grader", first_master)          # the service's course folder
    cache = tmp_path / "cache"                                                # and the worker's
    shutil.copytree(first_master, cache / "masters" / master_mod.master_hash(only=[A]), symlinks=True)
    folder = exchange / "cnn-inside" / "inbound" / f"dora+{A}+2026-12-01 10:00:00.000000 UTC+r"
    folder.mkdir(parents=True)
    released = nbformat.read(NOTEBOOKS / A / f"{A}.ipynb", as_version=4)
    nbformat.write(filled_student_notebook(released, solution_sources(A)), folder / f"{A}.ipynb")
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text("d" * 128)
    os.chmod(folder, 0o777)
    page = exchange / "cnn-inside" / "feedback" / f"{notebook_hash(secret='d' * 128, notebook_id=A)}.html"
    with dask.config.set({"autograder.cache": str(cache)}), \
            LocalCluster(processes=True, n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args(["--course", str(course), "--scheduler", cluster.scheduler_address,
                                  "--assignment", A, "--jobs", "1"])
        from autograder.__main__ import isolation
        service = build(args, isolation(args, "serve"))
        end = time.monotonic() + 120
        service.run(until=lambda: page.exists() or time.monotonic() > end)
        service.state.close()
    text = page.read_text()
    assert f"{A}: attempt 1 of 3" in text and "Score of this submission: 15 of 15" in text
