"""The `grade` command: `python -m autograder grade --submissions DIR --out OUT [--jobs N] ...`. Its options
are `Grader`'s (grading/settings.py), read from the course's nbgrader_config.py when DIR is a course's
submitted folder, and from the command line."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from traitlets import Unicode

from ..authoring.course import Course, find_course
from ..launcher import PROG, Command
from ..lms.cli import after_grading
from .api import ALIASES, FLAGS, Grader, KernelPool, grade_class, score_table
from .orchestrate.course import graded_assignments


class GradeApp(Command):
    """Grade DIR/<student_id>/<assignment>/<notebook>.ipynb (nbgrader's submitted layout) into OUT:
    grades.csv, integrity.csv and feedback/<student_id>/<assignment>/<notebook>.html. In a course folder
    (DIR is its submitted/), also into the course's gradebook, autograded/ and feedback/."""
    name = f"{PROG} grade"
    submissions = Unicode("", help="DIR: the submissions, DIR/<student_id>/<assignment>/<notebook>.ipynb"
                          ).tag(config=True)
    out = Unicode("", help="OUT: grades.csv, integrity.csv, feedback/ and the grader's own folder .grader/; "
                           "running the same command again grades only what is missing").tag(config=True)
    classes = [Grader, KernelPool]
    aliases = {**ALIASES, "submissions": "GradeApp.submissions", "out": "GradeApp.out"}
    flags = {**FLAGS, "show-hidden": ({"Grader": {"show_hidden": True}}, "show hidden tests' code in the "
                                                                          "feedback (Grader.show_hidden)")}

    def start(self) -> int:
        self.require(submissions=self.submissions, out=self.out)
        submissions, out = Path(self.submissions), Path(self.out)
        if not submissions.is_dir():
            print(f"no folder {submissions}", file=sys.stderr)
            return 2
        course = find_course(submissions)
        grader = self.configured(Grader, course.config if course is not None else None)
        mechanism = grader.isolation("grade")
        if mechanism is False:
            return 2
        kernels_ahead = self.configured(KernelPool, course.config if course is not None else None).size
        return grade(submissions, out, grader, mechanism, course, kernels_ahead)


def grade(submissions: Path, out: Path, grader: Grader, mechanism: Optional[str], course: Optional[Course],
          kernels_ahead: int = KernelPool().size) -> int:
    """Grade with these options; `mechanism` holds the caps (caps_or_refusal), `course` the submissions',
    `kernels_ahead` how many kernels each grading process keeps started (KernelPool.size)."""
    only = grader.assignments or None
    if course is not None and not only:  # a course grades what its students submitted
        only = graded_assignments(course, submissions)
    try:
        results = grade_class(submissions, out, grader, mechanism or None, course=course, kernels_ahead=kernels_ahead,
                              assignments=only)
    except KeyboardInterrupt:
        print("\ninterrupted: " + ("the cluster's tasks are cancelled" if grader.scheduler else
                                   "its grading processes are stopped and nothing of them is left")
              + "; run the same command again to grade what is missing", file=sys.stderr)
        return 130
    print(score_table(results))
    failed = [r for r in results if r.retry]
    if failed:
        tried = [r for r in results if r.graded or r in failed]
        logs = "the workers' logs" if grader.scheduler else out / ".grader" / "logs"
        print(f"\n{len(failed)} of {len(tried)} submitted notebooks could not be run by the grader "
              f"(rule grading_error in integrity.csv; logs in {logs}); "
              "the next run of the same command tries them again.", file=sys.stderr)
        if len(failed) == len(tried):
            print("None could: this is a problem of the grading machine, not of the students. "
                  "Fix it and run the same command again: it grades those submissions again.", file=sys.stderr)
    print(f"\nwrote {out / 'grades.csv'}, {out / 'integrity.csv'} and {out / 'feedback'}/")
    if course is not None:
        print(f"and into the nbgrader course {course.root}: its gradebook ({course.db_url}), autograded/ "
              "and feedback/ (nbgrader export, formgrader and release_feedback read them)")
        after_grading(course)   # an LTI-linked course's scores to the LMS gradebook (README, "From an LMS")
    return 0
