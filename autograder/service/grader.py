"""Grading one submission for the service, and releasing its page through nbgrader's feedback channel.

Grading is `grade`'s own unit pipeline, through the grader's public API (grading/api.py `Session`: a
grading process per grading thread, or a Dask cluster): same sandbox, caps, limits and checks. Each
submission is a unit in the service's scratch folder (`<course>/.autograder-service/`), whose
gradebook is a copy of the grader's own: the course's gradebook is never written.

Feedback goes where `nbgrader release_feedback` puts it: nbgrader's own ExchangeReleaseFeedback
copies `feedback/<student>/<assignment>/<notebook>.html` of a scratch course folder, holding this one
submission's timestamp.txt and submission_secret.txt, to `<exchange>/<course>/feedback/<md5(secret +
notebook)>.html`. Only the student's own copy of the submission (nbgrader's cache) holds the secret,
so `nbgrader fetch_feedback` finds it for that student alone.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import nbformat
from markupsafe import Markup
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory

from ..authoring.cells import grade_id, is_test_cell
from ..grading.api import Session, Unit, UnitResult, with_banner
from ..pages import render
from ..authoring.testcells import HIDDEN_RE
from .inbound import KEYS



@dataclass
class Setup:
    """Everything that stays the same from one submission to the next."""
    home: Path                  # the service's scratch folder
    config: Any                 # the course's nbgrader configuration
    course_id: str
    exchange: Path
    master: Path                # the grader's course folder (the session's): its release/ names what is graded
    session: Optional[Session] = None   # the grader, prepared once (grading/api.py)
    hidden: set[str] = field(default_factory=set)    # "<notebook>:<grade_id>" of hidden tests

    def folder(self, kind: str, seq: int) -> Path:
        return self.home / kind / f"{seq:07d}"

    def unit(self, seq: int, student: str, assignment: str) -> Unit:
        assert self.session is not None, "a service that grades has a session"
        return self.session.unit(student, assignment, self.folder("submissions", seq), self.folder("units", seq),
                                 self.folder("out", seq))


def hidden_tests(master: Path) -> set[str]:
    """The hidden tests of every assignment, read from the grader's copy of the solutions."""
    found = set()
    for path in (master / "source").glob("*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        found |= {f"{path.stem}:{grade_id(c)}" for c in nb.cells if is_test_cell(c) and HIDDEN_RE.search(c.source)}
    return found


def tidy(unit: Unit) -> None:
    """After the release: the unit's course folder (a gradebook copy, the autograded notebook) and its
    pages go; its result.json and the kept submission stay (about 100 kB per submission)."""
    shutil.rmtree(unit.work / "course", ignore_errors=True)
    shutil.rmtree(unit.out, ignore_errors=True)


# ---------- pages
def standalone(title: str, box: str, template: str = "feedback/page.html.j2", **context: Any) -> str:
    """A page of the service's own (templates/feedback/): `title`, then `box`, the attempt's box as
    pagebox.banner rendered it (its text escaped there, so it goes in as it is), then `template`'s body."""
    return render(template, title=title, box=Markup(box), **context)


def not_in_assignment_page(title: str, box: str) -> str:
    return standalone(title, box, "feedback/not_in_assignment.html.j2")


def withheld_page(result: UnitResult, notebook: str, hidden: set[str], title: str, box: str) -> str:
    """Visible tests' verdicts only; hidden ones counted, their results kept for after the deadline."""
    stem = notebook.removesuffix(".ipynb")
    rows, kept = [], 0
    for key, test in sorted(result.tests.items()):
        nb, _, gid = key.partition(":")
        if nb != stem:
            continue
        if key in hidden:
            kept += 1
            continue
        verdict = "passed" if test.score >= test.max_score else ("partly passed" if test.score else "failed")
        rows.append((gid, test, verdict))
    return standalone(title, box, "feedback/visible_tests.html.j2", rows=rows, kept=kept)


def submitted_notebooks(kept: Path) -> list[str]:
    """The notebook ids `nbgrader fetch_feedback` will look for: those in the student's submission."""
    return sorted(p.name for p in kept.glob("*.ipynb"))


def graded_pages(setup: Setup, unit: Unit, result: UnitResult, kept: Path, title: str, box: str,
                 withheld: bool) -> dict[str, str]:
    """One page per submitted notebook: the unit's feedback page (a renamed notebook gets the page of
    the notebook it was graded as) with the attempt's box on top."""
    made = unit.out / "feedback" / unit.student / unit.assignment
    expected = sorted(p.stem for p in made.glob("*.html"))
    pages = {}
    for name in submitted_notebooks(kept) or [f"{e}.ipynb" for e in expected]:
        stem = name.removesuffix(".ipynb")
        graded_as = stem if stem in expected else (expected[0] if len(expected) == 1 else None)
        if graded_as is None:
            pages[stem] = not_in_assignment_page(title, box)
        elif withheld:
            pages[stem] = withheld_page(result, f"{graded_as}.ipynb", setup.hidden, title, box)
        else:
            pages[stem] = with_banner((made / f"{graded_as}.html").read_text(), box)
    return pages


def notice_pages(notebooks: list[str], title: str, box: str) -> dict[str, str]:
    """The same page for each notebook `nbgrader fetch_feedback` will look for."""
    return {name.removesuffix(".ipynb"): standalone(title, box) for name in notebooks}


def feedback_folder_stays_instructors(setup: Setup) -> bool:
    """Whether this service runs as another user (root on a hub) than the owner of `<exchange>/<course>`
    (the instructor who released the assignments); if so, `<exchange>/<course>/feedback` is made or
    given back to that owner, as nbgrader's own release_feedback needs it."""
    course = setup.exchange / setup.course_id
    owner = course.stat()
    if owner.st_uid == os.geteuid():
        return False
    folder = course / "feedback"
    if not folder.is_dir():
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)   # nbgrader's mode for it: students enter, and read only pages they can name
    if folder.stat().st_uid != owner.st_uid:
        os.chown(folder, owner.st_uid, owner.st_gid)
    return True


def release(setup: Setup, seq: int, student: str, assignment: str, keys: Path, pages: dict[str, str]) -> None:
    """The pages into the exchange by nbgrader's own ExchangeReleaseFeedback, keyed by this
    submission's secret (a later release for the same submission replaces the page). `keys` holds the
    service's own timestamp.txt and submission_secret.txt of it (inbound.KEYS, checked when taken)."""
    root = setup.folder("release", seq)
    folder = root / "feedback" / student / assignment
    if root.exists():
        shutil.rmtree(root)
    folder.mkdir(parents=True)
    for f in KEYS:
        shutil.copyfile(keys / f, folder / f)
    for stem, page in pages.items():
        (folder / f"{stem}.html").write_text(page)
    coursedir = CourseDirectory(config=setup.config)
    # nbgrader refuses a feedback folder its user does not own; the folder stays the instructor's
    # (their own release_feedback needs that), and the service, run as root, writes into it anyway
    coursedir.groupshared = feedback_folder_stays_instructors(setup)
    coursedir.root = str(root)
    coursedir.feedback_directory = "feedback"
    coursedir.course_id = setup.course_id
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    factory = ExchangeFactory(config=setup.config)
    app = factory.ReleaseFeedback(coursedir=coursedir, authenticator=None, config=setup.config)
    app.root = str(setup.exchange)
    app.start()
    shutil.rmtree(root)
