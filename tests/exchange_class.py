"""An nbgrader course with a real exchange, and students who fetch, submit and fetch feedback with
nbgrader's own commands: `Student`s all as the one account that runs the tests (`nbgrader submit
--student ID`), `Account`s each as a Unix account of their own (the id is the account's name). Used by
tests/test_service.py and bench/service.py."""
from __future__ import annotations

import atexit
import functools
import importlib
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import sys
import time
import traceback
from pathlib import Path
from typing import Callable, Optional

import nbformat

from nbgrader.utils import notebook_hash

from autograder.paths import COURSE_ID, NOTEBOOKS, child_env
from autograder.authoring.variants import filled_student_notebook, solution_sources


def make_course(root: Path, policy: str = "", duedate: Optional[str] = None,
                assignment: str = "01_conv_forward") -> tuple[Path, Path]:
    """(course folder, exchange root): the course's release is the checkout's notebooks/; the
    assignment is released into the exchange by `nbgrader release_assignment`."""
    course, exchange = root / "course", root / "exchange"
    course.mkdir(parents=True)
    exchange.mkdir()
    os.chmod(exchange, 0o777)
    (course / "notebooks").symlink_to(NOTEBOOKS)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        "c.CourseDirectory.release_directory = 'notebooks'\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.ExchangeCollect.check_owner = False   # one Unix account submits for every student here (service and collect)\n"
        "c.FeedbackService.poll_seconds = 0.1\n" + policy)
    add_assignment(course, assignment, duedate)
    app(course, "release_assignment", assignment)
    return course, exchange


@functools.lru_cache(maxsize=1)
def _blank_gradebook() -> Path:
    """A new gradebook made by nbgrader's Gradebook, once per test process: a new one asks the
    `alembic` command for its version (2 s, far more on a busy machine); copies of it do not."""
    from nbgrader.api import Gradebook
    os.environ["PATH"] = serve_env()["PATH"]
    folder = Path(tempfile.mkdtemp(prefix="cnn-gradebook-"))
    atexit.register(shutil.rmtree, folder, True)
    Gradebook(f"sqlite:///{folder / 'gradebook.db'}", COURSE_ID).close()
    return folder / "gradebook.db"


def blank_gradebook(path: Path) -> str:
    """A course's new, empty gradebook at `path`, as nbgrader makes it; its URL."""
    shutil.copyfile(_blank_gradebook(), path)
    return f"sqlite:///{path}"


def add_assignment(course: Path, assignment: str, duedate: Optional[str] = None) -> None:
    """What `nbgrader db assignment add A [--duedate=D]` does, through the same Gradebook call."""
    from nbgrader.api import Gradebook
    if not (course / "gradebook.db").exists():
        blank_gradebook(course / "gradebook.db")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        gb.update_or_create_assignment(assignment, **({"duedate": duedate} if duedate else {}))


def nbgrader(cwd: Path, *args: str) -> str:
    """The instructor's `nbgrader ARGS`, the command itself, run in `cwd`."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          env=serve_env())
    if done.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


STUDENT_COMMANDS = ("fetch_assignment", "submit", "fetch_feedback")


def _no_config_file_warning(record: logging.LogRecord) -> bool:
    """Students' homes hold no nbgrader_config.py by design (their settings are the commands' arguments):
    nbgrader's warning that says so, once per command, made 600 lines of a benchmark's burst."""
    return "No nbgrader_config.py file found" not in record.getMessage()


def app(cwd: Path, command: str, *args: str) -> None:
    """`nbgrader COMMAND ARGS` (release_assignment, collect, fetch_assignment, submit, fetch_feedback):
    nbgrader's own application, run in this process as the command runs it (configuration read from
    `cwd`), without the command's 4 s of start-up, so that a benchmark can submit as fast as a class."""
    from nbgrader.apps.collectapp import CollectApp
    from nbgrader.apps.fetchassignmentapp import FetchAssignmentApp
    from nbgrader.apps.fetchfeedbackapp import FetchFeedbackApp
    from nbgrader.apps.releaseassignmentapp import ReleaseAssignmentApp
    from nbgrader.apps.submitapp import SubmitApp

    App = {"fetch_assignment": FetchAssignmentApp, "submit": SubmitApp, "fetch_feedback": FetchFeedbackApp,
           "release_assignment": ReleaseAssignmentApp, "collect": CollectApp}[command]
    os.environ["PATH"] = serve_env()["PATH"]          # nbgrader calls alembic from PATH
    old = os.getcwd()
    os.chdir(cwd)
    try:
        app = App()
        app.log.setLevel("WARNING")
        if command in STUDENT_COMMANDS:
            app.log.addFilter(_no_config_file_warning)   # one filter object: added once to the app's logger
        app.initialize(list(args))
        app.start()
    finally:
        App.clear_instance()
        os.chdir(old)


class Student:
    """One student's home: their assignments folder and nbgrader cache."""

    def __init__(self, root: Path, student_id: str, exchange: Path):
        self.id, self.home, self.exchange = student_id, root / "students" / student_id, exchange
        self.home.mkdir(parents=True, exist_ok=True)

    def args(self) -> list[str]:
        return [f"--course={COURSE_ID}", f"--Exchange.root={self.exchange}", f"--student={self.id}",
                f"--Exchange.cache={self.home / '.cache'}", f"--Exchange.assignment_dir={self.home}"]

    def run(self, command: str, *args: str) -> None:
        app(self.home, command, *args, *self.args())

    def fetch(self, assignment: str = "01_conv_forward") -> None:
        self.run("fetch_assignment", assignment)

    def write(self, assignment: str = "01_conv_forward", sources: Optional[dict[str, str]] = None,
              text: Optional[str] = None) -> Path:
        """The student's notebook: the reference solution (default), these solution cells, or raw text."""
        path = next((self.home / assignment).glob("*.ipynb"))
        if text is None:
            released = nbformat.read(NOTEBOOKS / assignment / path.name, as_version=4)
            text = nbformat.writes(filled_student_notebook(released, sources or solution_sources(assignment)))
        path.write_text(text)
        return path

    def submit(self, assignment: str = "01_conv_forward") -> None:
        self.run("submit", assignment)

    def fetch_feedback(self, assignment: str = "01_conv_forward") -> dict[str, str]:
        """timestamp folder -> the text of its feedback page(s), as the student now has them."""
        self.run("fetch_feedback", assignment)
        folder = self.home / assignment / "feedback"
        return {d.name: "\n".join(p.read_text() for p in sorted(d.glob("*.html")))
                for d in sorted(folder.iterdir())} if folder.is_dir() else {}


# what nbgrader's student commands import late: loaded here, before a child becomes an account that
# cannot read root's venv (a checkout under a closed folder: mktemp -d, /root)
PRELOADED = ("jupyter_core.migrate", "nbgrader.apps.fetchassignmentapp", "nbgrader.apps.submitapp",
             "nbgrader.apps.fetchfeedbackapp", "nbgrader.exchange.default.fetch_assignment",
             "nbgrader.exchange.default.submit", "nbgrader.exchange.default.fetch_feedback")


def as_account(name: str, action: Callable[[], None]) -> None:
    """Run `action` in a child process that is that account (as `nbgrader submit` runs in their server):
    the folders it makes are theirs. The interpreter's modules are loaded already: the account cannot
    read root's Python."""
    account = pwd.getpwnam(name)
    for module in PRELOADED:
        importlib.import_module(module)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
            # JUPYTER_PREFER_ENV_PATH said, so that jupyter_core does not stat sys.prefix to guess it: the
            # account cannot reach root's venv in a checkout under a closed folder (mktemp -d, /root)
            os.environ.update(HOME=account.pw_dir, USER=name, LOGNAME=name, JUPYTER_PREFER_ENV_PATH="0")
            os.chdir(account.pw_dir)
            action()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"{name}'s action failed (see the captured stderr)"


class Account:
    """A student with a Unix account: their home, nbgrader's cache and their submissions."""

    def __init__(self, name: str, base: Path, exchange: Path):
        self.name, self.home, self.exchange = name, base / "home" / name, exchange
        self.home.mkdir(parents=True)
        subprocess.run(["useradd", "--badname", "--no-create-home", "--home-dir", str(self.home), "--shell",
                        "/usr/sbin/nologin", name], check=True, capture_output=True)
        account = pwd.getpwnam(name)
        os.chown(self.home, account.pw_uid, account.pw_gid)
        self.home.chmod(0o700)

    def args(self) -> list[str]:   # no --student: nbgrader takes the account's name, '+' and all
        return [f"--course={COURSE_ID}", f"--Exchange.root={self.exchange}", f"--Exchange.cache={self.home / '.cache'}",
                f"--Exchange.assignment_dir={self.home}"]

    def fetch_and_work(self, assignment: str) -> None:
        """Fetch the assignment and write the reference solution into it, as that account."""
        as_account(self.name, lambda: app(self.home, "fetch_assignment", assignment, *self.args()))
        released = nbformat.read(NOTEBOOKS / assignment / f"{assignment}.ipynb", as_version=4)
        text = nbformat.writes(filled_student_notebook(released, solution_sources(assignment)))
        as_account(self.name, lambda: (self.home / assignment / f"{assignment}.ipynb").write_text(text))

    def submit(self, assignment: str) -> float:
        """nbgrader submit as that account; when it returned (time.monotonic)."""
        as_account(self.name, lambda: app(self.home, "submit", assignment, *self.args()))
        return time.monotonic()

    def pages(self, assignment: str) -> list[Path]:
        """Where the service releases the feedback of each of their submissions: what nbgrader's
        fetch_feedback looks for, from the secret in their cache."""
        cache = self.home / ".cache" / COURSE_ID
        return [self.exchange / COURSE_ID / "feedback" /
                f"{notebook_hash(secret=(d / 'submission_secret.txt').read_text(), notebook_id=assignment)}.html"
                for d in sorted(cache.glob(f"{self.name}+{assignment}+*"), key=lambda d: (d / "timestamp.txt").read_text())]

    def fetch_feedback(self, assignment: str) -> str:
        """Their pages, fetched by nbgrader's own fetch_feedback as their account."""
        as_account(self.name, lambda: app(self.home, "fetch_feedback", assignment, *self.args()))
        return "\n".join(p.read_text() for p in sorted((self.home / assignment / "feedback").rglob("*.html")))


def serve_command(course: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "serve", "--course", str(course), *extra]


def serve_env() -> dict[str, str]:
    return child_env(PYTHONUNBUFFERED="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


__all__ = ["make_course", "Student", "Account", "as_account", "app", "serve_command", "serve_env"]
