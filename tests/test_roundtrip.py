"""The whole nbgrader round trip, with nbgrader's own commands and a local exchange in a temporary
folder: the instructor releases, three students (each their own user name, home and working folder)
fetch, work, validate and submit, one of them late; the instructor collects, grades with
`python -m autograder grade`, exports and releases feedback; the students fetch it. And the other
way in: `nbgrader zip_collect` from an LMS download (Canvas and Moodle file names) into the same grade.

Notebooks 01 and 02 only. The course's late rule is nbgrader's own `LateSubmissionPlugin`
(penalty_method "zero": a late submission scores 0).
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.grading.orchestrate import master as master_mod
from autograder.paths import COURSE_ID, NOTEBOOKS, ROOT
from autograder.demo.sample_class import MISTAKES
from autograder.authoring.variants import edited, filled_student_notebook, solution_sources
from tests.conftest import cell_points, seeded
from tests.lms_download import CANVAS_REGEXP, MOODLE_REGEXP, canvas_zip, moodle_zip
from tests.test_grading import rendered_text, shown_hidden_lines

pytestmark = pytest.mark.slow

A1, A2 = "01_conv_forward", "02_pool_forward"
MAX_ONLY = cell_points(A2, "test_pool_forward_max")  # a pool_forward that averages by summing passes max only
BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def grader_two(tmp_path_factory) -> Path:
    """The grader's course folder for notebooks 01 and 02, built once (as `grade` builds it when a
    course's students submitted just these two)."""
    folder, _ = master_mod.prepare(tmp_path_factory.mktemp("grader-two"), only=[A1, A2])
    return folder


def clean_env(home: Path) -> dict[str, str]:
    """A user's environment: their own HOME (nbgrader's cache and Jupyter folders live there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    return dict(env, HOME=str(home), PATH=BIN + os.pathsep + env.get("PATH", ""))


def run(args: list[str], cwd: Path, home: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, env=clean_env(home), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def run_nbgrader(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """`nbgrader ARGS` in that folder with that environment (its configuration: cwd's), run in this
    process the way nbgrader's own test suite runs its commands (nbgrader.tests.run_nbgrader): the same
    application, without two seconds of start-up for each command. (exit code, its log)."""
    from jupyter_core.application import NoStart
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from nbgrader.validator import Validator

    saved_env, saved_cwd, saved_stream = os.environ, os.getcwd(), Validator.stream
    log = io.StringIO()
    os.environ = env
    os.chdir(cwd)
    Validator.stream = log
    app = NbGraderApp.instance()
    try:
        app.initialize(list(args))
        app.init_logging(logging.StreamHandler, [log], color=False, subapps=True)
        app.start()
        code = 0
    except NoStart:
        code = 0
    except SystemExit as exit:
        code = exit.code
    finally:
        app.reset()
        os.environ, Validator.stream = saved_env, saved_stream
        os.chdir(saved_cwd)
    return code, log.getvalue()


def nbgrader(*args: str, cwd: Path, home: Path) -> str:
    """`nbgrader ARGS` as that user runs it: their HOME, their working folder and its config."""
    code, log = run_nbgrader(cwd, clean_env(home), *args)
    assert not code, f"nbgrader {' '.join(args)} failed:\n{log[-3000:]}"
    return log


def grade(course: Path, home: Path, *extra: str) -> str:
    return run([sys.executable, "-m", "autograder", "grade", "--submissions", "submitted", "--out", "OUT",
                "--jobs", "2", *extra], course, home)


def make_course(tmp: Path, exchange: Path | None = None) -> tuple[Path, Path]:
    """(course root, instructor's HOME): the course's nbgrader_config.py (this repository's, with
    the exchange and the late rule) and the released notebooks 01 and 02."""
    course, home = tmp / "course", tmp / "instructor"
    home.mkdir(parents=True)
    course.mkdir()
    lines = [(ROOT / "nbgrader_config.py").read_text(),
             f"c.CourseDirectory.root = {str(course)!r}",
             'c.LateSubmissionPlugin.penalty_method = "zero"']
    if exchange:   # every student submits as this one account here: collect takes their folders all the same
        lines += [f"c.Exchange.root = {str(exchange)!r}", "c.ExchangeCollect.check_owner = False"]
    (course / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    for a in (A1, A2):
        shutil.copytree(NOTEBOOKS / a, course / "notebooks" / a)
    return course, home


def work(student: str, assignment: str, released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What each student writes: alice finishes, bob makes the sample class's mistakes, carol nothing."""
    if student == "carol":
        return released
    sources = solution_sources(assignment)
    if student == "bob":
        for a, cell, edits in MISTAKES["ben"] + MISTAKES["cy"][1:]:
            if a == assignment:
                sources[cell] = edited(sources[cell], edits)
    return filled_student_notebook(released, sources)


def table(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return sorted(csv.DictReader(fh), key=lambda r: (r["student_id"], r["assignment"]))


def snapshot(course: Path, out: Path) -> dict:
    """Everything a second run could change: the gradebook's rows, the course's autograded and
    feedback files, grades.csv."""
    with sqlite3.connect(course / "gradebook.db") as con:
        rows = sorted(con.iterdump())
    files = {str(p.relative_to(course)): p.read_bytes()
             for d in ("autograded", "feedback") for p in sorted((course / d).rglob("*")) if p.is_file()}
    return {"db": rows, "files": files, "grades": (out / "grades.csv").read_text()}


READER = r"""
import json, sqlite3, sys, time
from pathlib import Path
from nbgrader.api import Gradebook
db, stop, report = sys.argv[1:4]
reads, errors, seen = 0, [], {}
gb = Gradebook("sqlite:///" + db, "cnn-inside")       # held open for the whole run, as formgrader does
while not Path(stop).exists():
    try:
        gb.db.rollback()                               # a new request: fresh data
        for a in gb.assignments:
            for s in gb.assignment_submissions(a.name):
                seen[s.student.id + "/" + a.name] = s.score
        con = sqlite3.connect(db, timeout=10)          # and a long read transaction: writers must wait
        con.execute("BEGIN")
        con.execute("SELECT count(*) FROM grade").fetchall()
        time.sleep(0.2)
        con.commit()
        con.close()
        reads += 1
    except Exception as err:
        errors.append(f"{type(err).__name__}: {err}")
    time.sleep(0.05)
gb.close()
Path(report).write_text(json.dumps({"reads": reads, "errors": errors, "seen": seen}))
"""


def test_the_whole_round_trip(tmp_path, grader_two):
    exchange = tmp_path / "exchange"
    course, instructor = make_course(tmp_path, exchange)
    students = ("alice", "bob", "carol")
    homes = {s: tmp_path / "home" / s for s in students}
    for s, home in homes.items():  # what each student's environment says: the exchange, the course, who
        home.mkdir(parents=True)
        (home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.CourseDirectory.student_id = {s!r}\n")

    # the instructor releases; the students fetch, work, validate and submit (bob's notebook 1 late)
    for a in (A1, A2):
        nbgrader("release_assignment", a, cwd=course, home=instructor)
    for s in students:
        for a in (A1, A2):
            nbgrader("fetch_assignment", a, cwd=homes[s], home=homes[s])
            path = homes[s] / a / f"{a}.ipynb"
            nbformat.write(work(s, a, nbformat.read(path, as_version=4)), path)
        said = nbgrader("validate", str(homes[s] / A1 / f"{A1}.ipynb"), cwd=homes[s], home=homes[s])
        assert ("Success!" in said) == (s == "alice"), said
        for a in (A1, A2):
            if (s, a) != ("bob", A1):
                nbgrader("submit", a, cwd=homes[s], home=homes[s])
    due = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    for a in (A1, A2):  # the due date passes now
        nbgrader("db", "assignment", "add", a, f"--duedate={due}", cwd=course, home=instructor)
    time.sleep(0.01)
    nbgrader("submit", A1, cwd=homes["bob"], home=homes["bob"])

    # the instructor collects and grades, while another process (formgrader's part) holds the gradebook open
    for a in (A1, A2):
        nbgrader("collect", a, cwd=course, home=instructor)
    seeded(course / "OUT", grader_two)
    stop, report = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(course / "gradebook.db"), str(stop), str(report)],
                              env=clean_env(instructor))
    said = grade(course, instructor)
    stop.touch()
    reader.wait(timeout=60)
    assert "into the nbgrader course" in said
    seen = json.loads(report.read_text())
    assert seen["errors"] == [] and seen["reads"] >= 3, seen
    out = course / "OUT"

    # nbgrader export writes what grades.csv says; the late submission lost its points by nbgrader's rule
    nbgrader("export", "--to", str(tmp_path / "export.csv"), cwd=course, home=instructor)
    exported, ours = table(tmp_path / "export.csv"), table(out / "grades.csv")
    assert exported == ours
    scores = {(r["student_id"], r["assignment"]): (float(r["raw_score"]), float(r["late_submission_penalty"]),
                                                   float(r["score"])) for r in ours}
    assert scores == {("alice", A1): (15, 0, 15), ("alice", A2): (10, 0, 10),
                      ("bob", A1): (5, 5, 0), ("bob", A2): (MAX_ONLY, 0, MAX_ONLY),
                      ("carol", A1): (0, 0, 0), ("carol", A2): (0, 0, 0)}
    assert all(r["duedate"] and r["timestamp"] for r in ours)
    assert seen["seen"]["alice/" + A1] == 15  # the reader saw the scores arrive

    # formgrader's view: the autograded notebooks where it reads them, per-cell grades in the gradebook
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        bob = gb.find_submission_notebook(A1, A1, "bob")
        assert {g.name: g.score for g in bob.grades if g.max_score}["test_conv_forward"] == 0
        assert bob.late_submission_penalty == 5
        assert gb.find_submission_notebook(A1, A1, "alice").score == 15
    for s in students:
        for a in (A1, A2):
            assert (course / "autograded" / s / a / f"{a}.ipynb").is_file()

    # feedback: released by nbgrader, fetched by each student: their score, their failures, no hidden code
    for a in (A1, A2):
        nbgrader("release_feedback", a, cwd=course, home=instructor)
    pages = {}
    for s in students:
        nbgrader("fetch_feedback", A1, cwd=homes[s], home=homes[s])
        [page] = (homes[s] / A1 / "feedback").glob("*/*.html")
        pages[s] = page.read_text()
        assert shown_hidden_lines(pages[s], A1) == []
    assert "Score: 15.0 / 15.0" in rendered_text(pages["alice"])
    assert "Score: 5.0 / 15.0" in rendered_text(pages["bob"]) and "bias is missing" in rendered_text(pages["bob"])
    # what the late rule took is on bob's page, and on no one else's
    assert "takes 5 point(s): your score is 0 of 15" in rendered_text(pages["bob"])
    assert not any("late submission" in rendered_text(pages[s]) for s in ("alice", "carol"))
    assert "Score: 0.0 / 15.0" in rendered_text(pages["carol"])

    # a second run changes nothing
    before = snapshot(course, out)
    again = grade(course, instructor)
    assert "(6 already graded)" in again
    assert snapshot(course, out) == before


def test_zip_collect_from_an_lms_download_into_the_same_grade(tmp_path, grader_two):
    course, instructor = make_course(tmp_path)
    downloads = {A1: (canvas_zip, CANVAS_REGEXP), A2: (moodle_zip, MOODLE_REGEXP)}
    for a, (make_zip, regexp) in downloads.items():
        archive = course / "downloaded" / a / "archive"
        archive.mkdir(parents=True)
        make_zip(archive / "submissions.zip", a)
        nbgrader("zip_collect", a, f"--FileNameCollectorPlugin.named_regexp={regexp}", cwd=course, home=instructor)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["1001", "1002"]
    seeded(course / "OUT", grader_two)
    grade(course, instructor)
    nbgrader("export", "--to", str(tmp_path / "export.csv"), cwd=course, home=instructor)
    ours = table(course / "OUT" / "grades.csv")
    assert table(tmp_path / "export.csv") == ours
    assert {(r["student_id"], r["assignment"]): float(r["score"]) for r in ours} == {
        ("1001", A1): 15, ("1001", A2): 10, ("1002", A1): 5, ("1002", A2): MAX_ONLY}
