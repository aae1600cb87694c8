"""A box at the top of a feedback page that tells the student something the page itself does not:
which attempt this was (the grading service), or the late penalty that the course's late rule took
(grade, on the copy nbgrader's release_feedback sends). A labelled region, dark text on white (AA)."""
from __future__ import annotations

from ...pages import render


def banner(lines: list[str], title: str) -> str:
    """The box (templates/feedback/box.html.j2): its title as a heading, each line a paragraph."""
    return render("feedback/box.html.j2", title=title, lines=lines)


def with_banner(page: str, box: str) -> str:
    """`page` (nbgrader's, or ours) with `box` just inside its <body> tag: a splice of two finished pages'
    text, no markup of its own (a template would have to take the whole page, student code and all, as safe)."""
    i = page.find("<body")
    if i < 0:
        return box + page
    j = page.find(">", i) + 1
    return page[:j] + box + page[j:]


def late_box(assignment: str, timestamp: str, duedate: str, raw_score: float, late_penalty: float,
             max_score: float) -> str:
    """What the course's late rule took, on top of a late submission's page ("" when it took nothing): the
    page itself shows what the code earned before it. The same box whether `grade` wrote the page into the
    course (orchestrate/course.py) or Generate Feedback wrote it again (pipeline/preprocessors.py LateBox)."""
    if late_penalty <= 0:
        return ""
    title = f"{assignment}: late submission"
    after = max(0.0, raw_score - late_penalty)
    return banner([f"Submitted {timestamp} UTC, after the due date ({duedate} UTC, with any extension of yours).",
                   f"The course's late rule takes {late_penalty:g} point(s): your score is {after:g} of "
                   f"{max_score:g}. The tests below show what your code earned before it."], title)
