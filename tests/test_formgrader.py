"""The instructor's buttons with one grader behind them: nbgrader's Autograde (`nbgrader autograde`, and
Formgrader's button in Debian's Chromium) grades a class as `python -m autograder grade` does, and
Generate Feedback writes grade's page.

A class submits notebook 01 through nbgrader's exchange: ada right, ben the sample class's mistake (late:
the course's late rule takes his points), the sample class's broken and hostile notebooks (eve invalid
JSON, fay tampered tests, gus reading for the solutions and patching the checks, hal exiting its kernel,
ivy looping forever, jo flooding its output; autograder/demo/sample_class.py), and cat, a right solution
that also lists, reads and writes every file of the course it can name (the canaries). The instructor
collects. Then, on two copies of that course:
- in one, `nbgrader autograde 01_conv_forward` (the course's nbgrader_config.py hands it to the grader);
- in the other, nbgrader's own Autograde first fails as in issue 31 (the course's gradebook does not
  know the notebook yet) and leaves incomplete rows; `grade` is run after it.
Both courses must hold the same grades, per-cell scores, autograded notebooks and feedback pages; in
Formgrader the instructor lists the assignment and the scores, sees the script cat's code printed as
text (not run in the browser), Autogrades ben again, generates and releases the feedback, and the
students fetch it. Screenshot:
artifacts/screenshots/formgrader-manage-students.png (README picture: tests/browser/readme_images.py).
"""
from __future__ import annotations

import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.variants import filled_student_notebook, solution_sources
from autograder.demo.sample_class import make as sample_class
from autograder.paths import COURSE_ID, NOTEBOOKS, ROOT, SOLUTIONS, child_env
from tests.browser import formgrader as fg
from tests.browser.lab import CHROMIUM, launch_chromium, start_lab
from tests.conftest import seeded
from tests.exchange_class import Student, add_assignment, app
from tests.test_course_autograde import nbgrader
from tests.test_roundtrip import A1, make_course, table

pytestmark = pytest.mark.slow

SHOTS = ROOT / "artifacts" / "screenshots"
HOSTILE = ("eve", "fay", "gus", "hal", "ivy", "jo")    # the sample class's broken and hostile students
CLASS = ("ada", "ben", *HOSTILE, "cat")
GRADED_AS = ("--jobs", "2", "--timeout", "5")          # the course's Execute.timeout below: the same limits
CHANGED_BY_GRADING = ("gradebook.db", "autograded", "feedback", "out")   # what grading may write in a course
# whose notebooks run differently in any two runs, of grade as well: gus's recursive glob of / fails at a
# depth that varies (its traceback), hal's kernel exits before or after it reports the cell it exits in
RACY = ("gus", "hal")


def canary_notebook(course: Path) -> nbformat.NotebookNode:
    """A right notebook 01 whose zero_pad cell also lists, reads and writes all it can name of the course
    (its solutions, gradebook, configuration, grades, other students' work) and of the checkout. What it
    reaches is printed with words that its own code never holds whole."""
    reads = [course / "gradebook.db", course / "solutions" / A1 / f"{A1}.ipynb", course / "nbgrader_config.py",
             course / "canary.txt", course / "submitted" / "ada" / A1 / f"{A1}.ipynb", course / "out" / "grades.csv",
             SOLUTIONS / A1 / f"{A1}.ipynb"]
    writes = [course / "canary.txt", course / "planted.txt", course / "solutions" / A1 / "canary.txt",
              course / "gradebook.db", course / "autograded" / "ada" / A1 / f"{A1}.ipynb",
              course / "feedback" / "ada" / A1 / f"{A1}.html", course / "out" / "grades.csv",
              course / "submitted" / "ada" / A1 / f"{A1}.ipynb", Path("/planted.txt"), ROOT / "planted.txt"]
    spy = "\n".join([
        "import os",
        f"for target in {[str(course), str(course / 'solutions')]!r}:",
        "    try:",
        "        print('LIST' + 'ED', target, os.listdir(target))",
        "    except OSError as err:",
        "        print('blocked list', type(err).__name__)",
        f"for target in {[str(p) for p in reads]!r}:",
        "    try:",
        "        print('LEAK' + 'ED', target, open(target, 'rb').read(20))",
        "    except OSError as err:",
        "        print('blocked read', type(err).__name__)",
        f"for target in {[str(p) for p in writes]!r}:",
        "    try:",
        "        open(target, 'a').write('planted')",
        "        print('WRO' + 'TE', target)",
        "    except OSError as err:",
        "        print('blocked write', type(err).__name__)",
        # and code for the instructor's browser, where Formgrader shows this output
        "from IPython.display import HTML, display",
        "display(HTML(\"<script>window.PWNED = 1</script><img src='none' onerror='window.PWNED = 2'>\"))",
    ])
    sources = solution_sources(A1)
    sources["zero_pad"] += "\n" + spy
    return filled_student_notebook(nbformat.read(NOTEBOOKS / A1 / f"{A1}.ipynb", as_version=4), sources)


def files(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path (the kernels' IPC sockets and the like left out)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def normalised(page: bytes) -> bytes:
    """A page or notebook without its cells' ids and run times: nbformat gives new random ids to cells that
    a tampered notebook lost them from (fay), and nbclient keeps when each cell ran in some autograded
    notebooks; both differ between any two runs. Nothing else is normalised."""
    page = re.sub(rb'(id="cell-id=|"id": ")[0-9a-f-]+"', rb'\1x"', page)
    return re.sub(rb'"(iopub\.[a-z_.]+|shell\.execute_reply)": "[^"]+"', rb'"\1": "t"', page)


def same_files(ours: Path, grades: Path) -> bool:
    """The same files in both folders, each the same but for normalised(); a racy student's by name only."""
    a, b = files(ours), files(grades)
    assert sorted(a) == sorted(b) and len(a) >= 2 * len(CLASS), (sorted(a), sorted(b))
    kept = [k for k in a if k.split("/")[0] not in RACY]
    return {k: normalised(a[k]) for k in kept} == {k: normalised(b[k]) for k in kept}


def gradebook_scores(course: Path) -> dict[tuple[str, str], tuple]:
    """(student, cell) -> (auto score, manual score, late penalty of the submission), from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return {(sub.student.id, grade.name): (grade.auto_score, grade.manual_score, sub.late_submission_penalty)
                for sub in gb.assignment_submissions(A1) for nb in sub.notebooks for grade in nb.grades}


def incomplete_submissions(course: Path) -> list[str]:
    with sqlite3.connect(course / "gradebook.db") as con:
        return sorted(r[0] for r in con.execute(
            "SELECT s.student_id FROM submitted_assignment s LEFT JOIN submitted_notebook n "
            "ON n.assignment_id = s.id WHERE n.id IS NULL"))


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = child_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def copy_course(course: Path, dest: Path) -> Path:
    """The same course in another folder (its nbgrader_config.py names its root)."""
    shutil.copytree(course, dest, symlinks=True)
    config = dest / "nbgrader_config.py"
    config.write_text(config.read_text().replace(repr(str(course)), repr(str(dest))))
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory, first_master):
    tmp = tmp_path_factory.mktemp("formgrader")
    exchange = tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    course, _ = make_course(tmp, exchange)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("c.Execute.timeout = 5\n")
    shutil.copytree(SOLUTIONS / A1, course / "solutions" / A1)   # the course's source, as in the hub's copy
    canaries = {course / "canary.txt": os.urandom(16).hex(), course / "solutions" / A1 / "canary.txt": "solution"}
    for path, text in canaries.items():
        path.write_text(text)

    # the class submits through the exchange, ben after the due date
    app(course, "release_assignment", A1)
    written = tmp / "sample"
    sample_class(written, only=[A1])
    students = {s: Student(tmp, s, exchange) for s in CLASS}
    for s, student in students.items():
        student.fetch()
        if s == "cat":
            nbformat.write(canary_notebook(course), student.write())
        else:
            student.write(text=next((written / s / A1).glob("*.ipynb")).read_text())
        if s != "ben":
            student.submit()
    add_assignment(course, A1, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    students["ben"].submit()
    app(course, "collect", A1)

    # grade's course: nbgrader's own Autograde fails first and leaves incomplete rows, then grade
    by_grade = copy_course(course, tmp / "graded-by-grade")
    stock = nbgrader(by_grade, "autograde", A1, "--no-execute",
                     "--Autograde.exporter_class=nbconvert.exporters.NotebookExporter")
    left = incomplete_submissions(by_grade)
    seeded(by_grade / "out", first_master)
    grade = run([sys.executable, "-m", "autograder", "grade", "--submissions", "submitted", "--out", "out",
                 *GRADED_AS], by_grade)

    # the other: nbgrader autograde, as the instructor types it in the course folder
    seeded(course / "out", first_master)
    before = files(course)
    autograde = run([sys.executable, "-m", "nbgrader", "autograde", A1], course)
    return {"tmp": tmp, "course": course, "by_grade": by_grade, "canaries": canaries, "before": before,
            "stock": stock, "left": left, "grade": grade, "autograde": autograde, "students": students}


def test_nbgrader_autograde_grades_as_grade_does(graded):
    course, by_grade = graded["course"], graded["by_grade"]
    said = graded["autograde"]
    assert said.returncode == 0, said.stderr[-3000:]
    assert "graded ben/01_conv_forward: 5 of 15, 5 taken by the late rule" in said.stderr
    assert table(course / "out" / "grades.csv") == table(by_grade / "out" / "grades.csv")
    assert gradebook_scores(course) == gradebook_scores(by_grade)
    for folder in ("autograded", "feedback"):
        assert same_files(course / folder, by_grade / folder)
    assert table(course / "out" / "integrity.csv") == table(by_grade / "out" / "integrity.csv")
    scores = {r["student_id"]: (float(r["raw_score"]), float(r["score"])) for r in table(course / "out" / "grades.csv")}
    assert scores["ada"] == (15, 15) and scores["ben"] == (5, 0) and scores["cat"] == (15, 15)
    # nbgrader's export of the course's gradebook is OUT/grades.csv
    code, log = nbgrader(course, "export", "--to", str(graded["tmp"] / "export.csv"))
    assert code == 0, log[-2000:]
    assert table(graded["tmp"] / "export.csv") == table(course / "out" / "grades.csv")


def canary_reached_nothing(course: Path, student: str, canaries: dict[Path, str]) -> None:
    """What canary_notebook's student tried, autograded in the course: the canaries intact, nothing listed,
    read or written (each attempt was blocked), nothing of it in their feedback page."""
    for path, text in canaries.items():
        assert path.read_text() == text
    assert not list(course.rglob("planted.txt")) and not (ROOT / "planted.txt").exists()
    assert not Path("/planted.txt").exists()
    nb = nbformat.read(course / "autograded" / student / A1 / f"{A1}.ipynb", as_version=4)
    said = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    # a checkout under /tmp (mktemp -d): the sandbox's /tmp is the kernel's own memory, in which the folders
    # above the checkout's environment exist as mount points, so this write lands there; that it never
    # reached the checkout is asserted above
    said = said.replace(f"WROTE {ROOT / 'planted.txt'}\n", "blocked write (into the sandbox's own /tmp)\n"
                        if str(ROOT).startswith("/tmp/") else f"WROTE {ROOT / 'planted.txt'}\n")
    assert not re.search("LISTED|LEAKED|WROTE", said), said
    assert said.count("blocked list") == 2 and said.count("blocked read") == 7 and said.count("blocked write") == 10
    assert "LEAKED" not in (course / "feedback" / student / A1 / f"{A1}.html").read_text()


def test_students_code_reaches_none_of_the_instructors_files(graded):
    """The canaries are intact, nothing the notebooks tried to read, list or write was reached, and the
    autograde wrote nothing in the course but the gradebook, autograded/, feedback/ and its outputs."""
    course = graded["course"]
    canary_reached_nothing(course, "cat", graded["canaries"])
    assert not list(graded["tmp"].rglob("planted.txt"))
    after = files(course)
    changed = {p for p in set(after) | set(graded["before"]) if after.get(p) != graded["before"].get(p)}
    assert changed and all(p.split("/")[0] in CHANGED_BY_GRADING for p in changed), sorted(changed)
    assert not any(p.startswith("submitted/") for p in changed)


def test_grade_completes_what_a_failed_autograde_left(graded):
    """nbgrader's own Autograde stopped on every submission (the course's gradebook did not know the
    notebook) and left submissions without notebooks; grade completes them: no traceback, every row."""
    code, log = graded["stock"]
    assert code != 0 and "No notebooks found" in log
    assert graded["left"] == sorted(CLASS)
    grade = graded["grade"]
    assert grade.returncode == 0 and "Traceback" not in grade.stderr, grade.stderr[-3000:]
    assert incomplete_submissions(graded["by_grade"]) == []


def test_formgrader_autogrades_generates_and_releases_feedback(graded, tmp_path):
    """In Chromium: Manage Assignments lists the assignment; Manage Students shows grades.csv's scores;
    cat's submission shows the script and the event handler cat's code printed as text, not run;
    Autograde on ben's submission grades it again through the grader (its message says so), Generate and
    Release Feedback write and send grade's pages, and the students fetch them."""
    course, by_grade = graded["course"], graded["by_grade"]
    rows = table(course / "out" / "grades.csv")
    # as Formgrader writes a score: before the late rule (ben's 5, which grades.csv's raw_score holds),
    # rounded to two places, then JavaScript's number to text
    expected = {r["student_id"]: f"{round(float(r['raw_score']), 2):g} / {round(float(r['max_score']), 2):g}"
                for r in rows}
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        cats = gb.find_submission_notebook(A1, A1, "cat").id
    lab = start_lab(course, tmp_path / "lab-state")
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, tmp_path / "chromium-profile")
            try:
                page = browser.new_page()
                page.set_default_timeout(60_000)
                base = f"{lab.url}formgrader"
                page.goto(f"{base}/manage_assignments?token={lab.token}")
                assignment = fg.assignment_row(page, A1)
                expect(assignment).to_have_count(1)
                page.goto(f"{base}/manage_students")
                shown_rows = page.locator("table tbody tr", has=page.locator("td.id"))
                expect(shown_rows).to_have_count(len(CLASS))
                shown = {shown_rows.nth(k).locator("td.id").inner_text().strip():
                         shown_rows.nth(k).locator("td.score").inner_text().strip() for k in range(len(CLASS))}
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SHOTS / "formgrader-manage-students.png")
                # cat's notebook printed a script and an event handler: Formgrader shows them as text
                page.goto(f"{base}/submissions/{cats}/")
                expect(page.locator(".output_html", has_text="window.PWNED = 1")).to_have_count(1)
                page.wait_for_load_state("load")
                ran = page.evaluate("() => window.PWNED === undefined ? null : window.PWNED")
                page.goto(f"{base}/manage_submissions/{A1}")
                autograded = fg.press(page, fg.submission_row(page, "ben").locator("td.autograde a"))
                page.goto(f"{base}/manage_assignments")
                generated = fg.press(page, assignment.locator("td.generate-feedback a"))
                released = fg.press(page, assignment.locator("td.release-feedback a"))
            finally:
                browser.close()
    finally:
        lab.stop()
    assert shown == expected, f"formgrader shows {shown}, OUT/grades.csv says {expected}"
    assert ran is None, f"the student's code ran in the instructor's browser (window.PWNED = {ran})"
    assert "Successfully autograded" in autograded and "graded ben/01_conv_forward: 5 of 15" in autograded
    assert "Successfully generated feedback" in generated and "Successfully released feedback" in released
    assert same_files(course / "feedback", by_grade / "feedback")
    for s in ("ada", "ben", "eve"):
        [fetched] = graded["students"][s].fetch_feedback().values()
        assert fetched == (by_grade / "feedback" / s / A1 / f"{A1}.html").read_text()
    assert "your score is 0 of 15" in (course / "feedback" / "ben" / A1 / f"{A1}.html").read_text()
