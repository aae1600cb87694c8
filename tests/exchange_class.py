"""An nbgrader course with a real exchange, and students who fetch, submit and fetch feedback with
nbgrader's own commands (`nbgrader submit --student ID`: the student id is the Unix user's name
unless CourseDirectory.student_id is given). Used by tests/test_service.py and bench/service.py."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import nbformat

from autograder.paths import COURSE_ID, NOTEBOOKS, child_env
from autograder.authoring.variants import filled_student_notebook, solution_sources


def make_course(root: Path, policy: str = "", duedate: Optional[str] = None,
                assignment: str = "01_conv_forward") -> tuple[Path, Path]:
    """(course folder, exchange root): the course's release is the checkout's notebooks/; the
    assignment is released into the exchange by `nbgrader release_assignment`."""
    course, exchange = root / "course", root / "exchange"
    course.mkdir(parents=True)
    exchange.mkdir()
    os.chmod(exchange, 0o777)
    (course / "notebooks").symlink_to(NOTEBOOKS)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        "c.CourseDirectory.release_directory = 'notebooks'\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.FeedbackService.check_owner = False   # one Unix account submits for every student here\n"
        "c.FeedbackService.poll_seconds = 0.1\n" + policy)
    add_assignment(course, assignment, duedate)
    app(course, "release_assignment", assignment)
    return course, exchange


def add_assignment(course: Path, assignment: str, duedate: Optional[str] = None) -> None:
    """What `nbgrader db assignment add A [--duedate=D]` does, through the same Gradebook call."""
    from nbgrader.api import Gradebook
    os.environ["PATH"] = serve_env()["PATH"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        gb.update_or_create_assignment(assignment, **({"duedate": duedate} if duedate else {}))


def nbgrader(cwd: Path, *args: str) -> str:
    """The instructor's `nbgrader ARGS`, the command itself, run in `cwd`."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          env=serve_env())
    if done.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def app(cwd: Path, command: str, *args: str) -> None:
    """`nbgrader COMMAND ARGS` (release_assignment, collect, fetch_assignment, submit, fetch_feedback):
    nbgrader's own application, run in this process as the command runs it (configuration read from
    `cwd`), without the command's 4 s of start-up, so that a benchmark can submit as fast as a class."""
    from nbgrader.apps.collectapp import CollectApp
    from nbgrader.apps.fetchassignmentapp import FetchAssignmentApp
    from nbgrader.apps.fetchfeedbackapp import FetchFeedbackApp
    from nbgrader.apps.releaseassignmentapp import ReleaseAssignmentApp
    from nbgrader.apps.submitapp import SubmitApp

    App = {"fetch_assignment": FetchAssignmentApp, "submit": SubmitApp, "fetch_feedback": FetchFeedbackApp,
           "release_assignment": ReleaseAssignmentApp, "collect": CollectApp}[command]
    os.environ["PATH"] = serve_env()["PATH"]          # nbgrader calls alembic from PATH
    old = os.getcwd()
    os.chdir(cwd)
    try:
        app = App()
        app.log.setLevel("WARNING")
        app.initialize(list(args))
        app.start()
    finally:
        App.clear_instance()
        os.chdir(old)


class Student:
    """One student's home: their assignments folder and nbgrader cache."""

    def __init__(self, root: Path, student_id: str, exchange: Path):
        self.id, self.home, self.exchange = student_id, root / "students" / student_id, exchange
        self.home.mkdir(parents=True, exist_ok=True)

    def args(self) -> list[str]:
        return [f"--course={COURSE_ID}", f"--Exchange.root={self.exchange}", f"--student={self.id}",
                f"--Exchange.cache={self.home / '.cache'}", f"--Exchange.assignment_dir={self.home}"]

    def run(self, command: str, *args: str) -> None:
        app(self.home, command, *args, *self.args())

    def fetch(self, assignment: str = "01_conv_forward") -> None:
        self.run("fetch_assignment", assignment)

    def write(self, assignment: str = "01_conv_forward", sources: Optional[dict[str, str]] = None,
              text: Optional[str] = None) -> Path:
        """The student's notebook: the reference solution (default), these solution cells, or raw text."""
        path = next((self.home / assignment).glob("*.ipynb"))
        if text is None:
            released = nbformat.read(NOTEBOOKS / assignment / path.name, as_version=4)
            text = nbformat.writes(filled_student_notebook(released, sources or solution_sources(assignment)))
        path.write_text(text)
        return path

    def submit(self, assignment: str = "01_conv_forward") -> None:
        self.run("submit", assignment)

    def fetch_feedback(self, assignment: str = "01_conv_forward") -> dict[str, str]:
        """timestamp folder -> the text of its feedback page(s), as the student now has them."""
        self.run("fetch_feedback", assignment)
        folder = self.home / assignment / "feedback"
        return {d.name: "\n".join(p.read_text() for p in sorted(d.glob("*.html")))
                for d in sorted(folder.iterdir())} if folder.is_dir() else {}


def serve_command(course: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "serve", "--course", str(course), *extra]


def serve_env() -> dict[str, str]:
    return child_env(PYTHONUNBUFFERED="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


__all__ = ["make_course", "Student", "app", "serve_command", "serve_env"]
