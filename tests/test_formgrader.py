"""The instructor's review: formgrader, opened in Debian's Chromium on a course `grade` has just
graded, lists each student's score as OUT/grades.csv has it.

A small course (notebook 01, alice finished and bob partly right, their submissions where `nbgrader
collect` leaves them) is built with the round-trip test's helpers and graded by `python -m autograder
grade`; JupyterLab is started in the course root (its nbgrader_config.py names the course) and the
page opened is formgrader's Manage Students, the one an instructor reads the overall scores on.
Screenshot: artifacts/screenshots/formgrader-manage-students.png (README picture: tests/browser/readme_images.py).
"""
from __future__ import annotations

import datetime

import nbformat
import pytest

from autograder.paths import NOTEBOOKS, ROOT
from tests.browser.lab import CHROMIUM, launch_chromium, start_lab
from tests.conftest import seeded
from tests.test_roundtrip import A1, grade, make_course, table, work

pytestmark = pytest.mark.slow

SHOTS = ROOT / "artifacts" / "screenshots"
STUDENTS = ("alice", "bob")  # finished, partly right (the sample class's mistakes)


def js_number(x: float) -> str:
    """How formgrader writes a score (roundToPrecision, then JavaScript's number to text): 15, 7.5."""
    return f"{round(x, 2):g}"


@pytest.fixture
def graded_course(tmp_path, first_master):
    """(course root, OUT/grades.csv rows) after `grade` on the course's submitted/ folder."""
    course, instructor = make_course(tmp_path)
    released = nbformat.read(NOTEBOOKS / A1 / f"{A1}.ipynb", as_version=4)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    for s in STUDENTS:  # as `nbgrader collect` leaves a submission: the notebook and its timestamp
        folder = course / "submitted" / s / A1
        folder.mkdir(parents=True)
        nbformat.write(work(s, A1, released), folder / f"{A1}.ipynb")
        (folder / "timestamp.txt").write_text(stamp)
    seeded(course / "OUT", first_master)
    assert "into the nbgrader course" in grade(course, instructor)
    return course, table(course / "OUT" / "grades.csv")


def test_formgrader_lists_the_scores_grade_wrote(graded_course, tmp_path):
    course, rows = graded_course
    expected = {r["student_id"]: f"{js_number(float(r['score']))} / {js_number(float(r['max_score']))}"
                for r in rows}
    assert sorted(expected) == list(STUDENTS) and expected["alice"] != expected["bob"]  # the two differ
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    lab = start_lab(course, tmp_path / "lab-state")
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, tmp_path / "chromium-profile")
            try:
                page = browser.new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{lab.url}formgrader/manage_students?token={lab.token}")
                rows_shown = page.locator("table tbody tr", has=page.locator("td.id"))
                expect(rows_shown).to_have_count(len(STUDENTS))
                shown = {rows_shown.nth(k).locator("td.id").inner_text().strip():
                         rows_shown.nth(k).locator("td.score").inner_text().strip()
                         for k in range(len(STUDENTS))}
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SHOTS / "formgrader-manage-students.png")
            finally:
                browser.close()
    finally:
        lab.stop()
    assert shown == expected, f"formgrader shows {shown}, OUT/grades.csv says {expected}"
