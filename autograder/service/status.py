"""The grading service's page for the instructor: `autograder-service.html` beside the service's state
(in the course folder, readable by the instructor without root), written from the Jinja2 template
templates/service/status.html.j2 whenever what it shows changes. It shows the queue (each waiting
submission's student, place, wait so far and expected feedback: queue.py) and names every inbound entry
that was not graded, with why; what else the instructor should see of the service is one more field
here and one more block there."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..pages import render as render_page
from .queue import Waiting

PAGE = "autograder-service.html"
SHOWN = 200   # bad entries listed at most (newest first); the heading counts them all


@dataclass(frozen=True)
class BadEntry:
    """An inbound entry the service did not grade."""
    name: str
    owner: str
    why: str
    seen: str      # when the service found it (UTC, as the log writes it)


@dataclass(frozen=True)
class StatusView:
    """What the page shows."""
    course_id: str
    inbound: str
    updated: str
    counts: tuple[tuple[str, int], ...] = ()   # submissions by state
    waiting: tuple[Waiting, ...] = ()          # the queue, in the order it is graded
    grading: int = 0                           # submissions being graded
    jobs: int = 1                              # grading jobs
    bad: tuple[BadEntry, ...] = ()             # newest first
    bad_shown: int = SHOWN
    plus_names: tuple[str, ...] = ()           # students with '+' in their name (nbgrader's fetch_feedback fails them)


def render(view: StatusView) -> str:
    return render_page("service/status.html.j2", view=view)


def write(folder: Path, view: StatusView) -> Path:
    """The page into `folder`, replaced at once (a reader never sees half of it), for the folder's owner
    alone, whoever the service runs as: it names inbound folders, whose random names are what keeps one
    student from writing into another's submission."""
    fd, tmp = tempfile.mkstemp(prefix=".autograder-service-", suffix=".html", dir=folder)   # mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(render(view))
        owner = folder.stat().st_uid
        if owner != os.geteuid():   # the service run as root in the instructor's course
            os.chown(tmp, owner, -1)
        os.replace(tmp, folder / PAGE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / PAGE
