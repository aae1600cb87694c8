"""The course's hub in its LTI 1.3 mode (`python -m autograder hub --Hub.lti=FILE`), launched from the
stand-in LMS (tests/lms_platform.py, on 127.0.0.1) in Debian's Chromium, with real Unix accounts.

The journey: the hub is prepared and started by the launcher's own code with an LTI settings file; the
stand-in registers the tool with the URLs the launcher prints. Ada, a student of the LMS course, clicks
the course's link on the stand-in's page: she lands in JupyterLab with the Assignments tab open, as the
account made from her LMS identity (with the course's environment and control group: her terminal has
nbgrader); she fetches, works, submits and reads the grading service's feedback (axe-core: nothing). The
LMS's instructor, launched from the stand-in, is the hub's instructor account. The instructor runs the
README's hub commands in a login shell of their account: `grade` posts the scores to the stand-in at its
end (here the LMS first fails, and grade's output says the score waits); the hub's passback service
posts it on its next pass: the stand-in's gradebook equals grades.csv. Then a change in the course's
gradebook as Formgrader saves one (a manual score) and a late penalty as nbgrader's AssignLatePenalties
writes it, through nbgrader's Gradebook as the instructor: the service posts again, and the stand-in's
gradebook equals `nbgrader export`'s grades.csv.

Its own state folder and accounts (`<CNN_HUB_TEST_PREFIX>l-...`), so that it runs beside tests/test_hub.py.
"""
from __future__ import annotations

import csv
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import requests

from autograder.deploy import hub as hubmod
from autograder.deploy import accounts, leftovers, lti
from autograder.paths import COURSE_ID
from tests.browser import axe
from tests.browser import hub as ui
from tests.browser.lab import CHROMIUM, launch_chromium
from tests.lms_platform import Platform, free_lms_port
from tests.test_hub import (PREFIX, feedback_page, in_login_shell, last_submitted,
                            no_axe_violations, ok, readme_commands, seeded_as_instructor, worked, as_user)
from tests.test_lti import LTI_CONFIG, launch, logged_in_as
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.hub]

A1 = hubmod.FIRST_ASSIGNMENT
ACCOUNTS = f"{PREFIX}l-"
ADA = f"{ACCOUNTS}ada-lovelace"     # the account her launch makes
STATE = Path(f"/var/tmp/cnn-inside-hub-test-{PREFIX.strip('-') or 'default'}-lti")
LTI_PORTS = range(8220, 8230)


def _empty_state() -> None:
    if STATE.is_dir():
        for child in STATE.iterdir():
            if child.name != "envs":   # kept between runs, as tests/test_hub.py keeps its own
                subprocess.run(["rm", "-rf", str(child)], check=True)


@pytest.fixture(scope="module")
def lms():
    platform = Platform(free_lms_port(LTI_PORTS)).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def lti_hub(lms):
    """The hub, prepared and started by the launcher's code in its LTI mode, registered with the stand-in."""
    if os.geteuid() != 0:
        pytest.skip("the hub's accounts are real Unix users: run as root")
    if not hubmod.PROXY.exists():
        pytest.fail(f"{hubmod.PROXY} is missing: `make hub-node` installs it")
    _empty_state()
    settings_file = STATE / "lti" / "lti_config.py"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    STATE.chmod(0o755)
    settings_file.parent.chmod(0o755)
    settings_file.write_text(LTI_CONFIG.format(     # the LMS registration: the stand-in's values
        issuer=lms.issuer, client_id=lms.client_id, deployment=lms.deployment_id, authorize=lms.authorize_url,
        key_set=lms.key_set_url, token=lms.token_url, key=str(settings_file.parent / "tool-key.pem"),
        records=str(settings_file.parent / "records.db"), instructor="ignored: the hub's instructor",
        prefix=ACCOUNTS))
    hub = hubmod.Hub(port=hubmod.free_port(), state_dir=str(STATE), account_prefix=ACCOUNTS, lti=str(settings_file))
    assert lti.problem(hub.lti) == ""
    planned = hubmod.planned_run(hub)
    accounts.remove_accounts([*planned.accounts, ADA])    # an earlier, interrupted run's
    run, running = planned, None
    try:
        run, notes = hubmod.prepare(hub)
        assert run.students == () and any("made the LTI tool's key" in n for n in notes), notes
        course = run.course()
        # the course loads the LMS registration (the launcher's line); passes every 2 s, retries after 1 s
        assert f"load_subconfig({str(settings_file)!r})" in (course / "nbgrader_config.py").read_text()
        with (course / "nbgrader_config.py").open("a") as config:
            config.write("c.GradePassback.every_seconds = 2.0\nc.GradePassback.backoff_seconds = 1.0\n"
                         "c.GradePassback.max_backoff_seconds = 2.0\n")
        running = hubmod.start(run)
        banner = hubmod.banner(running.run)
        urls = {what: url for what, url in (line.strip().split(": ", 1) for line in banner.splitlines()
                                            if line.startswith("  ") and ": http" in line)}
        lms.register_tool(urls["OpenID Connect login initiation URL"], urls["redirect (launch) URL"],
                          urls["target link URI"], key_set_url=urls["the tool's public key set (JWKS) URL"])
        yield running.run
    finally:
        if running is not None:
            running.stop(hub.stop_seconds)
        made = run.accounts       # the instructor and every account a launch made (the records)
        leftovers.clean_up(run)
        accounts.remove_accounts(made)
        _empty_state()


def no_axe_violations_in(page, part: str, what: str) -> None:
    """axe on one part of JupyterLab, every rule on but those tests/browser/axe.py lists as JupyterLab's."""
    found = axe.violations(page, disabled=axe.JUPYTERLAB_GAPS, include=[part])
    assert not found, f"{what}, axe-core (WCAG 2.1 A/AA):\n" + "\n".join(found)


def stand_in_gradebook(lms: Platform, people: dict[str, str]) -> dict[tuple[str, str], float]:
    """(assignment, account) -> score, as the stand-in's gradebook holds it."""
    account = {sub: name for name, sub in people.items()}
    return {(label, account[sub]): score for (label, sub), score in lms.gradebook().items()}


def csv_scores(path: Path) -> dict[tuple[str, str], float]:
    with open(path, newline="") as fh:
        return {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(fh)}


def test_from_the_lms_and_back(lti_hub, lms, first_master, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    run = lti_hub
    course = run.course()
    lms.enrol("lms-ada-7", "Ada", "Lovelace")
    lms.enrol("lms-ines-3", "Ines", "Teach", role="instructor")
    lms.enrol("lms-max-5", "Max", "Mentor", role="mentor")
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile-ada")
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(120_000)
        try:
            # Ada clicks the course's link in her LMS: JupyterLab, the Assignments tab open, as her account
            page.goto(f"{lms.url}/")
            page.get_by_role("link", name="Open the course tool as Ada Lovelace (student)").click()
            page.wait_for_selector("#nbgrader-assignment-list #assignments", timeout=240_000)
            ada = ADA
            assert f"/user/{ada}/lab/workspaces/assignments" in page.url, page.url
            assert run.lti_students == [ada]
            no_axe_violations_in(page, "#nbgrader-assignment-list", "the Assignments tab a launch lands on")
            # her account has what the launcher gives every account: the course's environment in her shell
            assert "/envs/student/bin/nbgrader" in ok(as_user(run, ada, "bash", "-lc", "command -v nbgrader"))
            tab = page.locator("#nbgrader-assignment-list")
            ui.fetch(tab, A1)
            worked(run, ada, "alice")
            ui.submit(tab, A1)
            ui.fetch_feedback(tab, A1, last_submitted(run, ada))
            view = context.new_page()
            text = feedback_page(view, run, ada, last_submitted(run, ada))
            assert "Score of this submission: 15 of 15." in text, text[:1500]
            no_axe_violations(view, "the service's feedback page, after a launch from the LMS")
            # a launch the hub refuses (a mentor's role gives no account) is a page that says why
            view.goto(lms.launch_link("lms-max-5"))
            view.wait_for_selector("text=Launch refused")
            assert "Your role in this LMS course gives no account on this hub" in view.locator("body").inner_text()
            no_axe_violations(view, "the hub's page of a refused launch")
        finally:
            context.close()

    # the LMS's instructor is the hub's instructor account; Ada's launch is not
    session = requests.Session()
    answer, _ = launch(session, lms, "lms-ines-3")
    assert answer.status_code == 302 and logged_in_as(session, run.url) == run.instructor
    # the hub's own address, without a launch: the page says to open the course from the LMS
    typed = requests.get(run.url)
    assert typed.status_code == 400 and "This hub is opened from your LMS" in typed.text, typed.text[-800:]

    # the instructor grades (the README's lines, in their login shell) while the LMS fails: the score waits,
    # and grade's output says so; once the LMS answers again, the hub's passback service posts it
    lms.fail(10_000, "500")
    seeded_as_instructor(run, course / "out", first_master)
    graded = in_login_shell(run, run.instructor, readme_commands())
    said = graded.stdout + graded.stderr
    assert graded.returncode == 0 and "Grade passback to the LMS" in said, said[-3000:]
    assert "Waiting (kept, tried again later): 1" in said and "HTTP 500" in said, said[-3000:]
    lms.fail(0)
    people = {ada: "lms-ada-7"}
    out = csv_scores(course / "out" / "grades.csv")
    log = course / "lms-passback.log"
    wait_for(lambda: stand_in_gradebook(lms, people) == out,
             lambda: f"the stand-in's gradebook {lms.gradebook()} is not grades.csv's {out}; the passback "
                     f"service's log: {log.read_text()[-2000:] if log.exists() else 'none'}", 30, every=0.3)
    assert out == {(A1, ada): 15.0}

    # a review changes a score (as Formgrader saves it) and a late penalty is given (as nbgrader's
    # AssignLatePenalties writes it), through nbgrader's Gradebook as the instructor; the service posts them
    review = (f"from nbgrader.api import Gradebook\n"
              f"with Gradebook('sqlite:///{course}/gradebook.db', {COURSE_ID!r}) as gb:\n"
              f"    notebook = gb.find_submission_notebook({A1!r}, {A1!r}, {ada!r})\n"
              f"    grade = [g for g in notebook.grades if g.max_score][0]\n"
              f"    grade.manual_score = grade.auto_score - 1\n"
              f"    notebook.late_submission_penalty = 2\n"
              f"    gb.db.commit()\n")
    ok(in_login_shell(run, run.instructor, [f"cd {course}", f"python -c {shlex.quote(review)}",
                                            "nbgrader export --to reviewed.csv"]))
    exported = csv_scores(course / "reviewed.csv")
    assert exported == {(A1, ada): 12.0}, exported
    wait_for(lambda: stand_in_gradebook(lms, people) == exported,
             lambda: f"the stand-in's gradebook {lms.gradebook()} is not nbgrader export's {exported}", 30, every=0.3)
    late = lms.course.received[-1]
    assert "late rule took 2 point(s) of 14" in late.get("comment", ""), late
    assert lms.course.duplicates == 0
    report = (course / "lms-passback.txt").read_text()
    assert "Waiting (kept, tried again later): none" in report, report
