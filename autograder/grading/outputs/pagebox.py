"""A box at the top of a feedback page that tells the student something the page itself does not:
which attempt this was (the grading service), or the late penalty that the course's late rule took
(grade, on the copy nbgrader's release_feedback sends). A labelled region, dark text on white (AA)."""
from __future__ import annotations

import html

STYLE = ("<style>.attempt{border:3px solid #1a4f8b;background:#fff;color:#111;padding:0.8em 1.2em;"
         "margin:1em auto;max-width:60em;font:16px/1.5 sans-serif}.attempt h2{margin-top:0;color:#1a4f8b}</style>")


def banner(lines: list[str], title: str) -> str:
    """The box: its title as a heading, each line a paragraph."""
    items = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return (f"{STYLE}<section class='attempt' role='region' aria-labelledby='attempt-title'>"
            f"<h2 id='attempt-title'>{html.escape(title)}</h2>{items}</section>")


def with_banner(page: str, box: str) -> str:
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
