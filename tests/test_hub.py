"""The class on a real JupyterHub (`python -m autograder hub`, started as `make hub` starts it, in a process
of its own), as root on this machine: real Unix accounts, nbgrader's exchange, JupyterLab with nbgrader's
extensions in Debian's Chromium.

The journey: student1 logs in on the hub's login page, fetches 01_conv_forward in the Assignments tab,
works (the notebook file is written in their home as their account: the reference solution cells, as
typing them would be; see test_browser.py for cells run in the page), validates with the Validate button;
their server is then killed (every process of the account), they start it again from the hub's page
and their work is still there; they submit in the tab, and the grading service (run by the hub as the
instructor) gives feedback. The instructor then sets a due date that has passed, so student2's partly
right submission is late. The hub is stopped (SIGTERM) and started again between the submissions and
collect (nothing is lost). The instructor runs the README's hub commands, copied from the README as
written, in a login shell of their own account: collect, grade (its sandbox and caps without root),
release_feedback; each student fetches feedback in the tab and opens their own page, with their score,
and is refused the other's.

A bad inbound folder costs only itself: student2 plants, as their account, a submission whose secret is a
FIFO, one whose secret is a link to /dev/zero, one holding a sparse 1 GiB file, a link to student+3's
submission and a folder in student+3's name; honest submissions still get the service's feedback in
about the time one took alone, and the instructor's page of the service names each planted folder.

The instructor's Formgrader, in Chromium: it lists the course's assignments, then collects (the planted
folders left out and named), autogrades with its Autograde button, generates and releases feedback for a
class of a right notebook and a hostile one that reads, lists and writes every file of the course it can
name (its canaries stay intact), forks past the process cap and allocates 16 GiB (both caps hold);
`nbgrader export` equals the grades.csv that Autograde wrote with `grade`'s batch, and students fetch
their pages: student+3 too, whose name holds '+' (nbgrader 0.9.6's own fetch_feedback fails for it;
hub/students_nbgrader_config.py).

Isolation: as student2 (runuser), the inbound folder cannot be listed, a submission folder cannot be
renamed away, and nothing of the instructor's course folder nor of the checkout's solutions/ can be read;
each check is shown to fail once when its permission is loosened.

Stopping: SIGTERM to the launcher, with servers running, the service grading an endless loop, a FIFO
planted in inbound and the planted folders above, after the instructor used Formgrader, stops everything within 30 s and leaves no process of the accounts, no control
group, no kernel runtime folder and no proxy.

The hub's state folder is /var/tmp/cnn-inside-hub-test-<prefix>: emptied at the start and the end, but for
its two environments, which are kept between runs (rebuilt when what they hold changes).

Screenshots: artifacts/screenshots/hub-*.png (README pictures: tests/browser/readme_images.py).
"""
from __future__ import annotations

import csv
import datetime
import os
import pwd
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import nbformat
import pytest
from nbgrader.utils import notebook_hash

from autograder.authoring.cells import is_solution_cell
from autograder.deploy import accounts, leftovers
from autograder.deploy import hub as hubmod
from autograder.paths import COURSE_ID, ROOT
from tests.browser import axe
from tests.browser import formgrader as fg
from tests.browser import hub as ui
from tests.browser import jupyterlab as jl
from tests.browser.lab import CHROMIUM, launch_chromium
from tests.conftest import seeded

# part of `make test`; `make test-hub` runs it alone
pytestmark = [pytest.mark.slow, pytest.mark.hub]

A1 = hubmod.FIRST_ASSIGNMENT
# the tests' own accounts, removed afterwards (never the demo's `student1`); another prefix lets two
# checkouts on one machine run this file at once
PREFIX = os.environ.get("CNN_HUB_TEST_PREFIX", "cnnt-")
STATE = Path(f"/var/tmp/cnn-inside-hub-test-{PREFIX.strip('-') or 'default'}")
SHOTS = ROOT / "artifacts" / "screenshots"
README_MARK = "<!-- tests/test_hub.py runs these lines, as written, in a login shell of the instructor's account -->"


def _empty_state() -> None:
    """The tests' state folder without what an earlier run left, but for the environments (kept: their
    stamps rebuild them when what they hold changes)."""
    if STATE.is_dir():
        for child in STATE.iterdir():
            if child.name != "envs":
                subprocess.run(["rm", "-rf", str(child)], check=True)


# the third holds '+', which nbgrader takes in a user name (its own fetch_feedback fails for it, the
# hub's students have hub/students_nbgrader_config.py's)
STUDENTS = ("student1", "student2", "student+3")


@contextmanager
def logged_in(playwright, settings, user: str, tmp_path: Path) -> Iterator:
    """A page of that user's Chromium, logged in on the hub's login page (their JupyterLab open); the
    browser closed afterwards."""
    context = launch_chromium(playwright, tmp_path / f"profile-{user}")
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(120_000)
        ui.log_in(page, settings.url, user, settings.password)
        yield page
    finally:
        context.close()


def _options(port: int) -> hubmod.Hub:
    return hubmod.Hub(port=port, student_names=list(STUDENTS), state_dir=str(STATE), account_prefix=PREFIX)


@pytest.fixture(scope="module")
def settings():
    if os.geteuid() != 0:
        pytest.skip("the hub's accounts are real Unix users: run as root")
    if not hubmod.PROXY.exists():
        pytest.fail(f"{hubmod.PROXY} is missing: `make hub-node` installs it")
    hub = _options(hubmod.free_port())
    planned = hubmod.planned_run(hub)
    accounts.remove_accounts(planned.accounts)  # a fresh start: homes of an earlier, interrupted run go
    _empty_state()
    s = planned
    try:
        s, _ = hubmod.prepare(hub)
        # the course's policy with no wait between graded attempts (default 10 minutes), so that a 4th
        # attempt comes within the test; a due date two hours on, which the journey moves to now
        with (s.course() / "nbgrader_config.py").open("a") as config:
            config.write("c.FeedbackPolicy.minutes_between = 0\n")
        ok(as_user(s, s.instructor, "nbgrader", "db", "assignment", "add", A1, f"--duedate={_in_hours(2)}",
                   cwd=s.course()))
        yield s
    finally:
        leftovers.clean_up(s)
        accounts.remove_accounts(s.accounts)
        _empty_state()


def _in_hours(hours: float) -> str:
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


class Launcher:
    """`python -m autograder hub` in a process of its own, as `make hub` runs it (its banner once the hub
    answers; SIGTERM stops it). Its output is kept in `lines`."""

    def __init__(self, settings):
        self.settings, self.lines = settings, []
        self.start()

    def start(self, timeout: float = 240) -> None:
        s = self.settings
        self.lines = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder", "hub", f"--Hub.port={s.port}", f"--Hub.state_dir={s.state}",
             f"--Hub.account_prefix={PREFIX}", *(f"--Hub.student_names={name}" for name in STUDENTS)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        running = threading.Event()

        def read():
            for line in self.process.stdout:
                self.lines.append(line)
                if "is running at" in line:
                    running.set()
            running.set()
        threading.Thread(target=read, daemon=True).start()
        running.wait(timeout)
        assert self.process.poll() is None and any("is running at" in x for x in self.lines), "".join(self.lines)

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM, as `make hub` forwards it; the seconds until the launcher has exited."""
        began = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"the hub did not stop within {timeout} s of SIGTERM:\n" + "".join(self.lines[-20:]))
        return time.monotonic() - began

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def running(settings):
    hub = Launcher(settings)
    yield hub
    hub.stop()


def as_user(settings, user: str, *cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return accounts.as_user(settings, user, list(cmd), cwd=cwd, check=False, timeout=300)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"{proc.args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def write_as(user: str, path: Path, nb: nbformat.NotebookNode) -> None:
    """Write the notebook where the user's JupyterLab has it, owned by that user (as their editor would)."""
    nbformat.write(nb, path)
    account = pwd.getpwnam(user)
    os.chown(path, account.pw_uid, account.pw_gid)


def worked(settings, user: str, who: str) -> Path:
    """The fetched notebook in the user's home, with the work of the round-trip test's `who` in it."""
    from tests.test_roundtrip import work
    path = settings.home(user) / A1 / f"{A1}.ipynb"
    write_as(user, path, work(who, A1, nbformat.read(path, as_version=4)))
    return path


def kill_server(settings, user: str) -> list[int]:
    """SIGKILL every process of that account (its single-user server and kernels): a crash."""
    uid, pids = pwd.getpwnam(user).pw_uid, []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    os.kill(int(entry.name), 9)
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return pids


def restart_server(page, settings, user: str, crashed: bool = True) -> None:
    """What the student does: reload JupyterLab; the hub's page says "Your server appears to be down. Try
    restarting it from the hub"; on the hub's home page, once the hub has noticed (it polls each
    server every 10 s), Start My Server; JupyterLab comes back."""
    if crashed:
        page.goto(f"{settings.url}user/{user}/lab")
        down = page.get_by_text("Your server appears to be down")
        page.locator(".jp-LabShell").or_(down).first.wait_for(timeout=120_000)
        assert down.is_visible(), f"{user}'s server still answers after it was killed"
        page.screenshot(path=SHOTS / "hub-server-down.png")
        page.get_by_role("link", name="from the hub").click()
    else:
        page.goto(f"{settings.url}hub/home")
    start = page.locator("a#start", has_text="Start My Server")
    for _ in range(60):
        if start.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    start.click()
    page.wait_for_selector(".jp-LabShell", timeout=180_000)


def grades(path: Path) -> dict[str, dict]:
    with open(path, newline="") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == A1}


def feedback_page(page, settings, user: str, timestamp: str) -> str:
    """The fetched feedback page of that submission (a file in the user's home), opened in `page`, a tab of
    the user's browser; its text (the page stays there for a screenshot or axe)."""
    html = settings.home(user) / A1 / "feedback" / timestamp / f"{A1}.html"
    page.goto(f"{settings.url}user/{user}/files/{quote(str(html.relative_to(settings.home(user))))}")
    return page.locator("body").inner_text()


def last_submitted(settings, user: str) -> str:
    """The timestamp of the user's newest submission, from its folder's name in inbound (as root)."""
    names = [p.name for p in (settings.exchange / COURSE_ID / "inbound").iterdir() if p.name.startswith(f"{user}+")]
    return max(name.split("+")[2] for name in names)


def no_axe_violations(page, what: str) -> None:
    found = axe.violations(page)
    assert not found, f"{what}, axe-core (WCAG 2.1 A/AA):\n" + "\n".join(found)


def readme_commands() -> list[str]:
    """The README's hub section: the lines the instructor types after the deadline (the block after
    README_MARK), as written."""
    text = (ROOT / "README.md").read_text()
    assert README_MARK in text, f"README.md has no {README_MARK!r}"
    block = text.split(README_MARK, 1)[1].split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip()]


def in_login_shell(settings, user: str, lines: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    """The lines, as typed in a login shell of that account (`runuser -u USER -- bash -l` from a root
    shell), stopping at the first that fails."""
    return subprocess.run(["runuser", "-u", user, "--", "bash", "-lc", "\n".join(["set -e", *lines])],
                          cwd="/", env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
                          capture_output=True, text=True, timeout=timeout)


def seeded_as_instructor(settings, out: Path, master: Path) -> None:
    """OUT with the grader's course folder built earlier in this session (grade finds it up to date: a
    speed-up of the test only), the instructor's as the rest of their course."""
    seeded(out, master)
    account = pwd.getpwnam(settings.instructor)
    subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(out)], check=True)


def test_the_class_on_the_hub(settings, running, first_master, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    s1, s2 = settings.students[:2]
    course = settings.course()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        def browser_of(user):
            context = launch_chromium(playwright, tmp_path / f"profile-{user}")
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(120_000)
            return context, page

        c1, p1 = browser_of(s1)
        c2, p2 = browser_of(s2)
        try:
            # student1: log in, fetch in the Assignments tab, work, Validate
            p1.goto(f"{settings.url}hub/login")
            p1.screenshot(path=SHOTS / "hub-login.png")
            ui.log_in(p1, settings.url, s1, settings.password)
            tab = ui.open_assignments(p1)
            ui.fetch(tab, A1)
            p1.screenshot(path=SHOTS / "hub-assignments-fetched.png")
            worked(settings, s1, "alice")
            jl.open_notebook(p1, f"{settings.url}user/{s1}/lab/tree/{A1}/{A1}.ipynb")
            success, message = jl.validate(p1, SHOTS / "hub-validate.png")
            assert success, message

            # student1's server dies mid-session: they start it again from the hub; their work is there
            work = (settings.home(s1) / A1 / f"{A1}.ipynb").read_bytes()
            assert kill_server(settings, s1), "no single-user server of student1 found"
            restart_server(p1, settings, s1)
            assert (settings.home(s1) / A1 / f"{A1}.ipynb").read_bytes() == work

            # submit in the tab; the hub's grading service grades it; Fetch Feedback shows attempt 1
            tab = ui.open_assignments(p1)
            ui.submit(tab, A1)
            p1.screenshot(path=SHOTS / "hub-submitted.png")
            ui.fetch_feedback(tab, A1, last_submitted(settings, s1))
            p1.screenshot(path=SHOTS / "hub-attempt-fetched.png")
            view = c1.new_page()
            text = feedback_page(view, settings, s1, last_submitted(settings, s1))
            view.screenshot(path=SHOTS / "hub-attempt-1.png")
            assert f"{A1}: attempt 1 of 3" in text and "Score of this submission: 15 of 15." in text, text[:1500]
            assert "Attempts with feedback left for this assignment: 2." in text, text[:1500]
            no_axe_violations(view, "the service's feedback page of attempt 1")
            # graded by the service the hub runs as the instructor, in their delegated control group
            service = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                       and f"autograder serve --course {course}" in _cmdline(p)]
            assert service, "no grading service running"
            assert {_uid(p) for p in service} == {pwd.getpwnam(settings.instructor).pw_uid}
            assert all(f"cnn-hub-{settings.instructor}" in (p / "cgroup").read_text() for p in service)
            assert f"graded {s1}+{A1}+" in settings.service_log.read_text()

            # attempts 2 and 3 from a terminal, the 4th in the tab: past the limit, kept; its page says when
            for _ in range(2):
                ok(as_user(settings, s1, "nbgrader", "submit", A1))
            ui.submit(tab, A1)
            ui.fetch_feedback(tab, A1, last_submitted(settings, s1))
            text = feedback_page(view, settings, s1, last_submitted(settings, s1))
            view.screenshot(path=SHOTS / "hub-attempt-4.png")
            assert "submission received, feedback after the deadline" in text, text[:1500]
            assert f"You have used your 3 attempts with feedback for {A1}." in text, text[:1500]
            assert re.search(r"after the deadline \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", text), text[:1500]
            no_axe_violations(view, "the service's page of a 4th attempt")
            view.close()

            # the due date passes: student2's submission is late
            ok(as_user(settings, settings.instructor, "nbgrader", "db", "assignment", "add", A1,
                       f"--duedate={_in_hours(0)}", cwd=course))
            with (course / "nbgrader_config.py").open("a") as config:  # as README: late work scores 0
                config.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
            ui.log_in(p2, settings.url, s2, settings.password)
            tab = ui.open_assignments(p2)
            ui.fetch(tab, A1)
            worked(settings, s2, "bob")
            ui.submit(tab, A1)

            # the hub stopped (SIGTERM) and started again between submit and collect (its grading service
            # with it): nothing is lost
            running.restart()

            # the instructor collects, grades, releases feedback: the README's lines, as written, in a login
            # shell of their account (the banner prints the same); grade's sandbox and caps without root
            commands = readme_commands()
            assert commands == hubmod.instructor_commands(), (commands, hubmod.instructor_commands())
            assert all(f"  {line}" in "".join(running.lines) for line in commands)
            seeded_as_instructor(settings, course / "out", first_master)
            graded = in_login_shell(settings, settings.instructor, commands)
            assert graded.returncode == 0 and "into the nbgrader course" in graded.stdout, graded.stdout + graded.stderr
            assert "caps: memory 2 GiB and 256 processes (cgroup1)" in graded.stdout + graded.stderr, graded.stdout
            assert "sandbox on" in graded.stdout + graded.stderr
            rows = grades(course / "out" / "grades.csv")
            assert float(rows[s1]["score"]) == float(rows[s1]["max_score"]) > 0, \
                (rows, (course / "out" / "integrity.csv").read_text()[-3000:], graded.stdout[-3000:])
            assert float(rows[s2]["late_submission_penalty"]) > 0 and float(rows[s2]["score"]) == 0, rows[s2]

            # each student fetches feedback in the tab (their server started again after the hub's
            # restart) and sees their own page, never the other's
            seen = {}
            for user, other, page in ((s1, s2, p1), (s2, s1, p2)):
                restart_server(page, settings, user, crashed=False)
                tab = ui.open_assignments(page)
                stamp = (course / "submitted" / user / A1 / "timestamp.txt").read_text().strip()  # the one that counts
                try:
                    ui.fetch_feedback(tab, A1, stamp)
                except Exception:
                    page.screenshot(path=SHOTS / f"hub-feedback-failed-{user}.png")
                    (SHOTS / f"hub-feedback-failed-{user}.html").write_text(page.content())
                    raise
                page.screenshot(path=SHOTS / f"hub-feedback-fetched-{user}.png")
                seen[user] = feedback_page(page, settings, user, stamp)
                page.screenshot(path=SHOTS / f"hub-feedback-{user}.png")
                no_axe_violations(page, f"{user}'s feedback page from the instructor")   # student2's: the late box
                theirs = page.request.get(page.url.replace(f"/user/{user}/", f"/user/{other}/"))
                assert theirs.status >= 400 and "Score:" not in theirs.text(), \
                    f"{user} reached {other}'s files: {theirs.status}"
        finally:
            c1.close()
            c2.close()
    full = f"Score: {float(rows[s1]['max_score']):.1f} / {float(rows[s1]['max_score']):.1f}"
    assert full in seen[s1] and full not in seen[s2], (seen[s1][:500], seen[s2][:500])
    assert re.search(r"01_conv_forward \(Score: \d", seen[s2]), seen[s2][:300]  # their own, partial score
    assert "your score is 0 of 15" in seen[s2] and "late submission" not in seen[s1]   # the late rule's zero


# --- isolation, as student2 ------------------------------------------------------------------------

def denied(settings, user: str, *cmd: str) -> bool:
    proc = as_user(settings, user, *cmd, cwd=Path("/"))
    return proc.returncode != 0 and any(why in proc.stderr for why in ("Permission denied", "Operation not permitted"))


@pytest.fixture(scope="module")
def submission_of_student1(settings):
    """student1's submission folder in inbound (submitted here from the command line if the journey did not)."""
    s1 = settings.students[0]
    inbound = settings.exchange / COURSE_ID / "inbound"
    if not any(p.name.startswith(f"{s1}+") for p in inbound.iterdir()):
        if not (settings.home(s1) / A1).exists():
            ok(as_user(settings, s1, "nbgrader", "fetch_assignment", A1))
        ok(as_user(settings, s1, "nbgrader", "submit", A1))
    return next(p for p in sorted(inbound.iterdir()) if p.name.startswith(f"{s1}+"))


def test_a_student_cannot_list_inbound(settings, submission_of_student1):
    s2 = settings.students[1]
    inbound = submission_of_student1.parent
    assert denied(settings, s2, "ls", str(inbound))
    mode = inbound.stat().st_mode & 0o7777
    inbound.chmod(mode | 0o004)  # loosened: the same check now sees student1's submission
    try:
        listed = as_user(settings, s2, "ls", str(inbound))
        assert listed.returncode == 0 and submission_of_student1.name in listed.stdout
    finally:
        inbound.chmod(mode)


def test_a_student_cannot_find_nor_move_anothers_submission(settings, submission_of_student1):
    s2 = settings.students[1]
    folder = submission_of_student1
    # what student2 could guess (student, assignment, time to the microsecond) is not the name: 72 random bits follow
    guess = folder.parent / folder.name.rsplit("+", 1)[0]
    assert len(folder.name.rsplit("+", 1)[1]) >= 12
    assert as_user(settings, s2, "cat", str(guess / f"{A1}.ipynb")).returncode != 0
    # nor, knowing the name, rename it away (the sticky bit the hub adds on inbound)
    assert denied(settings, s2, "mv", str(folder), str(folder.parent / "stolen"))
    mode = folder.parent.stat().st_mode & 0o7777
    folder.parent.chmod(mode & ~0o1000)  # loosened: without the sticky bit the rename works
    try:
        moved = as_user(settings, s2, "mv", str(folder), str(folder.parent / "stolen"))
        assert moved.returncode == 0, moved.stderr
        (folder.parent / "stolen").rename(folder)
    finally:
        folder.parent.chmod(mode)


def test_a_student_cannot_read_the_instructors_course(settings):
    s2 = settings.students[1]
    course = settings.course()
    solution = course / "solutions" / A1 / f"{A1}.ipynb"
    assert solution.exists()
    for cmd in (("ls", str(course)), ("cat", str(solution)), ("cat", str(course / "gradebook.db")),
                ("ls", str(settings.home(settings.instructor))),
                ("cat", str(ROOT / "solutions" / A1 / f"{A1}.ipynb"))):  # nor the checkout's
        assert denied(settings, s2, *cmd), cmd
    home = settings.home(settings.instructor)
    modes = {p: p.stat().st_mode & 0o7777 for p in (home, course, solution.parent.parent, solution.parent)}
    for path in modes:
        path.chmod(modes[path] | 0o005)  # loosened: the same check now reads the course's solutions
    try:
        assert as_user(settings, s2, "cat", str(solution)).returncode == 0
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


# --- faults ------------------------------------------------------------------------------------------

SUBMIT_MANY = r"""
import sys, nbformat
from jupyter_core.application import NoStart
from nbgrader.apps.nbgraderapp import NbGraderApp
path, count = sys.argv[1], int(sys.argv[2])
for k in range(1, count + 1):       # each submission differs: its number in the notebook's metadata
    nb = nbformat.read(path, as_version=4)
    nb.metadata["submission_number"] = k
    nbformat.write(nb, path)
    app = NbGraderApp.instance()    # nbgrader's own application, as the `nbgrader submit` command runs it
    try:
        app.initialize(["submit", sys.argv[3]])
        app.start()
    except NoStart:
        pass
    finally:
        app.reset()
"""


def test_fifty_submissions_and_a_broken_notebook(settings, running, first_master):
    """student1 submits 50 times (all kept in inbound; collect takes the last), student2 a notebook whose
    JSON is broken; after collect, grade gives student1 full marks from the 50th and names student2's
    notebook in integrity.csv, and the batch finishes."""
    s1, s2 = settings.students[:2]
    course, inbound = settings.course(), settings.exchange / COURSE_ID / "inbound"
    for user in (s1, s2):
        if not (settings.home(user) / A1).exists():
            ok(as_user(settings, user, "nbgrader", "fetch_assignment", A1))
    worked(settings, s1, "alice")
    before = sum(p.name.startswith(f"{s1}+") for p in inbound.iterdir())
    script = settings.home(s1) / "submit_many.py"
    script.write_text(SUBMIT_MANY)
    ok(as_user(settings, s1, "python", str(script), str(settings.home(s1) / A1 / f"{A1}.ipynb"), "50", A1))
    assert sum(p.name.startswith(f"{s1}+") for p in inbound.iterdir()) == before + 50  # every one kept
    broken = settings.home(s2) / A1 / f"{A1}.ipynb"
    broken.write_text(broken.read_text()[:-200])  # cut short: not JSON any more
    ok(as_user(settings, s2, "nbgrader", "submit", A1))

    # every late one too: the course's collect takes the last before the due date (its FeedbackPolicy.counts)
    ok(as_user(settings, settings.instructor, "nbgrader", "collect", "--update", "--ExchangeCollect.before_duedate=False",
               A1, cwd=course))
    collected = nbformat.read(course / "submitted" / s1 / A1 / f"{A1}.ipynb", as_version=4)
    assert collected.metadata["submission_number"] == 50
    out = course / "out-faults"
    seeded_as_instructor(settings, out, first_master)
    graded = as_user(settings, settings.instructor, "python", "-m", "autograder", "grade", "--submissions",
                     "submitted", "--out", str(out), "--jobs", "2", cwd=course)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    rows = grades(out / "grades.csv")
    # after the journey's due date: the 50th, finished notebook earns full marks before the late rule's 0
    row = rows[s1]
    assert float(row["score"]) + float(row["late_submission_penalty"]) == float(row["max_score"]) > 0, row
    with open(out / "integrity.csv", newline="") as fh:
        findings = [r for r in csv.DictReader(fh) if r["student_id"] == s2]
    assert [r["rule"] for r in findings] == ["invalid_notebook"] and float(rows[s2]["score"]) == 0, (findings, rows[s2])


# --- a bad inbound folder costs only itself; the instructor's Formgrader grades a hostile class --------

def _due_in_two_hours(settings) -> None:
    """The assignment's due date two hours on (the journey moved it to its start), once the grading
    service has read it (it reads the due dates every 5 s): what is submitted now is on time. Nothing
    to do when it is an hour or more ahead already."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{settings.course() / 'gradebook.db'}", COURSE_ID) as gb:
        due = gb.find_assignment(A1).duedate
    if due and due > datetime.datetime.utcnow() + datetime.timedelta(hours=1):
        return
    ok(as_user(settings, settings.instructor, "nbgrader", "db", "assignment", "add", A1, f"--duedate={_in_hours(2)}",
               cwd=settings.course()))
    time.sleep(6)


def _page_of(settings, folder: Path) -> Path:
    """Where the service (and release_feedback) puts the page of that submission: what fetch_feedback
    looks for, from its secret (read as root)."""
    secret = (folder / "submission_secret.txt").read_text()
    return settings.exchange / COURSE_ID / "feedback" / f"{notebook_hash(secret=secret, notebook_id=A1)}.html"


def _submit_and_time(settings, user: str) -> float:
    """`nbgrader submit` as that account; the seconds from its start until the service's page of it is
    released."""
    inbound = settings.exchange / COURSE_ID / "inbound"
    before = set(inbound.iterdir())
    sent = time.monotonic()
    ok(as_user(settings, user, "nbgrader", "submit", A1))
    [folder] = [p for p in set(inbound.iterdir()) - before if p.name.startswith(f"{user}+")]
    page = _page_of(settings, folder)
    deadline = sent + 180
    while not page.exists():
        assert time.monotonic() < deadline, f"no feedback for {folder.name}:\n" + settings.service_log.read_text()[-3000:]
        time.sleep(0.2)
    return time.monotonic() - sent


def at_once(settings, commands: list[tuple[str, tuple[str, ...]]]) -> None:
    """Each (user, command) as that account (in their course folder for the instructor), side by side (as
    a class does them); each must succeed."""
    def one(user_command):
        user, command = user_command
        return as_user(settings, user, *command, cwd=settings.course() if user == settings.instructor else None)
    with ThreadPoolExecutor(len(commands)) as pool:
        for done in list(pool.map(one, commands)):
            ok(done)


def _fetched(settings, user: str) -> Path:
    """The user's copy of A1 as fetched (fetched now if they have none)."""
    if not (settings.home(user) / A1).is_dir():
        ok(as_user(settings, user, "nbgrader", "fetch_assignment", A1))
    return settings.home(user) / A1 / f"{A1}.ipynb"


def test_a_bad_inbound_folder_costs_only_itself(settings, running):
    """student+3 submits alone (the usual time, from the submit to the service's page); student2 plants, as
    their account, a submission whose secret is a FIFO, one whose secret is a link to /dev/zero, one
    holding a sparse 1 GiB file, a link to student+3's submission and a folder in student+3's name (newer
    than theirs: collect would take it); student+3 submits again and gets the service's page in about the
    usual time, and the instructor's page names each planted folder, its owner and why. All of it stays
    for the tests below (Formgrader's Collect, SIGTERM)."""
    from tests.test_service import plant, refused_why
    _, s2, s3 = settings.students
    _due_in_two_hours(settings)
    _fetched(settings, s3)
    worked(settings, s3, "alice")
    usual = _submit_and_time(settings, s3)
    inbound = settings.exchange / COURSE_ID / "inbound"
    victim = max((p for p in inbound.iterdir() if p.name.startswith(f"{s3}+")), key=lambda p: p.name)
    planted = plant(inbound, str(victim), mal=s2, claimed=s3, forged_at=_in_hours(1))
    took = _submit_and_time(settings, s3)
    print(f"feedback {usual:.1f} s after the submit alone; {took:.1f} s with the planted folders")
    assert took < 2 * usual + 10, (usual, took)

    status = (settings.course() / "autograder-service.html").read_text()
    why = refused_why(mal=s2, claimed=s3)
    for name in planted:
        row = next((r for r in status.split("<tr>") if name in r), "")
        assert why[name.rsplit("+", 1)[1]] in row and s2 in row, (name, row or status[-3000:])
    told = (settings.exchange / COURSE_ID / "feedback" /
            f"{notebook_hash(secret=planted[next(n for n in planted if n.endswith('+huge'))], notebook_id=A1)}.html")
    assert "submission not graded" in told.read_text()   # student2 holds that secret: they learn why


FORK_AND_HOG = """
import os, time
forked = 0
try:
    for _ in range(600):        # bounded: past the 256 processes the grader's caps allow
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        forked += 1
except OSError as err:
    print("fork refused after", forked, "processes:", type(err).__name__)
hog = np.ones(2 ** 31)          # 16 GiB, past the 2 GiB memory cap
"""


def test_formgrader_lists_collects_and_autogrades_a_hostile_class(settings, running, tmp_path):
    """On time, student1 submits a right notebook, student+3 a right one that also lists, reads and writes
    every file of the course it can name (tests/test_formgrader.py canary_notebook), forks past the process
    cap and allocates 16 GiB. In Chromium, the instructor's Formgrader lists the course's
    assignments, collects (the planted folders above left out and named), autogrades each submission with
    its Autograde button, generates and releases feedback; the instructor's page of the grading service
    names each planted folder. The students' code reached nothing (canaries intact; the process and
    memory caps held), the export of the gradebook (`nbgrader export`) equals the grades.csv Autograde
    wrote with `grade`'s batch, and each student fetches the released page, student+3 too."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    from tests.test_formgrader import canary_notebook, canary_reached_nothing
    from tests.test_roundtrip import table
    from tests.test_service import refused_why
    # student2 submits nothing here: the SIGTERM test needs a graded attempt of theirs, and the journey and
    # the faults test took two of their three
    s1, _, s3 = settings.students
    course, home = settings.course(), settings.home(settings.instructor)
    began = time.monotonic()
    took = lambda what: print(f"{what}: {time.monotonic() - began:.1f} s", flush=True)  # noqa: E731
    instructor = pwd.getpwnam(settings.instructor)
    canaries = {course / "canary.txt": os.urandom(16).hex(), course / "solutions" / A1 / "canary.txt": "solution"}
    for path, text in canaries.items():
        path.write_text(text)
        os.chown(path, instructor.pw_uid, instructor.pw_gid)
    _due_in_two_hours(settings)
    hostile = canary_notebook(course)
    zero_pad = next(c for c in hostile.cells if is_solution_cell(c) and "def zero_pad" in c.source)
    zero_pad.source += "\n" + FORK_AND_HOG
    for user in (s1, s3):
        _fetched(settings, user)
    worked(settings, s1, "alice")
    write_as(s3, settings.home(s3) / A1 / f"{A1}.ipynb", hostile)
    at_once(settings, [(user, ("nbgrader", "submit", A1)) for user in (s1, s3)])   # as a class submits
    took("submitted")
    kinds = tuple(f"+{kind}" for kind in refused_why())
    planted = [p.name for p in (settings.exchange / COURSE_ID / "inbound").iterdir() if p.name.endswith(kinds)]
    assert len(planted) == len(kinds), planted   # by the test above

    with sync_playwright() as playwright, logged_in(playwright, settings, settings.instructor, tmp_path) as page:
        base = f"{settings.url}user/{settings.instructor}/formgrader"
        page.goto(f"{base}/manage_assignments")
        assignment = fg.assignment_row(page, A1)
        assignment.wait_for()
        page.screenshot(path=SHOTS / "hub-formgrader-assignments.png")
        listed = (assignment.locator("td.status").inner_text().strip().lower(),
                  assignment.locator("td.collect a .glyphicon-cloud-download").count(),
                  page.locator("td.name").all_inner_texts())
        collected = fg.press(page, assignment.locator("td.collect a"))
        took("collected")
        page.goto(f"{base}/manage_submissions/{A1}")
        autograded = {user: fg.press(page, fg.submission_row(page, user).locator("td.autograde a"))
                      for user in (s1, s3)}
        page.screenshot(path=SHOTS / "hub-formgrader-autograded.png")
        took("autograded")
        page.goto(f"{base}/manage_assignments")
        generated = fg.press(page, assignment.locator("td.generate-feedback a"))
        released_fb = fg.press(page, assignment.locator("td.release-feedback a"))
        took("feedback released")
        page.goto(f"{settings.url}user/{settings.instructor}/files/"
                  f"{quote(str((course / 'autograder-service.html').relative_to(home)))}")
        status = page.locator("body").inner_text()
        page.screenshot(path=SHOTS / "hub-service-status.png")

    # the course's nbgrader_config.py loads in the instructor's server (it imports `autograder`, which the
    # instructor's environment reads from their course): every assignment listed, A1 released, collectable
    assert listed[:2] == ("released", 1) and len(listed[2]) >= 5, listed
    for name in planted:   # named on the service's page; left out by Collect but for the huge one, which is
        # student2's own, older than their submission above: not the one collect takes
        assert name in status and (name.endswith("+huge") or f"Left out {name}" in collected), (name, collected[-3000:])
    assert "Successfully collected" in collected, collected[-3000:]
    for user, said in autograded.items():
        assert "Successfully autograded" in said and f"graded {user}/{A1}" in said, said[-3000:]
    assert "Successfully generated feedback" in generated and "Successfully released feedback" in released_fb

    canary_reached_nothing(course, s3, canaries)
    took("canaries checked")
    nb = nbformat.read(course / "autograded" / s3 / A1 / f"{A1}.ipynb", as_version=4)
    said = "".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    forked = re.search(r"fork refused after (\d+) processes", said)   # both caps held
    assert forked and int(forked[1]) < 256 and "Unable to allocate 16.0 GiB" in said, said[-3000:]
    # Autograde graded with `grade`'s batch into grade's OUT (GraderAutograde.out; tests/test_formgrader.py
    # shows it equal to a run of `grade`): the gradebook it wrote, exported, is that grades.csv
    # ... and each student fetches the page Formgrader released (student+3 with the hub's fetch_feedback)
    export = course / "export-formgrader.csv"
    at_once(settings, [(settings.instructor, ("nbgrader", "export", "--to", str(export))),
                       *((user, ("nbgrader", "fetch_feedback", A1)) for user in (s1, s3))])
    took("exported and fetched")
    rows = table(course / "out" / "grades.csv")
    assert table(export) == rows, (table(export), rows)
    scores = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == A1}
    assert scores[s1] == scores[s3] == 15, scores   # right code, whatever else it tried
    for user in (s1, s3):
        stamp = (course / "submitted" / user / A1 / "timestamp.txt").read_text().strip()
        fetched = settings.home(user) / A1 / "feedback" / stamp / f"{A1}.html"
        assert fetched.read_text() == (course / "feedback" / user / A1 / f"{A1}.html").read_text(), user


# --- a state folder the accounts cannot reach ------------------------------------------------------

def test_an_unreachable_state_folder_is_refused_before_anything_starts(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the hub runs as root")
    closed = tmp_path / "closed"        # pytest's folder for root: 0700 above it
    prefix = f"{PREFIX}refused-"
    proc = subprocess.run([sys.executable, "-m", "autograder", "hub", f"--Hub.state_dir={closed / 'state'}",
                           f"--Hub.account_prefix={prefix}", f"--Hub.port={hubmod.free_port()}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == "", (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot serve the state folder" in lines[0] and "closed to other accounts" in lines[0], lines
    assert not closed.exists() and accounts.missing_accounts([f"{prefix}instructor"]), "something started"


# --- stopping -----------------------------------------------------------------------------------------

ENDLESS = "while True:\n    pass\n"


def _busy(settings) -> bool:
    """The grading service has a kernel running: a unit's control group under the instructor's holds processes."""
    from autograder.deploy import cgroups
    for top in cgroups.planned(settings.instructor, settings.cgroups).tops:
        for child in Path(top).glob("cnn-grader-*"):
            if (child / "cgroup.procs").read_text().split():
                return True
    return False


def test_sigterm_stops_everything_within_30_s(settings, running):
    """The last test: with both students' and the instructor's servers running (the journey and
    Formgrader), the service grading a submission stuck in an endless loop and a FIFO planted in inbound
    (read as a submission's secret, it never ends), SIGTERM to the launcher stops the hub within 30 s, and
    nothing of it is left: no process of the accounts, no control group, no kernel runtime folder, no proxy."""
    s1, s2 = settings.students[:2]
    # a due date ahead (the Formgrader test above set it; alone, this one does), so that student2's submission
    # below is graded
    _due_in_two_hours(settings)
    if not (settings.home(s2) / A1).is_dir():
        ok(as_user(settings, s2, "nbgrader", "fetch_assignment", A1))
    # the released notebook (student2's own is the broken one of the test above), its first function endless
    nb = nbformat.read(settings.exchange / COURSE_ID / "outbound" / A1 / f"{A1}.ipynb", as_version=4)
    next(c for c in nb.cells if is_solution_cell(c)).source = ENDLESS
    write_as(s2, settings.home(s2) / A1 / f"{A1}.ipynb", nb)
    uids = {pwd.getpwnam(u).pw_uid for u in settings.accounts}
    if not _processes_of(s1):       # run alone (-k): student1 has not logged in yet
        log_in_over_http(settings, s1)
    deadline = time.monotonic() + 120
    while not _processes_of(s1):
        assert time.monotonic() < deadline, "student1's server did not start"
        time.sleep(0.5)
    ok(as_user(settings, s2, "nbgrader", "submit", A1))
    deadline = time.monotonic() + 120
    while not _busy(settings):
        assert time.monotonic() < deadline, "the service never started grading:\n" + settings.service_log.read_text()[-3000:]
        time.sleep(0.5)
    stuck = settings.exchange / COURSE_ID / "inbound" / f"{s1}+{A1}+2030-01-01 00:00:00.000000 UTC+fifo"
    ok(as_user(settings, s1, "sh", "-c", f"mkdir '{stuck}' && mkfifo '{stuck}/submission_secret.txt' && chmod 777 '{stuck}'"))
    time.sleep(1)   # the service's next look at inbound opens the FIFO

    took = running.stop(timeout=60)
    assert took < 30, f"the hub took {took:.1f} s to stop:\n" + "".join(running.lines[-10:])
    left = [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) in uids and _cmdline(p)]
    assert not left, f"processes of the accounts left: {left}"
    assert leftovers.leftover_runtime(settings) == [], "kernel runtime folders left"
    assert leftovers.leftover_groups(settings) == [], "control groups left"
    proxy = [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and "configurable-http-proxy" in _cmdline(p)
             and f"--port {settings.port}" in _cmdline(p)]
    assert not proxy, f"the proxy is left: {proxy}"
    assert "stopped in" in "".join(running.lines[-3:]), running.lines[-5:]
    print(f"SIGTERM to the launcher: exited after {took:.1f} s; it said: {running.lines[-1].strip()}")


def _processes_of(user: str) -> list[str]:
    uid = pwd.getpwnam(user).pw_uid
    return [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == uid and _cmdline(p)]


def log_in_over_http(settings, user: str) -> None:
    """Log in on the hub's login page without a browser, which starts the account's server."""
    import http.cookiejar
    import urllib.parse
    import urllib.request
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{settings.url}hub/login", timeout=60).read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode({"username": user, "password": settings.password, "_xsrf": xsrf}).encode()
    opener.open(f"{settings.url}hub/login", data=form, timeout=120).read()


def _uid(proc: Path) -> int:
    try:
        return proc.stat().st_uid
    except FileNotFoundError:
        return -1


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
