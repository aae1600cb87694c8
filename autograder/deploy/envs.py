"""The hub's two Python environments, in its state folder, built with a Python every account can run
(Debian's /usr/bin/python3: a venv links to its base interpreter, and pyenv's under /root is closed):

- the students' (`envs/student`, readable by all): the student distribution's release stage
  `dist/student/<stage>/` installed with its pinned requirements, and jupyterhub for
  `jupyterhub-singleuser`; nothing of autograder/ or solutions/;
- the instructor's (`envs/instructor`, root and the instructor's group only): the project's pinned
  requirements (without the test tools) and, by a .pth line, the course folder in the instructor's home,
  so that `autograder` and `cnn_student` are the course's own: the course's nbgrader_config.py loads in
  their server (Formgrader), and `nbgrader`, `python -m autograder` work in their terminal.

Each is built once and kept while what it was built from is unchanged (a hash stamp), so that starting
the hub again, or the hub tests, costs nothing here. Both are compiled once (the accounts cannot write
.pyc files into them; without them every server would compile JupyterLab's imports at each start).
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..authoring.distribution import write_distribution
from ..paths import ROOT, STUDENT_DIST
from .run import HubRun

# a Python every account can run
PYTHON = Path("/usr/bin/python3")
FIRST_ASSIGNMENT = "01_conv_forward"
# what the students' environment holds: the release stage of the newest assignment the hub releases
STAGE = STUDENT_DIST / FIRST_ASSIGNMENT
# what only the project's tests use: not in the instructor's environment
TEST_TOOLS = ("pytest", "pytest-xdist", "playwright")
COURSE_PTH = "cnn-inside-course.pth"
STAMP = ".built-from"
NAMES = {"student": "students'", "instructor": "instructor's"}
# JupyterLab settings for everyone: this machine has no internet; do not ask to fetch news
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
                 # the notebook's own kernel, started without a "Select Kernel" question on a busy machine
                 "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}


def ensure_release() -> None:
    """dist/student/<stage>/ from the committed release (notebooks/ and the package's expected values,
    which `release` keeps up to date); the release itself is not rewritten, others may be reading it."""
    if not (STAGE / "requirements.txt").exists():
        write_distribution()


def pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.strip()
    raise ValueError(f"requirements.txt pins no {name}")


def instructor_requirements() -> list[str]:
    """The project's pinned requirements, without the test tools."""
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")
            and line.split("==")[0].lower() not in TEST_TOOLS]


def _stage_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in STAGE.rglob("*") if p.is_file() and "notebooks" not in p.parts
                       and "build" not in p.relative_to(STAGE).parts and ".egg-info" not in str(p)):
        digest.update(str(path.relative_to(STAGE)).encode() + path.read_bytes())
    return digest.hexdigest()


def _wanted(role: str) -> str:
    """What the environment of that role is built from, hashed (its stamp)."""
    what = {"python": os.path.realpath(PYTHON), "lab": LAB_OVERRIDES, "jupyterhub": pinned("jupyterhub")}
    if role == "student":
        what["stage"] = _stage_hash()
    else:
        what["requirements"] = instructor_requirements()
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _build(env: Path, role: str, want: str) -> float:
    """A fresh venv at env with the role's packages; returns the seconds it took."""
    start = time.monotonic()
    if env.exists():
        shutil.rmtree(env)
    subprocess.run([str(PYTHON), "-m", "venv", "--without-pip", str(env)], check=True)
    packages = ["-r", str(STAGE / "requirements.txt"), str(STAGE), pinned("jupyterhub")] if role == "student" \
        else instructor_requirements()
    # pip of the project's venv installs into it: no pip inside (the accounts need none), no .pyc yet
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
                          "--quiet", "--no-compile", "--disable-pip-version-check", *packages],
                         capture_output=True, text=True)
    if pip.returncode:
        raise RuntimeError(f"installing the {NAMES[role]} environment failed:\n{pip.stdout}{pip.stderr}")
    subprocess.run([str(env / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", str(env / "lib")],
                   check=True, capture_output=True)
    settings = env / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))
    if role == "student":
        shutil.copytree(STAGE / "data", env / "share" / "cnn-inside-data", dirs_exist_ok=True)
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(env)], check=True)
    (env / STAMP).write_text(want)
    return time.monotonic() - start


def site_packages(env: Path) -> Path:
    return next((env / "lib").glob("python3*/site-packages"))


def ensure(run: HubRun) -> list[str]:
    """Both environments, built where missing or out of date (side by side: pip waits on the disk and
    the network cache more than on the cores). Returns what was built, with its time."""
    ensure_release()
    todo = {}
    for role in ("student", "instructor"):
        want = _wanted(role)
        stamp = run.env(role) / STAMP
        if not (stamp.exists() and stamp.read_text() == want):
            todo[role] = want
    if todo:
        print(f"building the {' and the '.join(NAMES[r] for r in todo)} environment in {run.folder / 'envs'} "
              "(a minute or two) ...", flush=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        took = dict(zip(todo, pool.map(lambda role: _build(run.env(role), role, todo[role]), todo)))
    finish_instructor_env(run)
    return [f"built the {NAMES[role]} environment in {seconds:.0f} s" for role, seconds in took.items()]


def finish_instructor_env(run: HubRun) -> None:
    """The instructor's environment reads `autograder` and `cnn_student` from their course folder (a .pth
    line, written at each start: the account may have been made again), and only they may enter it:
    its answers are in that folder, not here, but what the course imports is theirs to see."""
    env = run.env("instructor")
    (site_packages(env) / COURSE_PTH).write_text(f"{run.course()}\n")
    if run.isolated and os.geteuid() == 0:
        os.chown(env, 0, pwd.getpwnam(run.instructor).pw_gid)
        env.chmod(0o750)
