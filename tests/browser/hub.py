"""What a person does on the course's JupyterHub, through Playwright in Debian's Chromium: log in on the
hub's login page, open nbgrader's Assignments tab (Nbgrader > Assignment List), fetch, submit, fetch
feedback. Selectors are the nbgrader 0.9 JupyterLab extension's own (ids of its lists, button texts).
"""
from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page

RELEASED = "#released_assignments_list"
FETCHED = "#fetched_assignments_list"
SUBMITTED = "#submitted_assignments_list"


def log_in(page: Page, hub_url: str, user: str, password: str) -> None:
    """The hub's login page, then JupyterLab of that account once its server has started."""
    page.goto(f"{hub_url}hub/login")
    page.fill("input#username_input", user)
    page.fill("input#password_input", password)
    page.click("#login_submit")
    page.wait_for_selector(".jp-LabShell", timeout=240_000)
    page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader", timeout=60_000)


def open_assignments(page: Page) -> Locator:
    """Nbgrader > Assignment List: the Assignments tab (its panel)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-content .lm-Menu-item:visible",
                 has=page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Assignment List$"))).click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.locator("#assignments").wait_for()
    return panel


def row(panel: Locator, section: str, assignment: str) -> Locator:
    """The list item of an assignment in one of the tab's sections (RELEASED, FETCHED, SUBMITTED)."""
    return panel.locator(f"{section} .list_item", has=panel.page.locator(".item_name", has_text=assignment)).first


def refresh(panel: Locator) -> None:
    panel.locator("#refresh_assignments_list").click()
    panel.page.wait_for_timeout(500)


def fetch(panel: Locator, assignment: str) -> None:
    row(panel, RELEASED, assignment).locator("button", has_text="Fetch").click()
    row(panel, FETCHED, assignment).wait_for(timeout=60_000)


def submit(panel: Locator, assignment: str) -> None:
    """Submit in the Downloaded section; returns once the Submitted section lists one more submission.
    The list is loaded afresh first: a click on a row the extension is still redrawing is lost."""
    refresh(panel)
    button = row(panel, FETCHED, assignment).locator("button", has_text="Submit")
    button.wait_for()
    before = panel.locator(f"{SUBMITTED} .list_item").count()
    button.click()
    panel.page.wait_for_function(
        f"n => document.querySelectorAll('{SUBMITTED} .list_item').length > n", arg=before, timeout=120_000)


def submission(panel: Locator, timestamp: str) -> Locator:
    """One submission's line under the assignment in the Submitted section (its timestamp names it)."""
    return panel.locator(f"{SUBMITTED} .nested_list_item", has_text=timestamp).first


def fetch_feedback(panel: Locator, assignment: str, timestamp: str, timeout_s: float = 120) -> None:
    """As a student does it: refresh the list until that submission says "(feedback available to fetch)",
    press Fetch Feedback, and wait for its "(view feedback)" link."""
    page = panel.page
    item = submission(panel, timestamp)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        refresh(panel)
        if "feedback available to fetch" in (item.text_content(timeout=10_000) or ""):
            row(panel, SUBMITTED, assignment).locator("button", has_text="Fetch Feedback").click()
            item.locator("a", has_text="view feedback").wait_for(timeout=60_000)
            return
        page.wait_for_timeout(1000)
    raise AssertionError(f"no feedback to fetch for the submission of {timestamp} within {timeout_s:g} s: "
                         f"{item.text_content()!r}")
