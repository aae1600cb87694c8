"""The hub's LTI 1.3 mode (`--Hub.lti=/srv/cnn-inside-hub/lti_config.py`; README, "From an LMS"): people
arrive from the LMS (autograder.lms.launch.CourseLTIAuthenticator, named by hub/jupyterhub_config.py)
instead of with the shared password, and the course's scores go back to it.

The settings file is the one the LMS registration is written in (`c.LTITool.issuer = ...`), read by the
hub's login and, through a line the launcher adds to the course's nbgrader_config.py, by the passback
that runs as the instructor (`grade` in the course, and the hub's service `autograder-lms-passback`).
What the launcher does for it, as root, before JupyterHub starts: checks the settings, makes the tool's
key and the launch records (root's, readable by the instructor's group), and points the course at the
file. A student's account is made at their first launch (useradd, by the authenticator); before their
server starts, it gets what the launcher gives every account at each start: its ~/.profile block and
its delegated control group (`ready`).
"""
from __future__ import annotations

import pwd
import shlex
from pathlib import Path

from ..lms.keys import ensure_key
from ..lms.settings import LTITool, read_config
from ..lms.store import LaunchRecords
from . import cgroups
from .accounts import as_user, write_profile
from .run import HubRun

PASSBACK_SERVICE = "autograder-lms-passback"
# what the LMS asks for when the tool is registered (README, "Registering the tool"), under the hub's URL
REGISTRATION = (("OpenID Connect login initiation URL", "hub/lti13/oauth_login"),
                ("redirect (launch) URL", "hub/lti13/oauth_callback"),
                ("target link URI", "hub/user-redirect/lab/workspaces/assignments"),
                ("the tool's public key set (JWKS) URL", "hub/lti13/jwks"))


def tool_of(settings_file: str) -> LTITool:
    return LTITool(config=read_config(Path(settings_file)))


def problem(settings_file: str) -> str:
    """Why the hub cannot run with this LTI settings file ('' if it can)."""
    path = Path(settings_file)
    if not path.is_absolute():
        return f"Hub.lti {settings_file!r}: give the settings file's absolute path"
    if not path.is_file():
        return f"Hub.lti: there is no file {path} (README, 'From an LMS: LTI 1.3', shows what it holds)"
    try:
        tool = tool_of(settings_file)
    except Exception as err:    # traitlets runs the file: whatever it raises is the file's mistake
        return f"{path} could not be read: {type(err).__name__}: {err}"
    missing = sorted(set(tool.missing("launch")) | set(tool.missing("passback")))
    if missing:
        return f"{path} lacks {', '.join(missing)} (README, 'From an LMS: LTI 1.3')"
    for name in ("records", "tool_key_file"):
        if not Path(getattr(tool, name)).is_absolute():
            return f"{path}: LTITool.{name} must be an absolute path"
    return ""


def prepare(run: HubRun) -> list[str]:
    """The tool's key and the launch records (made once, root's and the instructor's group's), and the
    settings file named in the course's nbgrader_config.py; lines to print about what was done."""
    tool = tool_of(run.lti)
    group = pwd.getpwnam(run.instructor).pw_gid if run.isolated else -1
    notes = []
    if not Path(tool.tool_key_file).exists():
        notes.append(f"made the LTI tool's key {tool.tool_key_file} (its public key set: HUB/hub/lti13/jwks)")
    ensure_key(Path(tool.tool_key_file), group)
    LaunchRecords(Path(tool.records), group=group)
    if run.isolated:   # the passback runs as the instructor: it reads the settings, the key and the records
        paths = (run.lti, tool.tool_key_file, tool.records)     # one login shell for the three
        said = as_user(run, run.instructor, ["sh", "-c", 'for p; do test -r "$p" || echo "$p"; done', "-", *paths],
                       check=False).stdout
        unread = [p for p in paths if p in said.splitlines()]
        if unread:
            raise SystemExit(f"hub: {run.instructor} cannot read {', '.join(unread)}: the grade passback runs as "
                             "the instructor. Make every folder above them enterable (chmod o+x) and the settings "
                             "file readable (it holds no secret; the key and the records are the instructor's "
                             "group's)")
    return notes


def ready(run: HubRun, user: str) -> None:
    """Before a server starts (the hub's pre-spawn hook, as root): an account made at a launch gets its
    ~/.profile block and its control group, as the launcher gives every account at each start."""
    if not run.isolated or user == run.instructor:
        return
    write_profile(run, user)
    if run.cgroups and not cgroups.left(cgroups.planned(user, run.cgroups)):
        cgroups.delegate(user, run.cgroups)


def passback_service(run: HubRun) -> dict:
    """JupyterHub's service that posts the course's changed scores every GradePassback.every_seconds, as
    the instructor (a change in Formgrader, a late penalty, a regrade reach the LMS without a command)."""
    course = run.course()
    log = course / "lms-passback.log"
    passback = ["python", "-m", "autograder", "lms", "passback", "--course", str(course), "--every"]
    command = f"exec {shlex.join(passback)} >> {shlex.quote(str(log))} 2>&1"
    return {"name": PASSBACK_SERVICE, "user": run.instructor, "cwd": str(course),
            "command": ["bash", "-l", "-c", command], "environment": {"LANG": "C.UTF-8"}}


def banner(run: HubRun) -> list[str]:
    """How people log in, in the launcher's banner."""
    return [f"People log in from the LMS (LTI 1.3; the registration's settings: {run.lti}). The LMS's Instructor "
            f"role logs in as {run.instructor} (course folder {run.course()}, Formgrader at "
            f"{run.url}user/{run.instructor}/formgrader); a student gets an account at their first launch "
            f"({len(run.lti_students)} so far). The tool's URLs, as the LMS asks for them:",
            *(f"  {what}: {run.url}{path}" for what, path in REGISTRATION),
            f"Scores go to the LMS gradebook after each `grade` in the course and every GradePassback.every_seconds "
            f"(the hub's service {PASSBACK_SERVICE!r}, as {run.instructor}); what was posted and what waits: "
            f"{run.course() / 'lms-passback.txt'}"]
