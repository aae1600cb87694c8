"""`python -m autograder hub`: the course on a real JupyterHub on this machine, for an instructor to try
the path students meet first (log in, Assignments tab, fetch, work, Validate, submit, fetch feedback).

What it sets up (as root; otherwise it prints the commands to run as root and stops):

- one Unix account per person: `instructor`, `student1` ... `studentN` (useradd); each single-user
  server runs as its own account (JupyterHub's LocalProcessSpawner), so students are kept apart by the
  operating system's permissions, not by the notebook interface;
- the students' environment `.hub/student-env`: a venv holding the student distribution (the release stage `dist/student/01_conv_forward`,
  from `python -m autograder release`: the package `cnn_student` and the pinned requirements, nbgrader
  for its JupyterLab extensions) and jupyterhub for `jupyterhub-singleuser`; nothing of autograder/ or
  solutions/; the checkout's solutions/, autograder/ and tests/ are closed to other users (chmod o-rwx);
- nbgrader's exchange `.hub/exchange` (writable by everyone, as nbgrader requires; nbgrader itself makes
  the course's inbound folder writable but not listable, so a student submits without seeing others,
  and names each submission with 72 random bits; the hub adds the sticky bit to inbound);
- the instructor's course folder `~instructor/cnn-inside`: a copy of this course (solutions/, notebooks/,
  autograder/, nbgrader_config.py) that the instructor owns and nobody else can read, with
  01_conv_forward released into the exchange by `nbgrader release_assignment` run as the instructor;
- per-role Jupyter configuration passed to the single-user servers with JUPYTER_CONFIG_PATH: the
  exchange and course id for all; for students the Assignments tab and Validate only (nbgrader's table
  for a hub: no Formgrader, Course List or Create Assignment), for the instructor all of them;
- JupyterHub itself (pinned in requirements.txt, run from the project's venv) with its sqlite database
  and cookie secret in `.hub/`, and configurable-http-proxy from `hub/node/` (npm, project-local).

Logins use JupyterHub's SharedPasswordAuthenticator limited to these accounts: one password for every
demo account (random unless --password). Anyone who knows it can log in as any of them, which is what a
shared demo password means; the accounts' Unix permissions still keep one person's code and files from
another's. For a real class use PAM or your institution's login (see README).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..paths import COURSE_ID, ROOT, STUDENT_DIST

STATE = ROOT / ".hub"                      # everything the hub writes; .gitignore covers it
STUDENT_ENV = STATE / "student-env"        # shared by every hub started from this checkout
# a Python every account can run (a venv links to its base interpreter; pyenv's under /root is closed)
STUDENT_PYTHON = Path(os.environ.get("CNN_HUB_PYTHON", "/usr/bin/python3"))
PROXY = ROOT / "hub" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
FIRST_ASSIGNMENT = "01_conv_forward"
CLOSED = ("solutions", "autograder", "tests")  # what students on this machine must not read in the checkout
COURSE_FILES = ("autograder", "cnn_student", "solutions", "notebooks", "data", "nbgrader_config.py",
                "pyproject.toml", "requirements.txt", "README.md")
# nbgrader's table for a hub ("Using nbgrader with JupyterHub"): what each role sees
STUDENT_HIDDEN_LAB = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment")
STUDENT_HIDDEN_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
# JupyterLab settings for everyone: this machine has no internet; do not ask to fetch news
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
                 # the notebook's own kernel, started without a "Select Kernel" question on a busy machine
                 "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}


@dataclass(frozen=True)
class HubSettings:
    """What one hub run is: written to STATE/hub.json, read by the JupyterHub config file."""
    port: int
    students: int
    password: str
    state: str
    prefix: str = ""                 # account names' prefix (the tests use their own accounts)
    isolated: bool = True            # False: --single-account, no Unix isolation
    feedback_service: bool = True    # `python -m autograder serve` as a hub service (feedback in seconds)
    hub_port: int = 0
    proxy_api_port: int = 0

    @property
    def instructor(self) -> str:
        return f"{self.prefix}instructor"

    @property
    def student_names(self) -> list[str]:
        return [f"{self.prefix}student{k}" for k in range(1, self.students + 1)]

    @property
    def accounts(self) -> list[str]:
        return [self.instructor, *self.student_names]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def folder(self) -> Path:
        return Path(self.state)

    @property
    def exchange(self) -> Path:
        return self.folder / "exchange"

    def config_dir(self, role: str) -> Path:
        """The Jupyter config folder the single-user servers of that role ('student', 'instructor') read."""
        return self.folder / "jupyter" / role

    def home(self, user: str) -> Path:
        if not self.isolated:
            return self.folder / "homes" / user
        return Path(pwd.getpwnam(user).pw_dir)

    def course(self) -> Path:
        return self.home(self.instructor) / COURSE_ID


# --- the students' environment --------------------------------------------------------------------

# what the students' environment holds: the release stage of the newest assignment the hub releases
# (its student package with the visible expected values of the assignments released so far)
STAGE = STUDENT_DIST / FIRST_ASSIGNMENT


def ensure_release() -> None:
    """dist/student/<stage>/ from the committed release (notebooks/ and the package's expected values,
    which `release` keeps up to date); the release itself is not rewritten, others may be reading it."""
    if not (STAGE / "requirements.txt").exists():
        from ..authoring.distribution import write_distribution
        write_distribution()


def _dist_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in STAGE.rglob("*") if p.is_file() and "notebooks" not in p.parts):
        digest.update(str(path.relative_to(STAGE)).encode() + path.read_bytes())
    digest.update(_jupyterhub_pin().encode())
    return digest.hexdigest()


def _jupyterhub_pin() -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith("jupyterhub=="):
            return line.strip()
    raise ValueError("requirements.txt pins no jupyterhub")


def ensure_student_env(env: Path = STUDENT_ENV) -> Path:
    """The venv the single-user servers run in: the stage dist/student/<assignment>/ installed (not
    editable) with its pins,
    and jupyterhub (for jupyterhub-singleuser). Rebuilt when the distribution changes."""
    ensure_release()
    stamp, want = env / ".dist-hash", _dist_hash()
    if stamp.exists() and stamp.read_text() == want:
        return env
    print(f"building the students' environment in {env} (about 45 s) ...", flush=True)
    if env.exists():
        shutil.rmtree(env)
    subprocess.run([str(STUDENT_PYTHON), "-m", "venv", "--without-pip", str(env)], check=True)
    # pip of the project's venv installs into it: no pip inside (students need none), no .pyc compiling
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
                          "--quiet", "--no-compile", "--disable-pip-version-check",
                          "-r", str(STAGE / "requirements.txt"), str(STAGE), _jupyterhub_pin()],
                         capture_output=True, text=True)
    if pip.returncode:
        raise RuntimeError(f"installing the students' environment failed:\n{pip.stdout}{pip.stderr}")
    # compiled once here (13 s on 2 cores): the accounts cannot write .pyc files into it, and without
    # them every single-user server compiles JupyterLab's imports again at each start
    subprocess.run([str(env / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", str(env / "lib")],
                   check=True, capture_output=True)
    settings = env / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))
    shutil.copytree(STAGE / "data", env / "share" / "cnn-inside-data", dirs_exist_ok=True)
    _open_to_all(env)
    stamp.write_text(want)
    return env


def student_data(env: Path = STUDENT_ENV) -> Path:
    """Where the notebooks find their data (CNN_STUDENT_DATA): the exchange hands out notebooks only."""
    return env / "share" / "cnn-inside-data"


def _open_to_all(path: Path) -> None:
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(path)], check=True)


# --- accounts, folders, configuration -------------------------------------------------------------

def missing_accounts(names: list[str]) -> list[str]:
    missing = []
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            missing.append(name)
    return missing


def root_commands(settings: HubSettings) -> list[str]:
    """What someone without root runs as root before `python -m autograder hub` works."""
    return [f"useradd --create-home --shell /bin/bash {name}" for name in missing_accounts(settings.accounts)] \
        + [f"chmod o-rwx {ROOT / name}" for name in CLOSED]


def create_accounts(names: list[str]) -> list[str]:
    created = missing_accounts(names)
    for name in created:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    for name in names:  # homes are private whatever the system's default (the instructor's: see give_back)
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    return created


def close_checkout() -> list[Path]:
    """solutions/, autograder/ and tests/ of this checkout: nobody but their owner and group may enter."""
    closed = []
    for name in CLOSED:
        path = ROOT / name
        if path.exists() and path.stat().st_mode & 0o007:
            path.chmod(path.stat().st_mode & ~0o007)
            closed.append(path)
    return closed


def write_jupyter_config(settings: HubSettings) -> None:
    """Per-role config folders (on JUPYTER_CONFIG_PATH of the single-user servers): nbgrader's exchange
    and course for all; for students, nbgrader's instructor extensions switched off."""
    common = (f"c = get_config()  # noqa: F821\n"
              f"c.Exchange.root = {str(settings.exchange)!r}\n"
              f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
              f"c.NbGrader.logfile = '.nbgrader.log'\n")
    for role in ("student", "instructor"):
        folder = settings.config_dir(role)
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        text = common
        hidden_lab: tuple[str, ...] = STUDENT_HIDDEN_LAB if role == "student" else ()
        hidden_server: tuple[str, ...] = STUDENT_HIDDEN_SERVER if role == "student" else ()
        if role == "instructor":
            text += f"c.CourseDirectory.root = {str(settings.course())!r}\n"
        (folder / "nbgrader_config.py").write_text(text)
        (folder / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {name: True for name in hidden_lab}}, indent=1))
        (folder / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {name: False for name in hidden_server}}}, indent=1))
    _open_to_all(settings.folder / "jupyter")


def ensure_exchange(settings: HubSettings) -> Path:
    """The exchange root: writable by everyone with the sticky bit, as a shared /tmp-like folder
    (nbgrader requires it writable by all; the sticky bit keeps one user from removing another's files)."""
    settings.exchange.mkdir(parents=True, exist_ok=True)
    settings.exchange.chmod(0o1777)
    return settings.exchange


def as_user(settings: HubSettings, user: str, cmd: list[str], cwd: Path | None = None,
            check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run cmd as that account (runuser) with the students' environment and the role's Jupyter config."""
    role = "instructor" if user == settings.instructor else "student"
    env = {"PATH": f"{STUDENT_ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(settings.home(user)),
           "USER": user, "LANG": "C.UTF-8", "JUPYTER_CONFIG_PATH": str(settings.config_dir(role)),
           "CNN_STUDENT_DATA": str(student_data())}
    if settings.isolated and os.geteuid() == 0:
        cmd = ["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()), *cmd]
        env = dict(os.environ)
    else:
        env = dict(os.environ, **env)
    return subprocess.run(cmd, cwd=cwd or settings.home(user), env=env, check=check, text=True,
                          capture_output=True, **kwargs)


def ensure_course(settings: HubSettings, release: tuple[str, ...] = (FIRST_ASSIGNMENT,)) -> Path:
    """The instructor's course folder (a private copy of this course) and the released assignments."""
    course = settings.course()
    if not course.exists():
        course.mkdir(parents=True)
        for name in COURSE_FILES:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, course / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            elif src.exists():
                shutil.copy2(src, course / name)
    point_at_exchange(course / "nbgrader_config.py", settings.exchange)
    give_back(settings)
    outbound = settings.exchange / COURSE_ID / "outbound"
    for assignment in release:
        if not (outbound / assignment).exists():
            as_user(settings, settings.instructor, ["nbgrader", "release_assignment", assignment], cwd=course)
    seal_inbound(settings)
    return course


HUB_MARK = "# this course's exchange on the hub (python -m autograder hub)"


def point_at_exchange(config: Path, exchange: Path) -> None:
    """The course's nbgrader_config.py names this hub's exchange (replacing an earlier hub's line: a
    course folder outlives the hub, and its own config outranks the servers')."""
    lines = config.read_text().splitlines()
    if HUB_MARK in lines:
        lines = lines[:lines.index(HUB_MARK)]
    config.write_text("\n".join(lines + [HUB_MARK, f"c.Exchange.root = {str(exchange)!r}"]) + "\n")


def give_back(settings: HubSettings) -> None:
    """The course folder (and the home it is in) belong to the instructor and, by group, to root, who runs
    `grade` there: the grader's sandbox keeps root's group but none of its privileges, so it reads the
    course through the group. Other accounts get nothing. Run again after root has graded."""
    if not (settings.isolated and os.geteuid() == 0):
        return
    course, home = settings.course(), settings.home(settings.instructor)
    owner = pwd.getpwnam(settings.instructor).pw_uid
    subprocess.run(["chown", "-R", f"{owner}:0", str(course)], check=True)
    subprocess.run(["chmod", "-R", "g+rX,g-w", str(course)], check=True)
    subprocess.run(["find", str(course), "-type", "d", "-exec", "chmod", "g+s", "{}", "+"], check=True)
    # closed at its door, not file by file: `nbgrader release_feedback` copies feedback pages into the
    # exchange with their modes, and students must be able to read their own there
    course.chmod(0o2750)
    os.chown(home, owner, 0)
    home.chmod(0o750)


def seal_inbound(settings: HubSettings) -> None:
    """nbgrader makes inbound writable and enterable by all but not listable (2733), and each submission
    folder in it writable by all, hidden by its name's 72 random bits. The sticky bit added here keeps a
    student who learnt another's folder name from renaming or removing that folder as a whole."""
    inbound = settings.exchange / COURSE_ID / "inbound"
    if inbound.exists():
        inbound.chmod(inbound.stat().st_mode & 0o7777 | 0o1000)


# --- JupyterHub's configuration -------------------------------------------------------------------

FEEDBACK_SERVICE = "autograder-feedback"


def services(settings: HubSettings) -> list[dict]:
    """The hub's services (JupyterHub.services): the grading service, `python -m autograder serve` in
    the instructor's course folder, which the hub starts, restarts if it dies, and stops with itself.
    It runs as root, as `grade` does here (the memory and process caps and the sandbox need it); it
    reads the exchange and the course, writes only its own state beside the gradebook, and releases
    each page through nbgrader's feedback channel. It needs nothing of the hub's API, so it has no
    URL and no role. Off with --no-feedback-service (then `grade` after the deadline, as without it)."""
    if not settings.feedback_service:
        return []
    course = settings.course()
    log = settings.folder / "autograder-serve.log"
    return [{
        "name": FEEDBACK_SERVICE,
        "command": ["/bin/sh", "-c", 'exec "$0" -m autograder serve --course "$1" --jobs 1 >> "$2" 2>&1',
                    sys.executable, str(course), str(log)],
        "cwd": str(course),
        "environment": {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
                        "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"},
    }]


def service_roles(settings: HubSettings) -> list[dict]:
    """The roles those services need (JupyterHub.load_roles): none (the grading service uses no API)."""
    return []


def configure(c, settings_file: Path) -> None:
    """Fill JupyterHub's config `c` from STATE/hub.json (called by the generated jupyterhub_config.py)."""
    s = HubSettings(**json.loads(Path(settings_file).read_text()))
    c.JupyterHub.bind_url = s.url
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{s.hub_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [str(PROXY)]
    c.ConfigurableHTTPProxy.pid_file = str(s.folder / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{s.folder / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(s.folder / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(s.folder / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True   # stopping the hub stops every single-user server
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = s.password
    c.Authenticator.allowed_users = set(s.accounts)
    c.JupyterHub.services = services(s)
    c.JupyterHub.load_roles = service_roles(s)
    c.Spawner.cmd = [str(STUDENT_ENV / "bin" / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.env_keep = ["LANG"]         # nothing of the hub's environment (its venv, PYTHONPATH) leaks in
    # a server that died is noticed within 10 s (JupyterHub's default: 30), so that a student whose server
    # crashed can start it again from the hub's home page sooner; one cheap check per running server
    c.Spawner.poll_interval = 10
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 180
    c.Spawner.args = ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]

    def per_user(spawner) -> None:
        role = "instructor" if spawner.user.name == s.instructor else "student"
        spawner.environment = {
            "PATH": f"{STUDENT_ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": str(s.config_dir(role)),
            "CNN_STUDENT_DATA": str(student_data()),
        }
    c.Spawner.pre_spawn_hook = per_user
    if s.isolated:
        c.JupyterHub.spawner_class = "localprocess"
    else:
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = str(s.folder / "homes" / "{username}")
        if os.geteuid() == 0:
            c.Spawner.args = [*c.Spawner.args, "--allow-root"]


def write_hub_config(settings: HubSettings) -> Path:
    (settings.folder / "hub.json").write_text(json.dumps(dataclasses.asdict(settings), indent=1))
    (settings.folder / "hub.json").chmod(0o600)  # it holds the password
    config = settings.folder / "jupyterhub_config.py"
    config.write_text("# written by `python -m autograder hub`: the settings are in hub.json beside it\n"
                      "from pathlib import Path\n"
                      "from autograder.deploy.hub import configure\n\n"
                      "configure(c, Path(__file__).with_name('hub.json'))  # noqa: F821\n")
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- running it -------------------------------------------------------------------------------------

@dataclass
class Hub:
    """A running JupyterHub: its settings and process (started by start(), ended by stop())."""
    settings: HubSettings
    process: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 60) -> list[int]:
        """SIGTERM to the hub (which stops every single-user server and the proxy it started); then any
        process left running as a demo account or the proxy is killed. Returns the pids that were left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        left = leftover_processes(self.settings)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left


def leftover_processes(settings: HubSettings) -> list[int]:
    """Processes run by the demo accounts, and this hub's proxy, still alive."""
    uids = set()
    if settings.isolated:
        for name in settings.accounts:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
    proxy_pid = None
    pid_file = settings.folder / "proxy.pid"
    if pid_file.exists():
        try:
            proxy_pid = int(pid_file.read_text().strip())
        except ValueError:
            pass
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid in uids or int(entry.name) == proxy_pid:
                if (entry / "cmdline").read_bytes():  # not a zombie
                    left.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return left


def prepare(settings: HubSettings) -> list[str]:
    """Everything the hub needs, as root. Returns lines to print about what was done."""
    notes = []
    if not PROXY.exists():
        raise SystemExit(f"{PROXY} is missing: run `make hub` (it installs configurable-http-proxy with npm)")
    settings.folder.mkdir(parents=True, exist_ok=True)
    settings.folder.chmod(0o755)  # the servers run as the demo accounts and read the config and exchange here
    ensure_student_env()
    if settings.isolated:
        created = create_accounts(settings.accounts)
        if created:
            notes.append("created Unix accounts: " + ", ".join(created))
        closed = close_checkout()
        if closed:
            notes.append("closed to other users (chmod o-rwx): " + ", ".join(str(p) for p in closed))
    else:
        for user in settings.accounts:
            settings.home(user).mkdir(parents=True, exist_ok=True)
    ensure_exchange(settings)
    write_jupyter_config(settings)
    ensure_course(settings)
    return notes


def start(settings: HubSettings, timeout: float = 120) -> Hub:
    """Start JupyterHub (the project's venv) with the configuration of settings; return once it answers."""
    settings = dataclasses.replace(settings, hub_port=settings.hub_port or free_port(),
                                   proxy_api_port=settings.proxy_api_port or free_port())
    config = write_hub_config(settings)
    log = settings.folder / "jupyterhub.log"
    for private in (settings.folder / "jupyterhub.sqlite", log):  # tokens and logins: root's only
        private.touch()
        private.chmod(0o600)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               PYTHONPATH=str(ROOT))
    with log.open("ab") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)],
                                   cwd=settings.folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    hub = Hub(settings, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{settings.url}hub/api/", timeout=5) as resp:
                if resp.status == 200:
                    return hub
        except OSError:
            time.sleep(0.5)
    hub.stop()
    raise TimeoutError(f"JupyterHub did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def banner(settings: HubSettings) -> str:
    grade = (f"  cd {settings.course()} && {ROOT / '.venv/bin/python'} -m autograder grade "
             "--submissions submitted --out out")
    lines = [
        "",
        f"JupyterHub for the course {COURSE_ID} is running at {settings.url}",
        "",
        f"Log in on {settings.url}hub/login with one of these accounts, password: {settings.password}",
        f"  {settings.instructor:<14} the instructor: course folder {settings.course()}, Formgrader at "
        f"{settings.url}user/{settings.instructor}/formgrader",
        *(f"  {name:<14} a student: Assignments tab (Nbgrader > Assignments): fetch {FIRST_ASSIGNMENT}, "
          "work, Validate, submit" for name in settings.student_names[:1]),
        *(f"  {name:<14} a student" for name in settings.student_names[1:]),
        "",
        f"Released: {FIRST_ASSIGNMENT}. The exchange: {settings.exchange}",
        *([f"Feedback in seconds: the hub runs `python -m autograder serve` (service {FEEDBACK_SERVICE!r}, its log "
           f"{settings.folder / 'autograder-serve.log'}): each submission is graded and its page released; the "
           "student's Fetch Feedback shows it. Policy: c.FeedbackPolicy in the course's nbgrader_config.py "
           "(enabled = False turns it off; read when the hub starts)."] if settings.feedback_service else
          ["Feedback comes when the instructor grades (no grading service: --no-feedback-service, or not root)."]),
        "",
        "The instructor, in a terminal of their JupyterLab"
        + (f" (or `runuser -u {settings.instructor} -- bash -l` here):" if settings.isolated else ":"),
        f"  cd ~/{COURSE_ID} && nbgrader collect {FIRST_ASSIGNMENT}",
        "then, on this machine as root (the grader's memory and process caps need it; the course folder's group is root):",
        grade,
        f"  chown -R {settings.instructor}:root {settings.course()}   # the course back to the instructor",
        f"and as the instructor: nbgrader release_feedback {FIRST_ASSIGNMENT}; students fetch it in the Assignments tab.",
    ]
    if not settings.isolated:
        lines[1:1] = ["", "SINGLE-ACCOUNT DEMO: every account runs as this Unix user, with no isolation between "
                      "them; students can read each other's files and the instructor's. Never use it with real students."]
    lines += ["", "Ctrl-C stops the hub, every single-user server and the proxy."]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    password = args.password or secrets.token_urlsafe(9)
    if len(password) < 8:
        print("--password must have 8 characters or more (JupyterHub's rule for a shared password)", file=sys.stderr)
        return 2
    settings = HubSettings(port=args.port, students=args.students, password=password,
                           state=str(args.state.resolve()), isolated=not args.single_account,
                           # serve needs root for its caps, as grade does; without it, grade after the deadline
                           feedback_service=not args.no_feedback_service and os.geteuid() == 0)
    if settings.isolated and os.geteuid() != 0:
        print("The hub runs each person's server as their own Unix account, which needs root.\n"
              "Run `sudo make hub` (or, as root, the commands below, then `sudo .venv/bin/python -m autograder hub`):\n  "
              + "\n  ".join(root_commands(settings))
              + "\nOr, only to look at the interface on your own machine: --single-account (no isolation).",
              file=sys.stderr)
        return 2
    for note in prepare(settings):
        print(note)
    hub = start(settings)
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    print(banner(hub.settings), flush=True)
    try:
        while hub.process.poll() is None:
            time.sleep(1)
        print(f"JupyterHub stopped (exit status {hub.process.returncode}); its log: {hub.log}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping the hub, the single-user servers and the proxy ...", flush=True)
    finally:
        left = hub.stop()
        if left:
            print(f"killed {len(left)} process(es) left behind: {left}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="the hub's port on 127.0.0.1 (default 8000)")
    parser.add_argument("--students", type=int, default=3, help="accounts student1 ... studentN (default 3)")
    parser.add_argument("--password", help="one password for every demo account (default: a random one, printed)")
    parser.add_argument("--state", type=Path, default=STATE, help=f"the hub's own files (default {STATE})")
    parser.add_argument("--no-feedback-service", action="store_true",
                        help="do not run `python -m autograder serve` (feedback in seconds after each submit) "
                             "as a hub service; feedback then comes when you grade")
    parser.add_argument("--single-account", action="store_true",
                        help="DEMO ONLY, NO ISOLATION: every account's server runs as you, no root needed")
