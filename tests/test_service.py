"""The grading service end to end: students submit with nbgrader's own submit, `python -m autograder
serve` grades and releases, students read it with nbgrader's own fetch_feedback; the service killed
with SIGKILL mid-grade grades that submission once after a restart, and nothing of the killed grading
stays on the machine; `grade` after the deadline agrees with the service and is the only one to write
the course's gradebook.

No student can stop graded feedback for the class (issue 31.5): as root with its owner check on, over
an exchange where real Unix accounts submit. The usual time is measured first, with one honest student
alone. Then a student (`mal`) plants, as their own account, a submission whose secret is a FIFO, one
whose secret is a link to /dev/zero, one holding a 1 GiB file, a link to another student's submission
and a folder named for that student; two honest students whose names hold '.', '-', digits and '+'
submit at once. Each gets feedback in about the usual time, the instructor's page names every bad
entry with why, mal's own secrets bring mal the reason, and the service stops promptly on SIGTERM
mid-grade, leaving nothing of its grading on the machine. Those accounts take the prefix
CNN_HUB_TEST_PREFIX (as tests/test_hub.py; default cnni-)."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import notebook_hash

from autograder.authoring.variants import solution_sources
from autograder.grading.isolation import leftovers
from autograder.paths import COURSE_ID
from autograder.service.status import PAGE
from tests import machine
from tests.conftest import seeded
from tests.test_grading import shown_hidden_lines
from tests.test_pool import ours
from tests.exchange_class import Account, Student, app, as_account, make_course, serve_command, serve_env
from tests.waiting import wait_for

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


def latest(pages: dict[str, str]) -> str:
    return pages[max(pages)]


def test_submit_serve_fetch_feedback_then_restart_and_grade_agree(tmp_path, first_master):
    course, exchange = make_course(tmp_path, policy="c.FeedbackPolicy.attempts = 2\n"
                                                    "c.FeedbackPolicy.minutes_between = 0\n")
    seeded(course / ".autograder-service" / "grader", first_master)   # the grader's course folder, built once
    seeded(course / "out", first_master)
    log = tmp_path / "serve.log"
    before = machine.stale()
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
        held = wait_for(lambda: [f for f, o in leftovers.owners() if o and o.alive() and o.work.startswith(str(course))],
                        "carol's kernel")
        os.killpg(service.pid, signal.SIGKILL)
        service.wait()
        assert [r["state"] for r in of(course, "carol")] == ["grading"]
        service = start(course, log)
        wait_for(lambda: [r["state"] for r in of(course, "carol")] == ["done"], "carol's grading after the restart")
        assert {r["name"]: r["gradings"] for r in rows(course).values() if r["state"] == "done"} == \
            {r["name"]: 1 for r in rows(course).values() if r["state"] == "done"}       # each graded once
        assert "attempt 1 of 2" in latest(carol.fetch_feedback())
        workers = children(service.pid)
        assert workers and all(ours(w)["folders"] for w in workers)   # each keeps a kernel started
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
        assert [ours(w) for w in workers] == [{"groups": [], "folders": []} for _ in workers]   # none outlives the service
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)
            service.wait()
    text = log.read_text()
    assert "restarted:" in text and "stopped" in text, text[-2000:]
    # what the grading process killed with the service held went with the restart (or with the next
    # grading process started on this machine, whichever came first)
    assert not any(f.exists() for f in held) and machine.left_behind(before) == {}

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
    import shutil

    import dask.config
    import nbformat
    from distributed import LocalCluster
    from nbgrader.utils import notebook_hash

    from autograder.grading.orchestrate import master as master_mod
    from autograder.paths import NOTEBOOKS
    from autograder.service.cli import ServeApp, build
    from autograder.authoring.variants import filled_student_notebook
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'cnn-inside'\nc.Exchange.root = {str(exchange)!r}\n"
        "c.ExchangeCollect.check_owner = False\n")
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
        app = ServeApp()
        app.initialize(["--course", str(course), "--scheduler", cluster.scheduler_address, "--assignment", A,
                        "--jobs", "1"])
        from autograder.grading.isolation.readiness import caps_or_refusal
        service = build(app, caps_or_refusal(False, False, cluster.scheduler_address, "serve"))
        end = time.monotonic() + 120
        service.run(until=lambda: page.exists() or time.monotonic() > end)
        service.state.close()
    text = page.read_text()
    assert f"{A}: attempt 1 of 3" in text and "Score of this submission: 15 of 15" in text


# ---------- issue 31.5: a bad inbound folder costs only itself
PREFIX = os.environ.get("CNN_HUB_TEST_PREFIX", "cnni-")   # real accounts, as tests/test_hub.py names them
ANN, BO, CD, MAL = (PREFIX + n for n in ("ann7", "b.o", "c+d", "mal"))   # '+': useradd --badname


def plant(inbound: Path, victim: str, mal: str = MAL, claimed: str = ANN,
          forged_at: str = "2026-12-01 10:00:05.000000 UTC") -> dict[str, str]:
    """What `mal` makes in inbound as their own account: name -> their secret ("" where none is usable).
    `victim` is another student's submission folder (linked to), `claimed` that student (a folder in
    their name, made at `forged_at`: the newest of theirs, for collect, when that time is later)."""
    at = "2026-12-01 10:00:0{}.000000 UTC"
    planted = {f"{mal}+{A}+{at.format(1)}+fifo": "", f"{mal}+{A}+{at.format(2)}+zero": "",
               f"{mal}+{A}+{at.format(3)}+huge": "e" * 128, f"{mal}+{A}+{at.format(4)}+link": "",
               f"{claimed}+{A}+{forged_at}+forged": "f" * 128}
    fifo, zero, huge, link, forged = (inbound / name for name in planted)

    def folder(path: Path) -> Path:
        path.mkdir()
        nbformat.write(nbformat.v4.new_notebook(), path / f"{A}.ipynb")
        (path / "timestamp.txt").write_text(path.name.rsplit("+", 2)[1])
        if planted[path.name]:
            (path / "submission_secret.txt").write_text(planted[path.name])
        return path

    def make() -> None:
        os.mkfifo(folder(fifo) / "submission_secret.txt")
        (folder(zero) / "submission_secret.txt").symlink_to("/dev/zero")
        with open(folder(huge) / "data.bin", "wb") as fh:
            fh.truncate(2 ** 30)   # sparse: a GiB to whoever reads it, no disk
        os.symlink(victim, link)
        folder(forged)
        for path in (fifo, zero, huge, forged):
            path.chmod(0o777)      # as nbgrader submit leaves a folder
    as_account(mal, make)
    return planted


def refused_why(mal: str = MAL, claimed: str = ANN) -> dict[str, str]:
    """The end of each planted folder's name -> what the instructor's page says of it (HTML-escaped)."""
    return {"fifo": "its submission_secret.txt is a FIFO, not a file",
            "zero": "its submission_secret.txt is a symbolic link",
            "huge": "too big: it holds 1.07 GB in files",
            "link": "a symbolic link to", "forged": f"named as {claimed}&#39;s but owned by {mal}"}


@pytest.fixture()
def world(first_master):
    """A course whose exchange real accounts can reach (pytest's own folder is private to root)."""
    if os.geteuid() != 0:
        pytest.skip("students are real Unix accounts: run as root")
    base = Path(tempfile.mkdtemp(prefix="cnn-inbound-test-"))
    base.chmod(0o755)
    names = (ANN, BO, CD, MAL)
    for name in names:
        subprocess.run(["userdel", name], capture_output=True)   # an earlier, interrupted run's
    try:
        course, exchange = make_course(base, policy="c.ExchangeCollect.check_owner = True\n"
                                                     "c.FeedbackPolicy.minutes_between = 0\n")
        course.chmod(0o700)
        seeded(course / ".autograder-service" / "grader", first_master)
        yield course, exchange, {n: Account(n, base, exchange) for n in names}
    finally:
        for name in names:
            subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def since(start: float, check, what: str) -> float:
    """Seconds from `start` until `check` holds."""
    wait_for(check, what, 180)
    return time.monotonic() - start


def test_bad_inbound_entries_cost_nobody_feedback_and_the_service_stops_cleanly(world):
    course, exchange, people = world
    inbound = exchange / COURSE_ID / "inbound"
    before = machine.stale()
    for name in (ANN, BO, CD):
        people[name].fetch_and_work(A)
    log = course.parent / "serve.log"
    service = subprocess.Popen(serve_command(course, "--jobs", "2", "--assignment", A), cwd=course, env=serve_env(),
                               stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: "watching" in log.read_text(), "the service to start")
        ann = people[ANN]
        usual = since(ann.submit(A), lambda: ann.pages(A) and ann.pages(A)[0].exists(), "ann's feedback, alone")

        planted = plant(inbound, victim=str(next(inbound.glob(f"{ANN}+{A}+*"))))
        sent = {name: people[name].submit(A) for name in (BO, CD)}
        took = {name: since(sent[name], lambda: people[name].pages(A)[0].exists(), f"{name}'s feedback")
                for name in (BO, CD)}
        # graded side by side (--jobs 2), each in about the time one took alone: the bad entries cost nothing
        print(f"feedback {usual:.1f} s after the submit alone; with the bad entries (2 at once, --jobs 2): "
              + ", ".join(f"{n} {t:.1f} s" for n, t in took.items()))
        assert max(took.values()) < 2 * usual + 10, (usual, took)
        for name in (ANN, BO):     # nbgrader's own fetch_feedback, as their account
            page = people[name].fetch_feedback(A)
            assert "attempt 1 of 3" in page and "Score of this submission: 15 of 15" in page
        # nbgrader 0.9.6's fetch_feedback splits its cache's folder names on every '+' and fails for a name
        # holding one; the service grades and releases the page all the same, where fetch_feedback keys it
        page = people[CD].pages(A)[0].read_text()
        assert "attempt 1 of 3" in page and "Score of this submission: 15 of 15" in page

        status = (course / PAGE).read_text()
        assert f"Entries in inbound that were not graded ({len(planted)})" in status
        why = refused_why()
        for name in planted:
            row = next(r for r in status.split("<tr>") if name in r)
            assert why[name.rsplit("+", 1)[1]] in row and MAL in row, row
        for secret in filter(None, planted.values()):   # mal holds these secrets: mal is told why
            told = (exchange / COURSE_ID / "feedback" / f"{notebook_hash(secret=secret, notebook_id=A)}.html").read_text()
            assert "submission not graded" in told and "used no attempt" in told

        ann.submit(A)              # a second attempt; SIGTERM while its kernel runs
        wait_for(lambda: any(o and o.alive() and o.work.startswith(str(course)) for _, o in leftovers.owners()),
                 "the second attempt's kernel")
        stopping = time.monotonic()
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
        assert time.monotonic() - stopping < 10
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)
            service.wait()
    assert machine.left_behind(before) == {}
    text = log.read_text()
    assert text.count("Z refused ") == len(planted) and "stopped" in text, text[-3000:]
