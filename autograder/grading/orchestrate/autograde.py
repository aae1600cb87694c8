"""nbgrader's Autograde handed to the grader: Formgrader's Autograde button and `nbgrader autograde`, run
where the course's nbgrader_config.py is loaded, grade each submission as `python -m autograder grade`
does (the same units, sandbox, caps, verdicts and feedback) and write the course as `grade` writes it.

nbgrader's own Autograde would run each submitted notebook in a kernel of the instructor's, with the
instructor's rights, outside any sandbox, after reading the submission's files in the instructor's
process (following links, waiting on FIFOs). Its converter builds its exporter once, after it has listed
the submissions (their folder names, nothing read) and before it touches any of them. The course's
nbgrader_config.py names `GraderAutograde` as that exporter, so the grader takes the listed submissions
over at that point:

- it refuses, with one line that names the safe way, where students' code cannot run isolated here (no
  sandbox, no memory and process caps), or where the course is not laid out as `grade` reads it;
- it grades them with `grade`'s own batch (orchestrate/batch.py) into the course's grading outputs
  (`GraderAutograde.out`, the OUT of `grade --out`: one set of results, whichever button graded them),
  and orchestrate/course.py writes each into the course (gradebook, autograded/, feedback/);
- it leaves nbgrader's converter nothing to do (its list of submissions is emptied first): nbgrader
  itself reads no submitted file, writes no row and runs no cell.

What the instructor's process reads of a submission is then what `grade` reads: the grading workers copy
the submitted folder's regular files (no link, no FIFO, none over 20 MB; pipeline/unit.py), and the course
writing reads timestamp.txt and submission_secret.txt only as small regular files (course.py _read).
"""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path
from typing import Any, Iterator

from nbconvert.exporters import NotebookExporter
from nbgrader.converters import Autograde, NbGraderException
from traitlets import Unicode

from ...authoring.release import assignments
from ..api import Grader, KernelPool, UnitResult, grade_class, grader_folder
from ..isolation.readiness import isolation_here
from ...authoring.course import Course
from .course import graded_assignments


class GraderAutograde(NotebookExporter):
    """nbgrader's Autograde by the grader (see the module's docstring); configured on this class in the
    course's nbgrader_config.py. Its jobs and limits are the course's `Grader` options (c.Grader.memory ...), as
    `grade` reads them; the per-cell time limit is nbgrader's own `Execute.timeout` unless c.Grader.timeout is set."""

    out = Unicode("out", help="the grading outputs' folder, relative to the course root: the OUT of "
                              "`python -m autograder grade --out` (units' results, grades.csv, integrity.csv, "
                              "feedback/), shared with it").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(self.parent, Autograde):   # the course's config names this class there only
            self.take_over(self.parent)

    def refuse(self, why: str) -> None:
        """One line in nbgrader's log (Formgrader's message, the command's output), and nbgrader's own
        way out (`nbgrader autograde` exits 1; Formgrader reports the error)."""
        self.log.error(why)
        raise NbGraderException(why)

    def take_over(self, converter: Autograde) -> None:
        units, converter.assignments = submissions_listed(converter), {}
        cd = converter.coursedir
        root = Path(cd.root)
        submissions = root / cd.submitted_directory
        safe = (f"Grade in {root} as `grade` does: `python -m autograder grade --submissions "
                f"{cd.submitted_directory} --out {self.out}` (as root where only root can hold the caps; "
                "README, 'A course run with nbgrader').")
        mechanism, why = isolation_here()
        if not mechanism:
            self.refuse(f"Autograde refuses to run students' code here: {why}. {safe}")
        unknown = sorted({a for _, a in units} - set(assignments()))
        if unknown:
            self.refuse(f"Autograde refuses: {', '.join(unknown)} is not an assignment of the grader's solutions/. {safe}")
        if any(Path(cd.format_path(cd.submitted_directory, s, a)) != submissions / s / a for s, a in units):
            self.refuse(f"Autograde refuses: this course's CourseDirectory.directory_structure is not "
                        f"nbgrader's default, which the grader reads. {safe}")
        if cd.notebook_id != "*":
            self.log.warning("every notebook of the assignment is graded (--notebook %s is not honoured)",
                             cd.notebook_id)
        config = deepcopy(self.config)
        config.CourseDirectory.root = str(root)
        course = Course(root=root, config=config)
        grader = Grader(config=self.config)   # the course's c.Grader options, as `grade` reads them
        # what Autograde cannot be told otherwise: students' code in the sandbox, hidden tests' code hidden
        grader.sandbox, grader.show_hidden = True, False
        if "timeout" in self.config.Execute and "timeout" not in self.config.Grader:
            # the course's per-cell limit, as for nbgrader's own Execute
            grader.timeout = int(self.config.Execute.timeout)
        only = sorted(set(graded_assignments(course, submissions) or []) | {a for _, a in units}) or None
        refused: list[str] = []

        def say(line: str) -> None:   # the course's gradebook refused a unit (course.py record)
            self.log.error(line)
            refused.append(line)

        with muted(self.log):   # nbgrader's generate_assignment, building the grader's folder, logs into this app
            grader_folder(root / self.out, only)
        graded = grade_class(submissions, root / self.out, grader, mechanism, course=course, assignments=only or [],
                             quiet=True, units=frozenset(units), regrade=converter.force, say=say,
                             kernels_ahead=KernelPool(config=self.config).size)   # grade's fast path too
        results = {(r.student_id, r.assignment): r for r in graded}
        failed = []
        for student, assignment in sorted(units):
            result = results.get((student, assignment))
            if result is None or result.retry:
                failed.append(f"{student}/{assignment}")
            else:
                self.log.info("graded %s/%s: %s", student, assignment, summary(result))
        if failed:
            self.refuse(f"The grading machine failed on {', '.join(failed)} (not the students' code); see "
                        f"{root / self.out / '.grader' / 'logs'}. Autograde again: it grades them again.")
        if refused:
            raise NbGraderException(refused[0])


def submissions_listed(converter: Autograde) -> list[tuple[str, str]]:
    """(student, assignment) of each submission nbgrader's converter listed (its folder names), as nbgrader
    reads them from the course's submitted folder's layout; students excluded by the course are left out."""
    cd = converter.coursedir
    pattern = cd.format_path(cd.submitted_directory, "(?P<student_id>.*)", "(?P<assignment_id>.*)", escape=True)
    excluded = set(cd.student_id_exclude.split(",")) if cd.student_id_exclude else set()
    found = []
    for folder in converter.assignments:
        m = re.fullmatch(pattern, folder)
        if m and m["student_id"] not in excluded:
            found.append((m["student_id"], m["assignment_id"]))
    return found


@contextmanager
def muted(log: logging.Logger) -> Iterator[None]:
    was, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = was


def summary(result: UnitResult) -> str:
    """A unit's outcome in one line of nbgrader's log."""
    line = f"{result.raw_score:g} of {result.max_score:g}"
    if result.late_penalty:
        line += f", {result.late_penalty:g} taken by the late rule"
    notes = sorted(set(result.notes.values()))
    findings = sorted({f.rule for f in result.findings})
    if notes:
        line += f"; {'; '.join(notes)}"
    if findings:
        line += f" (for review in integrity.csv: {', '.join(findings)})"
    return line
