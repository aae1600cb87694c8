"""nbgrader's Autograde in the course, without a kernel (the fast tier): which submissions the grader takes
over from nbgrader's converter, its refusal where students' code cannot run isolated (one line, nothing
written), the course gradebook's incomplete submissions completed, and what the instructor's process
reads of a submitted folder. tests/test_formgrader.py grades a class through the same route in Formgrader.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autograder.grading.orchestrate import course as course_mod
from autograder.grading.orchestrate.autograde import submissions_listed
from autograder.paths import COURSE_ID, ROOT, ensure_tools_on_path
from tests.test_roundtrip import run_nbgrader

A1 = "01_conv_forward"


@pytest.fixture(autouse=True)
def tools_on_path():
    ensure_tools_on_path()   # nbgrader's Gradebook runs its alembic from PATH


def gradebook(path: Path):
    from nbgrader.api import Gradebook
    return Gradebook(f"sqlite:///{path}", COURSE_ID)


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return sorted(con.iterdump())


def course_folder(tmp_path: Path, students=("ada", "ben")) -> Path:
    """The course's nbgrader_config.py (this repository's) and a submitted folder, as collect leaves it."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for student in students:
        folder = course / "submitted" / student / A1
        folder.mkdir(parents=True)
        (folder / f"{A1}.ipynb").write_text("{}")
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    return course


def nbgrader(course: Path, *args: str, path: str | None = None) -> tuple[int, str]:
    """`nbgrader ARGS` in the course folder (tests/test_roundtrip.py run_nbgrader), PATH as given."""
    return run_nbgrader(course, dict(os.environ, PATH=path if path is not None else os.environ["PATH"]), *args)


# ---------- which submissions the grader takes over
def test_the_submissions_nbgraders_converter_listed_by_student_and_assignment(tmp_path):
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    course = course_folder(tmp_path, students=("ada", "b.e+n", "zed"))
    (course / "submitted" / "ada" / "02_pool_forward").mkdir()   # no notebook: nbgrader lists nothing there
    cd = CourseDirectory(root=str(course), assignment_id="*", student_id="*", student_id_exclude="zed")
    converter = Autograde(coursedir=cd)
    converter.init_notebooks()
    assert sorted(submissions_listed(converter)) == [("ada", A1), ("b.e+n", A1)]
    cd.student_id = "ada"   # Formgrader's Autograde of one student
    converter.init_notebooks()
    assert submissions_listed(converter) == [("ada", A1)]


# ---------- refused where students' code cannot run isolated
def test_autograde_refuses_without_a_sandbox_in_one_line_and_writes_nothing(tmp_path):
    """No bubblewrap on PATH: `nbgrader autograde` in the course exits 1 with one line that names grade,
    before nbgrader reads or writes anything of the submissions (no gradebook, no autograded/)."""
    course = course_folder(tmp_path)
    (course / "submitted" / "ben" / A1 / "data.fifo").parent.mkdir(exist_ok=True)
    os.mkfifo(course / "submitted" / "ben" / A1 / "data.fifo")   # nbgrader's own copy would stop on it
    before = sorted(str(p.relative_to(course)) for p in course.rglob("*"))
    code, log = nbgrader(course, "autograde", A1, path=str(Path(sys.executable).parent))
    errors = [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]
    assert code == 1 and len(errors) == 1, log
    assert "refuses to run students' code here: bubblewrap" in errors[0]
    assert "python -m autograder grade --submissions submitted --out out" in errors[0]
    assert sorted(str(p.relative_to(course)) for p in course.rglob("*")) == before


def test_autograde_refuses_a_course_laid_out_otherwise(tmp_path):
    course = course_folder(tmp_path)
    (course / "nbgrader_config.py").write_text((course / "nbgrader_config.py").read_text() +
                                               'c.CourseDirectory.submitted_directory = "handed_in"\n')
    (course / "submitted").rename(course / "handed_in")
    (course / "handed_in" / "ada" / "99_not_ours").mkdir()
    (course / "handed_in" / "ada" / "99_not_ours" / "x.ipynb").write_text("{}")
    code, log = nbgrader(course, "autograde", "99_not_ours")
    assert code == 1 and "99_not_ours is not an assignment of the grader's solutions/" in log, log
    assert not (course / "gradebook.db").exists()


# ---------- the course gradebook: submissions left incomplete
def test_an_incomplete_submission_is_completed_as_nbgrader_makes_one(tmp_path, first_master):
    """A failed Autograde (nbgrader's own, before the course knew the assignment's notebooks) leaves a
    submission without notebooks: nbgrader's SaveAutoGrades then stops on MissingEntry. It is completed
    with the rows add_submission makes, keeping what is there, and a second pass adds nothing."""
    from nbgrader.api import MissingEntry

    db = tmp_path / "gradebook.db"
    shutil.copyfile(first_master / "gradebook.db", db)   # an existing gradebook: no minute of alembic here
    a = "00_half"
    with gradebook(db) as gb:
        gb.add_assignment(a)
        gb.add_student("ada")
        gb.add_submission(a, "ada", timestamp="2026-11-20 12:00:00")   # what the failed Autograde left
        gb.add_notebook(a, a)                                          # what grade then knows
        gb.add_grade_cell("test_zero_pad", a, a, max_score=3, cell_type="code")
        gb.add_solution_cell("zero_pad", a, a)
        gb.add_task_cell("task", a, a, max_score=2, cell_type="markdown")
        with pytest.raises(MissingEntry):
            gb.find_grade("test_zero_pad", a, a, "ada")
        assert course_mod.complete_submission(gb, a, "ada") == [a]
        gb.find_grade("test_zero_pad", a, a, "ada").manual_score = 2
        gb.db.commit()
        gb.find_comment("zero_pad", a, a, "ada")
        gb.find_grade("task", a, a, "ada")
        gb.find_comment("task", a, a, "ada")
        gb.add_grade_cell("test_zero_pad_hidden", a, a, max_score=4, cell_type="code")  # the assignment grew
        assert course_mod.complete_submission(gb, a, "ada") == [a]
        assert gb.find_grade("test_zero_pad", a, a, "ada").manual_score == 2   # kept
        assert gb.find_grade("test_zero_pad_hidden", a, a, "ada").max_score == 4
        before = dump(db)
        assert course_mod.complete_submission(gb, a, "ada") == []
        assert dump(db) == before


# ---------- what the instructor's process reads of a submitted folder
def test_only_small_regular_files_are_read_from_a_submitted_folder(tmp_path):
    """timestamp.txt and submission_secret.txt as small regular files; a link out of the folder (to a file
    the instructor can read), a FIFO (which would never end), a folder or a huge file: not read, as if absent."""
    (tmp_path / "timestamp.txt").write_text("2026-11-20 12:00:00 UTC")
    secret = tmp_path / "elsewhere" / "gradebook.db"
    secret.parent.mkdir()
    secret.write_text("the instructor's")
    (tmp_path / "linked.txt").symlink_to(secret)
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "folder.txt").mkdir()
    with open(tmp_path / "huge.txt", "wb") as fh:
        fh.truncate(course_mod.SMALL_FILE_BYTES + 1)
    found: dict[str, object] = {}

    def read_all() -> None:
        for name in ("timestamp.txt", "linked.txt", "fifo.txt", "folder.txt", "huge.txt", "missing.txt"):
            found[name] = course_mod._read(tmp_path / name)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "a FIFO held the reader"
    assert found == {"timestamp.txt": b"2026-11-20 12:00:00 UTC", "linked.txt": None, "fifo.txt": None,
                     "folder.txt": None, "huge.txt": None, "missing.txt": None}
    assert str(course_mod._timestamp(tmp_path)) == "2026-11-20 12:00:00"
    (tmp_path / "timestamp.txt").write_text("not a time")
    assert course_mod._timestamp(tmp_path) is None


# ---------- the course's configuration where the grader is not installed
WITHOUT_GRADER = r"""
import sys
sys.path.append(sys.argv[1])   # the environment's libraries, without its .pth files: no autograder
from importlib.util import find_spec
assert find_spec("autograder") is None
from traitlets.config import Config
from nbgrader.apps.baseapp import NbGrader
from nbgrader.apps.nbgraderapp import NbGraderApp
app = NbGrader()
app.initialize([])
print("source_directory", app.config.CourseDirectory.source_directory)
NbGrader.clear_instance()
try:
    NbGraderApp.launch_instance(["autograde", "01_conv_forward"])
except SystemExit as exit:
    print("exit", exit.code)
"""


def test_the_course_configuration_loads_where_the_grader_cannot_be_imported(tmp_path):
    """nbgrader_config.py loads in an environment without autograder (a student's, an instructor's server
    not set up for grading): its plain settings hold, and Autograde refuses in one line, never running
    students' code unsandboxed."""
    import sysconfig
    course = course_folder(tmp_path)
    done = subprocess.run([sys.executable, "-S", "-c", WITHOUT_GRADER, sysconfig.get_paths()["purelib"]],
                          cwd=course, capture_output=True, text=True, timeout=300,
                          env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    said = done.stdout + done.stderr
    assert "source_directory solutions" in done.stdout and "exit 1" in done.stdout, said
    errors = [line for line in said.splitlines() if "ERROR" in line or "Traceback" in line]
    assert len(errors) == 1 and "the course's grader (autograder) cannot be imported" in errors[0], said
    assert "python -m autograder grade --submissions submitted --out out" in errors[0]
    assert not (course / "gradebook.db").exists() and not (course / "autograded").exists()


@pytest.mark.slow   # waits for SQLite's 5 s busy timeout
def test_a_gradebook_that_refuses_writes_costs_one_line_not_a_traceback(tmp_path, first_master):
    """Another process holds the course's gradebook (a write transaction: Formgrader saving, a second grade):
    writing the results into the course stops with one line that names the assignment and what to do, and
    the results are returned for grades.csv as they are."""
    from traitlets.config import Config
    from autograder.grading.records import Unit, UnitResult

    course = course_folder(tmp_path, students=("ada",))
    shutil.copyfile(first_master / "gradebook.db", course / "gradebook.db")
    config = Config()
    config.CourseDirectory.root = str(course)
    unit = Unit(student="ada", assignment=A1, submissions=course / "submitted", work=tmp_path / "out" / "ada",
                master=first_master, master_hash="x", out=tmp_path / "out")
    result = UnitResult(student_id="ada", assignment=A1, raw_score=15.0, max_score=15.0, master_hash="x")
    said: list[str] = []
    holder = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        out = course_mod.record(course_mod.Course(root=course, config=config), [result], [unit], said.append)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert out == [result]
    assert len(said) == 1 and A1 in said[0] and "run the same command again" in said[0], said
