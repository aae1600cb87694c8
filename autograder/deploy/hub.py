"""`python -m autograder hub` (`make hub`): the course on a real JupyterHub on this machine, for an
instructor to walk the students' path before the class does, and to grade it as they would.

This is the launcher; JupyterHub's own configuration is the plain file hub/jupyterhub_config.py. As root,
the launcher prepares the machine, starts `jupyterhub -f hub/jupyterhub_config.py`, and stops it:

- the state folder (Hub.state_dir, outside the checkout; its layout and modes in deploy/run.py), refused
  in one line before anything starts if the accounts could not reach it;
- one Unix account per person, `instructor`, `student1` ... `studentN` (or Hub.student_names: `+` and `.`
  included, as nbgrader takes them) (useradd), private homes; each server runs as its own account
  (JupyterHub's LocalProcessSpawner), in the account's login shell;
- the two environments (deploy/envs.py), and in each account's ~/.profile what its server, terminals and
  login shells have: its environment on PATH, its role's Jupyter configuration, and its control group;
- a control group for each account (deploy/cgroups.py), delegated to it: the instructor's grading
  (`grade` in their terminal, the grading service, which the hub runs as the instructor) holds its
  memory and process caps there without root, and the sandbox needs none; nothing that reads students'
  files runs as root;
- the instructor's course `~instructor/cnn-inside`, a copy of this course that the instructor owns and
  nobody else can read, with 01_conv_forward released by `nbgrader release_assignment` as the instructor;
- nbgrader's exchange (writable by everyone, as nbgrader requires; nbgrader makes the course's inbound
  writable but not listable and names each submission with 72 random bits; the instructor adds the sticky
  bit to inbound);
- on SIGTERM, SIGINT (Ctrl-C) or SIGHUP: JupyterHub stops the service, the servers and the proxy; what has
  not stopped within Hub.stop_seconds is killed, and nothing of the run is left: no process of the
  accounts, no control group, no kernel's runtime folder, no proxy.

Logins use JupyterHub's SharedPasswordAuthenticator limited to these accounts: one password for every
account (random, kept in the state folder). Anyone who knows it can log in as any of them, which is what
a shared demo password means; the accounts' Unix permissions still keep one person's code and files from
another's. For a real class use PAM or your institution's login (see README).
"""
from __future__ import annotations

import dataclasses
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from traitlets import Bool, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Configurable
from traitlets.config.loader import load_pyconfig_files

from ..launcher import PROG, Command
from ..paths import COURSE_ID, ROOT
from . import cgroups, envs, lti
from .accounts import as_user, create_accounts, read_in_home, write_in_home, write_profile
from .envs import FIRST_ASSIGNMENT
from .leftovers import Left, clean_up
from .run import ROLES, HubRun

CONFIG = ROOT / "hub" / "jupyterhub_config.py"
PROXY = ROOT / "hub" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
DEFAULT_STATE = Path("/var/lib/cnn-inside-hub")
CLOSED = ("solutions", "autograder", "tests")  # what other accounts on this machine must not read in the checkout
COURSE_FILES = ("autograder", "cnn_student", "solutions", "notebooks", "data", "nbgrader_config.py",
                "pyproject.toml", "requirements.txt", "README.md")
# nbgrader's table for a hub ("Using nbgrader with JupyterHub"): what each role sees
STUDENT_HIDDEN_LAB = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment")
STUDENT_HIDDEN_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
FEEDBACK_SERVICE = "autograder-feedback"
# the user names the hub makes (useradd --badname: Debian's own rule refuses '+' and '.'), which nbgrader
# and JupyterHub take as they are
STUDENT_NAME = re.compile(r"[a-z0-9_][a-z0-9_.+-]{0,23}")


class Hub(Configurable):
    """The course's hub on this machine (`python -m autograder hub`): set in the checkout's
    nbgrader_config.py (`c.Hub.port = 8000`) or on the command line (`--Hub.port=8000`)."""
    port = Int(8000, help="the hub's port on 127.0.0.1").tag(config=True)
    students = Int(3, help="student accounts: student1 ... studentN").tag(config=True)
    student_names = List(Unicode(), help="the student accounts' names instead (each after account_prefix), as a "
                                         "class's user names may be: lower-case letters, digits, '.', '-', '_' and "
                                         "'+', which nbgrader takes whole (Hub.students is then their number)"
                         ).tag(config=True)
    password = Unicode("", help="one password for every account; empty: a random one, made at the first start "
                                "and kept in <state_dir>/hub/password (root's alone), printed at each start. "
                                "Given on a command line, it is visible to other users in `ps`").tag(config=True)
    state_dir = Unicode("", help=f"the hub's state folder (exchange, environments, database; see "
                                 f"autograder/deploy/run.py), which every account must be able to reach; empty: "
                                 f"{DEFAULT_STATE} (as root), ~/.cache/cnn-inside-hub (--single-account "
                                 f"without root)").tag(config=True)
    account_prefix = Unicode("", help="put before every account's name (the tests use their own accounts)"
                             ).tag(config=True)
    feedback_service = Bool(True, help="run the grading service (`python -m autograder serve`: graded feedback "
                                       "seconds after each submission) as a hub service, as the instructor"
                            ).tag(config=True)
    single_account = Bool(False, help="DEMO ONLY, NO ISOLATION: every account's server runs as you, without root "
                                      "and without grading service").tag(config=True)
    lti = Unicode("", help="the LMS registration's settings file (c.LTITool...., README 'From an LMS: LTI 1.3'), by "
                           "its absolute path: people then arrive from the LMS (LTI 1.3 launches; no password, no "
                           "studentN accounts: a student's account is made at their first launch) and the course's "
                           "scores go back to the LMS gradebook; empty: the shared password").tag(config=True)
    stop_seconds = Float(10, help="on SIGTERM or Ctrl-C, how long JupyterHub may take to stop the service, the "
                                  "servers and the proxy before what is left is killed").tag(config=True)

    @validate("student_names")
    def _portable(self, proposal):
        for name in proposal["value"]:
            if not STUDENT_NAME.fullmatch(name):
                raise TraitError(f"Hub.student_names: {name!r} is not a user name this hub makes (lower-case "
                                 "letters, digits, '.', '-', '_', '+'; a letter, digit or '_' first; 1 to 24 characters)")
        return proposal["value"]

    def student_accounts(self) -> tuple[str, ...]:
        names = self.student_names or [f"student{k}" for k in range(1, self.students + 1)]
        return tuple(f"{self.account_prefix}{name}" for name in names)

    def state(self) -> Path:
        if self.state_dir:
            return Path(self.state_dir).absolute()
        return DEFAULT_STATE if os.geteuid() == 0 else Path.home() / ".cache" / "cnn-inside-hub"


# --- what cannot be served is refused before anything starts ---------------------------------------

def unservable(state: Path) -> str:
    """Why the accounts could not use this state folder ('' if they can): every folder above it must let
    others through (x for others), and the folder itself, if it exists, must be root's."""
    path = Path(os.path.abspath(state))
    for folder in reversed(path.parents):
        try:
            mode = folder.stat().st_mode
        except FileNotFoundError:
            break                           # made by the hub with mode 0755
        if not mode & stat.S_IXOTH:
            return (f"{folder} is closed to other accounts (mode {stat.S_IMODE(mode):04o}), and the hub's accounts "
                    f"must reach {path}")
    if path.exists() and os.geteuid() == 0 and path.stat().st_uid != 0:
        return f"{path} belongs to user id {path.stat().st_uid}, not root: another account could change it"
    return ""


# --- the checkout, the state folder, the course ------------------------------------------------------

def close_checkout() -> list[Path]:
    """solutions/, autograder/ and tests/ of this checkout: nobody but their owner and group may enter
    (the accounts use nothing of the checkout; a checkout in an open folder is closed where it matters)."""
    closed = []
    for name in CLOSED:
        path = ROOT / name
        if path.exists() and path.stat().st_mode & 0o007:
            path.chmod(path.stat().st_mode & ~0o007)
            closed.append(path)
    return closed


def make_state(run: HubRun) -> None:
    """The state folder's own folders, with their owners and modes (deploy/run.py)."""
    for folder, mode in ((run.folder, 0o755), (run.hub_dir, 0o700), (run.folder / "envs", 0o755),
                         (run.folder / "jupyter", 0o755), (run.exchange, 0o1777)):
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and folder.stat().st_uid != 0:
            os.chown(folder, 0, 0)
        folder.chmod(mode)


# the rest of the students' nbgrader configuration, a plain file (nbgrader 0.9.6's fetch_feedback fails for
# a user name holding '+'; the one it defines reads such names, in the Assignments tab and in a terminal)
STUDENTS_CONFIG = ROOT / "hub" / "students_nbgrader_config.py"


def write_jupyter_config(run: HubRun) -> None:
    """Per-role config folders (JUPYTER_CONFIG_PATH of the servers and login shells): nbgrader's exchange
    and course for all; for students, nbgrader's instructor extensions switched off."""
    common = (f"c = get_config()  # noqa: F821\n"
              f"c.Exchange.root = {str(run.exchange)!r}\n"
              f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
              f"c.NbGrader.logfile = '.nbgrader.log'\n")
    for role in ROLES:
        folder = run.config_dir(role)
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        student = role == "student"
        text = common + ("\n" + STUDENTS_CONFIG.read_text() if student else f"c.CourseDirectory.root = {str(run.course())!r}\n")
        (folder / "nbgrader_config.py").write_text(text)
        (folder / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {name: True for name in (STUDENT_HIDDEN_LAB if student else ())}}, indent=1))
        (folder / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {name: False for name in (STUDENT_HIDDEN_SERVER if student else ())}}},
            indent=1))
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(run.folder / "jupyter")], check=True)


HUB_MARK = "# this course's exchange on the hub (python -m autograder hub)"
LTI_MARK = "# this course's LMS registration on the hub (python -m autograder hub --Hub.lti=...)"


def point_at_exchange(run: HubRun) -> None:
    """The course's nbgrader_config.py names this hub's exchange and, in the LTI mode, loads the LMS
    registration's settings (the passback reads them), replacing an earlier hub's lines: a course folder
    outlives the hub, and its own config outranks the servers'."""
    home = run.home(run.instructor)
    relative = f"{COURSE_ID}/nbgrader_config.py"
    lines = read_in_home(home, relative).splitlines()
    for mark in (HUB_MARK, LTI_MARK):   # each mark and its line go; what the instructor wrote after them stays
        if mark in lines:
            at = lines.index(mark)
            lines = lines[:at] + lines[at + 2:]
    lines += [HUB_MARK, f"c.Exchange.root = {str(run.exchange)!r}"]
    if run.lti:
        lines += [LTI_MARK, f"load_subconfig({run.lti!r})  # noqa: F821"]
    write_in_home(home, relative, "\n".join(lines) + "\n", run.instructor if run.isolated and os.geteuid() == 0 else None)


def ensure_course(run: HubRun, release: tuple[str, ...] = (FIRST_ASSIGNMENT,)) -> Path:
    """The instructor's course folder (a private copy of this course, made once: later starts keep the
    instructor's work) and the released assignments, released by the instructor."""
    course = run.course()
    if not course.exists():
        staging = course.with_name(f".{COURSE_ID}-copying")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        for name in COURSE_FILES:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, staging / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            elif src.exists():
                shutil.copy2(src, staging / name)
        if run.isolated and os.geteuid() == 0:   # a fresh copy: nothing of the account's in it yet
            account = pwd.getpwnam(run.instructor)
            subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(staging)], check=True)
        staging.rename(course)
    point_at_exchange(run)
    outbound = run.exchange / COURSE_ID / "outbound"
    for assignment in release:
        if not (outbound / assignment).exists():
            as_user(run, run.instructor, ["nbgrader", "release_assignment", assignment], cwd=course)
    seal_inbound(run)
    return course


def seal_inbound(run: HubRun) -> None:
    """nbgrader makes inbound writable and enterable by all but not listable (2733), and each submission
    folder in it writable by all, hidden by its name's 72 random bits. The sticky bit, added by its owner
    the instructor, keeps a student who learnt another's folder name from renaming or removing it."""
    inbound = run.exchange / COURSE_ID / "inbound"
    if inbound.is_dir() and not inbound.is_symlink():
        as_user(run, run.instructor, ["chmod", "+t", str(inbound)])


# --- preparing a run ---------------------------------------------------------------------------------

def hub_password(hub: Hub, run_dir: Path) -> str:
    """Hub.password, else the one kept from an earlier start, else a new random one (kept)."""
    kept = run_dir / "password"
    if hub.password:
        text = hub.password
    elif kept.is_file():
        return kept.read_text().strip()
    else:
        text = secrets.token_urlsafe(9)
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    return text


def planned_run(hub: Hub) -> HubRun:
    """The run's accounts and places (nothing made yet)."""
    isolated = not hub.single_account
    students = () if hub.lti else hub.student_accounts()
    return HubRun(port=hub.port, state=str(hub.state()), instructor=f"{hub.account_prefix}instructor",
                  students=students, password="", proxy=str(PROXY), isolated=isolated,
                  feedback_service=hub.feedback_service and isolated, lti=hub.lti,
                  lti_records=lti.tool_of(hub.lti).records if hub.lti else "")


def prepare(hub: Hub) -> tuple[HubRun, list[str]]:
    """Everything the hub needs, made or checked (again at each start; what exists is kept). Returns the
    run and lines to print about what was done."""
    run = planned_run(hub)
    notes: list[str] = []
    if not PROXY.exists():
        raise SystemExit(f"{PROXY} is missing: run `make hub` (it installs configurable-http-proxy with npm)")
    make_state(run)
    run = dataclasses.replace(run, password=hub_password(hub, run.hub_dir))
    if run.isolated:
        created = create_accounts(run.accounts)
        if created:
            notes.append("created Unix accounts: " + ", ".join(created))
        closed = close_checkout()
        if closed:
            notes.append("closed to other users (chmod o-rwx): " + ", ".join(str(p) for p in closed))
        kind, why = cgroups.mechanism()
        if kind is None:
            notes.append(f"no control groups for the accounts ({why}): `grade` and the grading service cannot "
                         "hold their memory and process caps, so the service is not started")
            run = dataclasses.replace(run, feedback_service=False)
        else:
            for user in run.accounts:
                cgroups.delegate(user, kind)
            run = dataclasses.replace(run, cgroups=kind)
    else:
        for user in run.accounts:
            run.home(user).mkdir(parents=True, exist_ok=True)
    notes += envs.ensure(run)
    write_jupyter_config(run)
    if run.isolated:
        for user in run.accounts:
            try:
                write_profile(run, user)
            except OSError as err:   # the account's own doing (a link, a FIFO): it costs that account only
                notes.append(f"{user}'s login file was left alone ({err}): their server and terminals lack "
                             "the course's environment until it is a plain file again")
    if run.lti:
        notes += lti.prepare(run)
    ensure_course(run)
    run.write()
    return run, notes


# --- running it ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Running:
    """A running JupyterHub: its run and process (start(), stop())."""
    run: HubRun
    process: subprocess.Popen
    log: Path

    def stop(self, grace: float = 10) -> Left:
        """SIGTERM to JupyterHub, which stops the service, every server and the proxy; after `grace`
        seconds it is killed, and then whatever of the run is left (clean_up)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return clean_up(self.run)


def start(run: HubRun, timeout: float = 120) -> Running:
    """Start JupyterHub (the project's venv) in the state folder's hub/ with hub/jupyterhub_config.py;
    return once it answers."""
    run = dataclasses.replace(run, hub_port=run.hub_port or free_port(), proxy_api_port=run.proxy_api_port or free_port())
    run.write()
    log = run.hub_dir / "jupyterhub.log"
    for private in (run.hub_dir / "jupyterhub.sqlite", log):  # tokens and logins: root's only
        private.touch()
        private.chmod(0o600)
    # nothing of this process's environment (a venv, PYTHONPATH) reaches JupyterHub's services
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": os.environ.get("LANG", "C.UTF-8"), "HOME": os.environ.get("HOME", "/root")}
    with log.open("ab") as out:
        # its own session: Ctrl-C reaches the launcher, which stops it; no terminal for its servers
        process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)],
                                   cwd=run.hub_dir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    hub = Running(run, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            clean_up(run)
            raise RuntimeError(f"jupyterhub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{run.url}hub/api/", timeout=5) as resp:
                if resp.status == 200:
                    return hub
        except OSError:
            time.sleep(0.5)
    hub.stop()
    raise TimeoutError(f"JupyterHub did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


# --- what the launcher prints --------------------------------------------------------------------------

def instructor_commands() -> list[str]:
    """What the instructor types in their terminal after the deadline (README's hub section holds the same
    lines, and tests/test_hub.py runs them from there as the instructor account)."""
    return [f"cd ~/{COURSE_ID}",
            f"nbgrader collect {FIRST_ASSIGNMENT}",
            "python -m autograder grade --submissions submitted --out out",
            f"nbgrader release_feedback {FIRST_ASSIGNMENT}"]


def banner(run: HubRun) -> str:
    lines = [
        "",
        f"JupyterHub for the course {COURSE_ID} is running at {run.url}",
        "",
        *(lti.banner(run) if run.lti else [
            f"Log in on {run.url}hub/login with one of these accounts, password: {run.password}",
            f"  {run.instructor:<14} the instructor: course folder {run.course()}, Formgrader at "
            f"{run.url}user/{run.instructor}/formgrader",
            *(f"  {name:<14} a student: Assignments tab (Nbgrader > Assignment List): fetch {FIRST_ASSIGNMENT}, "
              "work, Validate, Submit" for name in run.students[:1]),
            *(f"  {name:<14} a student" for name in run.students[1:])]),
        "",
        f"Released: {FIRST_ASSIGNMENT}. The exchange: {run.exchange}",
        *([f"Feedback in seconds: the hub runs the grading service `python -m autograder serve` as {run.instructor} "
           f"(service {FEEDBACK_SERVICE!r}; its log: {run.service_log}). Policy: c.FeedbackPolicy in the course's "
           "nbgrader_config.py (enabled = False turns it off; read when the hub starts)."]
          if run.feedback_service else
          ["Feedback comes when the instructor grades (no grading service)."]),
        "",
        "The instructor grades without root, in a terminal of their JupyterLab (File > New > Terminal)"
        + (f", or here with `runuser -u {run.instructor} -- bash -l`:" if run.isolated else ":"),
        *(f"  {line}" for line in instructor_commands()),
        "Students then fetch their feedback in the Assignments tab. "
        + (f"`grade` holds its memory and process caps in the control group the hub delegated to {run.instructor} "
           f"({run.cgroups}), which their server, terminals and login shells join; its sandbox needs no root."
           if run.cgroups else "Without control groups here, `grade` refuses to run students' code (it says why)."),
    ]
    if not run.isolated:
        lines[1:1] = ["SINGLE-ACCOUNT DEMO: every account runs as this Unix user, with no isolation between "
                      "them; students can read each other's files and the instructor's. Never use it with real students.", ""]
    lines += ["", "Ctrl-C (or SIGTERM) stops the hub, the grading service, every server and the proxy."]
    return "\n".join(lines)


# --- the command ---------------------------------------------------------------------------------------

class HubApp(Command):
    """The course on a real JupyterHub on 127.0.0.1: an instructor and N students, each their own Unix account
    (needs root), 01_conv_forward released into nbgrader's exchange. Every option is a trait of the Hub
    configurable, set with --Hub.NAME=VALUE (or the short forms below) or c.Hub.NAME = VALUE in the
    checkout's nbgrader_config.py."""
    name = f"{PROG} hub"
    classes = [Hub]
    aliases = {"port": "Hub.port", "students": "Hub.students", "password": "Hub.password", "state": "Hub.state_dir"}
    flags = {"no-feedback-service": ({"Hub": {"feedback_service": False}},
                                     "do not run the grading service (feedback in seconds after each submit); "
                                     "feedback then comes when the instructor grades (Hub.feedback_service)"),
             "single-account": ({"Hub": {"single_account": True}},
                                "DEMO ONLY, NO ISOLATION: every account's server runs as you, no root needed "
                                "(Hub.single_account)")}

    def hub(self) -> Hub:
        """The Hub as the checkout's nbgrader_config.py and the command line set it."""
        return self.configured(Hub, load_pyconfig_files(["nbgrader_config.py"], str(ROOT)))

    def start(self) -> int:
        return main(self.hub())


def main(hub: Hub) -> int:
    if hub.password and len(hub.password) < 8:
        print("hub: the password must have 8 characters or more (JupyterHub's rule for a shared password)",
              file=sys.stderr)
        return 2
    if not hub.single_account and os.geteuid() != 0:
        print("hub: each person's server runs as their own Unix account, which needs root: `sudo make hub`. "
              "Only to look at the interface on your own machine: --single-account (no isolation).", file=sys.stderr)
        return 2
    if hub.lti and hub.single_account:
        print("hub: the LTI mode makes an account for each student who arrives from the LMS: not with "
              "--single-account", file=sys.stderr)
        return 2
    why = lti.problem(hub.lti) if hub.lti else ""
    if why:
        print(f"hub: {why}", file=sys.stderr)
        return 2
    why = unservable(hub.state())
    if why:
        print(f"hub: cannot serve the state folder {hub.state()}: {why}; choose another with "
              f"--Hub.state_dir=DIR (default {DEFAULT_STATE}).", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        run, notes = prepare(hub)
    except BaseException:     # what was made so far of this run (its control groups) goes
        clean_up(planned_run(hub))
        raise
    for note in notes:
        print(note, flush=True)
    if stopping.is_set():
        clean_up(run)
        return 0
    running = start(run)
    print(banner(running.run), flush=True)
    while not stopping.is_set() and running.process.poll() is None:
        stopping.wait(1)
    if not stopping.is_set():
        print(f"JupyterHub stopped (exit status {running.process.returncode}); its log: {running.log}", file=sys.stderr)
    print("\nstopping the hub, the grading service, the servers and the proxy ...", flush=True)
    began = time.monotonic()
    left = running.stop(hub.stop_seconds)
    print(f"stopped in {time.monotonic() - began:.1f} s" + (f"; killed or removed what was left: {left}" if str(left) else ""),
          flush=True)
    return 0
