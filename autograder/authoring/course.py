"""The instructor's nbgrader course folder, as nbgrader itself reads it: its configuration (the Jupyter
config path, then the folder's nbgrader_config.py, then the course root's) and its CourseDirectory.
Grading, the feedback service, the release's student README and the LMS link all read a course
through here."""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator, Optional


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder, as its nbgrader_config.py describes it."""
    root: Path
    config: Any          # traitlets Config, as nbgrader's own commands load it

    @cached_property
    def coursedir(self) -> Any:
        """nbgrader's CourseDirectory of the course, built once."""
        from nbgrader.coursedir import CourseDirectory  # here: the launcher imports this module; nbgrader costs 1 s
        return CourseDirectory(config=self.config)

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def folder(self, step: str, student: str, assignment: str) -> Path:
        """submitted/, autograded/ or feedback/ of one student's assignment, as nbgrader names it."""
        cd = self.coursedir
        return Path(cd.format_path(getattr(cd, f"{step}_directory"), student, assignment))


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def load_course(folder: Path) -> Course:
    """The configuration `nbgrader` would use when run in `folder` (the Jupyter config path, then the
    folder's nbgrader_config.py, then the course root's)."""
    from nbgrader.apps.baseapp import NbGrader  # here: as in Course.coursedir
    with _cwd(folder):
        app = NbGrader()
        app.initialize([])
        config = app.config
        root = Path(app.coursedir.root).resolve()
    app.clear_instance()
    return Course(root=root, config=config)


def find_course(submissions: Path, cwd: Optional[Path] = None) -> Optional[Course]:
    """The course whose own submitted folder `submissions` is: the course of the current folder
    (when it holds an nbgrader_config.py), else that of the submissions' parent folder; None if
    `submissions` is just a folder of submissions."""
    submissions = submissions.resolve()
    for folder in dict.fromkeys([(cwd or Path.cwd()).resolve(), submissions.parent]):
        if not (folder / "nbgrader_config.py").is_file():
            continue
        course = load_course(folder)
        if (course.root / course.coursedir.submitted_directory).resolve() == submissions:
            return course
    return None
