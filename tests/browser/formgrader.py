"""What an instructor does in nbgrader 0.9's Formgrader (Manage Assignments, Manage Submissions), through
Playwright: each button opens a dialog with nbgrader's log of what it did; read it and close it.
Selectors are Formgrader's own (its table cells' classes)."""
from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def modal(page: Page, timeout: float = 300_000) -> str:
    """The text of the dialog a button opened, once it is shown; the dialog closed."""
    dialog = page.locator(".modal.in")
    expect(dialog).to_be_visible(timeout=timeout)
    text = dialog.inner_text()
    dialog.locator(".modal-footer button").first.click()
    expect(page.locator(".modal.in")).to_have_count(0)
    return text


def press(page: Page, button: Locator) -> str:
    """Click one of Formgrader's buttons (a link in a table cell); the dialog's text."""
    button.click()
    return modal(page)


def assignment_row(page: Page, assignment: str) -> Locator:
    """Manage Assignments: the assignment's row."""
    return page.locator("tr", has=page.locator("td.name", has_text=assignment))


def submission_row(page: Page, student: str) -> Locator:
    """Manage Submissions of an assignment: the student's row."""
    return page.locator("tr", has=page.locator("td.student-id", has_text=student))
