"""Results into the instructor's nbgrader course: when `grade` is run on a course's own submitted/
folder, each graded unit lands where nbgrader's own commands put theirs.

- the course's gradebook: the student, the submission (with its timestamp.txt) and every cell's
  grade, written by nbgrader's own preprocessors (SaveAutoGrades, then AssignLatePenalties with the
  course's late-submission configuration), so formgrader lists them and `nbgrader export` writes them;
- autograded/<student>/<assignment>/: the autograded notebooks, which formgrader shows for review;
- feedback/<student>/<assignment>/: the feedback pages (hidden tests' code hidden, as in OUT/feedback)
  with the submission's timestamp and secret, which `nbgrader release_feedback` needs.

Grading itself (isolation, limits, integrity) is untouched: units are graded in folders of their own
exactly as outside a course, and only their results are copied here afterwards. Each write goes
through nbgrader's Gradebook sessions and commits, as `nbgrader autograde` does while formgrader is
open. A unit the course already holds unchanged is not written again: manual grades given in
formgrader stay as they are, and a second run changes nothing.
"""
from __future__ import annotations

import os
import shutil
import stat
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Comment, Grade, Gradebook, InvalidEntry, MissingEntry, SubmittedNotebook
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SQLAlchemyError

from ...paths import ensure_tools_on_path, gradebook_url
from ..outputs.pagebox import late_box, with_banner
from ...authoring.course import Course
from ...authoring.release import assignments
from ..records import Unit, UnitResult

SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")  # what nbgrader carries from submitted/ onwards
SMALL_FILE_BYTES = 4096  # each of those is far smaller (a time, 128 hex digits of secret)


def submitted_assignments(course: Course, submissions: Path) -> list[str]:
    """The assignments any student has in the course's submitted folder."""
    return sorted({p.name for p in submissions.glob("*/*") if p.is_dir() and not p.name.startswith(".")})


def graded_assignments(course: Course, submissions: Path) -> Optional[list[str]]:
    """What `grade` grades in a course by default, the assignments its students have submitted (None: every
    assignment of solutions/); the course's Autograde builds the grader's folder for the same, so that the
    two share their results."""
    return [a for a in submitted_assignments(course, submissions) if a in assignments()] or None


# ---------- what a graded unit leaves (the one place that reads it: a remote backend can satisfy it)
def autograded_notebook(unit: Unit, notebook: str) -> Optional[NotebookNode]:
    """The unit's autograded notebook as nbgrader autograde left it in the unit's course folder;
    None when there is none (not submitted, unreadable, or the grading could not run)."""
    path = unit.autograded / notebook
    return nbformat.read(path, as_version=4) if path.is_file() else None


# ---------- into the course
def on_stderr(line: str) -> None:
    """A line for the instructor, on the command line (stderr)."""
    print(line, file=sys.stderr)


def record(course: Optional[Course], results: list[Optional[UnitResult]], units: list[Unit],
           say: Callable[[str], None] = on_stderr) -> list[Optional[UnitResult]]:
    """When the submissions are a course's submitted folder (`course`, from find_course), write every
    unit's results into that course and return the results with the course's due date, timestamp and
    late penalty; otherwise (None) return them unchanged. A unit the gradebook refuses is left out of
    it, with one line through `say` naming it and what to do; the others are written all the same."""
    if course is None:
        return results
    ensure_tools_on_path()
    with warnings.catch_warnings():
        # nbgrader's own submission code trips SQLAlchemy 2's autoflush warning; nothing is lost
        warnings.filterwarnings("ignore", message=".*not in session.*")
        return _record_all(course, results, units, say)


def _record_all(course: Course, results: list[Optional[UnitResult]], units: list[Unit],
                say: Callable[[str], None]) -> list[Optional[UnitResult]]:

    refused = (MissingEntry, InvalidEntry, SQLAlchemyError)
    out = []
    try:
        with Gradebook(course.db_url, course.course_id) as gb:   # creates the gradebook if the course has none
            for assignment in sorted({u.assignment for u in units}):
                master = next(u.master for u in units if u.assignment == assignment)
                _ensure_assignment(gb, master, assignment)
    except refused as err:
        say(f"nothing is written into the course's gradebook ({course.db_url}), which refused "
            f"{', '.join(sorted({u.assignment for u in units}))} ({type(err).__name__}: {_first_line(err)}); "
            "the grades are in grades.csv: run the same command again once nothing else writes the gradebook")
        return results
    for unit, result in zip(units, results):
        if result is not None and course.folder("submitted", unit.student, unit.assignment).is_dir():
            try:
                result = _record_unit(course, unit, result)
            except refused as err:
                say(f"{unit.student}'s {unit.assignment} is graded (grades.csv) but not written into the course's "
                    f"gradebook, which refused it ({type(err).__name__}: {_first_line(err)}): run the same command "
                    "again once nothing else writes the gradebook; it writes what is missing")
        out.append(result)
    return out


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [""])[0][:200]


def complete_submission(gb: Any, assignment: str, student: str) -> list[str]:
    """Give a submission every row nbgrader's add_submission gives one (a notebook per notebook of the
    assignment, a grade per graded cell, a comment per solution cell), where an earlier run left some out:
    an Autograde that failed before the course's gradebook knew the assignment's notebooks, or cells added
    to the assignment since. Nothing that exists is changed. Returns the notebooks completed."""

    sub = gb.find_submission(assignment, student)
    have = {nb.name: nb for nb in sub.notebooks}
    completed = []
    with gb.db.no_autoflush:   # the new rows are added once whole
        for notebook in sub.assignment.notebooks:
            nb = have.get(notebook.name) or SubmittedNotebook(notebook=notebook, assignment=sub)
            graded = {g.cell_id for g in nb.grades}
            commented = {c.cell_id for c in nb.comments}
            missing = [Grade(cell_id=c.id, notebook=nb) for c in notebook.grade_cells + notebook.task_cells
                       if c.id not in graded]
            missing += [Comment(cell_id=c.id, notebook=nb) for c in notebook.solution_cells + notebook.task_cells
                        if c.id not in commented]
            if missing or notebook.name not in have:
                gb.db.add_all([nb, *missing])   # SQLAlchemy 2 adds nothing to the session through a backref
                completed.append(notebook.name)
    if completed:
        gb.db.commit()
    return completed


def _ensure_assignment(gb: Any, master: Path, assignment: str) -> None:
    """The assignment's notebooks and cells, as generate_assignment recorded them in the grader's own
    gradebook, copied into the course's (its due date, if the instructor set one, is kept)."""

    gb.update_or_create_assignment(assignment)
    with Gradebook(gradebook_url(master)) as ref:
        for nb in ref.find_assignment(assignment).notebooks:
            gb.update_or_create_notebook(nb.name, assignment, kernelspec=nb.kernelspec)
            for c in nb.grade_cells:
                gb.update_or_create_grade_cell(c.name, nb.name, assignment, max_score=c.max_score,
                                               cell_type=c.cell_type)
            for c in nb.solution_cells:
                gb.update_or_create_solution_cell(c.name, nb.name, assignment)
            for c in nb.task_cells:
                gb.update_or_create_task_cell(c.name, nb.name, assignment, max_score=c.max_score,
                                              cell_type=c.cell_type)
            for c in nb.source_cells:
                gb.update_or_create_source_cell(c.name, nb.name, assignment, cell_type=c.cell_type,
                                                locked=c.locked, source=c.source, checksum=c.checksum)


def _record_unit(course: Course, unit: Unit, result: UnitResult) -> UnitResult:

    submitted = course.folder("submitted", unit.student, unit.assignment)
    autograded = course.folder("autograded", unit.student, unit.assignment)
    names = unit.notebooks()
    notebooks = {name: autograded_notebook(unit, name) for name in names}
    # one session of ours per unit; nbgrader's preprocessors open their own, so ours commits before each
    # (SQLite: no transaction of ours may hold the file) and re-reads after them
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            complete_submission(gb, unit.assignment, unit.student)
            known = True
        except MissingEntry:
            known = False
        if not (known and _same_files(autograded, submitted, notebooks)):
            _save_grades(gb, course, unit, submitted, autograded, notebooks)
        gb.db.commit()
        _assign_late_penalties(course, unit, notebooks)
        gb.db.expire_all()
        sub = gb.find_submission(unit.assignment, unit.student)
        result.timestamp = str(sub.timestamp or "")
        result.duedate = str(gb.find_assignment(unit.assignment).duedate or "")
        result.late_penalty = float(sub.late_submission_penalty or 0.0)
        box = late_box(unit.assignment, result.timestamp, str(sub.duedate or result.duedate), result.raw_score,
                       result.late_penalty, result.max_score)
        _copy_feedback(course, unit, submitted, names, box)
    return result


def _same_files(autograded: Path, submitted: Path, notebooks: dict[str, Optional[NotebookNode]]) -> bool:
    """Whether the course already holds exactly these autograded notebooks from this submission."""
    for name, nb in notebooks.items():
        path = autograded / name
        if (nb is None) != (not path.exists()) or (nb is not None and nbformat.reads(path.read_text(), 4) != nb):
            return False
    return all(_read(submitted / f) == _read(autograded / f) for f in SUBMISSION_FILES)


def _read(path: Path) -> Optional[bytes]:
    """A file nbgrader carries with a submission (SUBMISSION_FILES) or one of ours, read only if it is what
    those are, a small regular file (a submitted folder holds whatever was put there: a link out of it, a
    FIFO that never ends, a huge file); None otherwise, as for a missing one."""
    try:
        info = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > SMALL_FILE_BYTES:
        return None
    with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NOFOLLOW | os.O_NONBLOCK)) as fh:
        return fh.read(SMALL_FILE_BYTES + 1)[:SMALL_FILE_BYTES]


def _copy_small(names: tuple[str, ...], src: Path, dest: Path) -> None:
    for name in names:
        data = _read(src / name)
        if data is not None:
            (dest / name).write_bytes(data)


def _timestamp(submitted: Path) -> Optional[datetime]:
    """The submission's time from its timestamp.txt, as nbgrader reads it; None if none can be read."""
    text = (_read(submitted / "timestamp.txt") or b"").decode("utf-8", "replace").strip()
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


def _resources(course: Course, unit: Unit, name: str) -> dict:
    return {"nbgrader": {"notebook": name[:-len(".ipynb")], "assignment": unit.assignment,
                         "student": unit.student, "db_url": course.db_url}}


def _save_grades(gb: Any, course: Course, unit: Unit, submitted: Path, autograded: Path,
                 notebooks: dict[str, Optional[NotebookNode]]) -> None:
    """What `nbgrader autograde` writes for a submission, by nbgrader's own code: the student and the
    submission with its timestamp (Autograde.init_assignment), each cell's grade from the autograded
    notebook (SaveAutoGrades), zero for a notebook that could not be graded."""

    timestamp = _timestamp(submitted)
    gb.update_or_create_student(unit.student)
    if timestamp:
        gb.update_or_create_submission(unit.assignment, unit.student, timestamp=timestamp)
    else:
        gb.update_or_create_submission(unit.assignment, unit.student)
    gb.db.commit()
    if autograded.exists():
        shutil.rmtree(autograded)
    autograded.mkdir(parents=True)
    _copy_small(SUBMISSION_FILES, submitted, autograded)
    save = SaveAutoGrades(config=course.config)
    for name, nb in notebooks.items():
        if nb is None:  # as nbgrader does for a missing notebook
            gb.db.expire_all()
            for grade in gb.find_submission_notebook(name[:-len(".ipynb")], unit.assignment, unit.student).grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            gb.db.commit()
            continue
        save.preprocess(nb, _resources(course, unit, name))
        nbformat.write(nb, autograded / name)


def _assign_late_penalties(course: Course, unit: Unit, notebooks: dict[str, Optional[NotebookNode]]) -> None:
    """nbgrader's AssignLatePenalties with the course's configuration (its LateSubmissionPlugin, its
    due dates and extensions), on every run: a due date changed since the last one counts."""

    late = AssignLatePenalties(config=course.config)
    for name, nb in notebooks.items():
        late.preprocess(nb or nbformat.v4.new_notebook(), _resources(course, unit, name))


def _copy_feedback(course: Course, unit: Unit, submitted: Path, names: list[str], box: str = "") -> None:
    """The unit's feedback pages (OUT/feedback) where `nbgrader release_feedback` takes them, with
    `box` (the late penalty) on top."""
    dest = course.folder("feedback", unit.student, unit.assignment)
    dest.mkdir(parents=True, exist_ok=True)
    _copy_small(SUBMISSION_FILES, submitted, dest)
    for name in names:
        page = unit.feedback / name.replace(".ipynb", ".html")
        if not page.is_file():
            continue
        text = page.read_bytes() if not box else with_banner(page.read_text(), box).encode()
        old = dest / page.name
        if not old.is_file() or old.read_bytes() != text:
            (dest / page.name).write_bytes(text)
