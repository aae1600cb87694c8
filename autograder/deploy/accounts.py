"""The hub's accounts and what root writes into their homes: the accounts themselves (useradd), the
block in each ~/.profile that gives the account's server, terminals and login shells the same
environment and control group, and running a command as the account, in its login shell.

Root writes into a home only through write_in_home, which follows no link the account planted: a
~/.profile that is a symlink to /etc/shadow is refused, not written.
"""
from __future__ import annotations

import os
import pwd
import shlex
import stat
import subprocess
from pathlib import Path

from . import cgroups
from .run import HubRun


def missing_accounts(names: list[str]) -> list[str]:
    missing = []
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            missing.append(name)
    return missing


def create_accounts(names: list[str]) -> list[str]:
    created = missing_accounts(names)
    for name in created:
        # --badname: Debian's useradd refuses '+' and '.', which class user names hold (Hub.student_names
        # checks what it is given)
        subprocess.run(["useradd", "--badname", "--create-home", "--shell", "/bin/bash", name], check=True)
    for name in names:  # homes are private whatever the system's default
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    return created


def remove_accounts(names: list[str]) -> None:
    """Those of these accounts that exist, with their homes (the tests' and benchmarks' accounts, and what
    an interrupted run of theirs left); the hub itself keeps its accounts between runs."""
    for name in names:
        if not missing_accounts([name]):
            subprocess.run(["userdel", "--remove", name], capture_output=True)


MAX_READ = 1024 * 1024    # what root reads of a file in a home (a ~/.profile, the course's config)


def _open_in_home(home: Path, relative: str, flags: int, mode: int = 0o644) -> int:
    """A plain file of the home, opened without following a link the account planted on the way (each
    folder with O_NOFOLLOW) and without blocking on a FIFO; anything else is refused (OSError)."""
    *folders, name = Path(relative).parts
    fds = [os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)]
    try:
        for folder in folders:
            fds.append(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK, mode, dir_fd=fds[-1])
    finally:
        for folder_fd in fds:
            os.close(folder_fd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        raise PermissionError(f"{home / relative} is not a plain file of its own: left alone")
    return fd


def write_in_home(home: Path, relative: str, text: str, owner: str | None) -> None:
    """Write a file in an account's home as root (_open_in_home); the file stays the account's. Without
    owner (the single-account mode): plainly."""
    if owner is None:
        (home / relative).write_text(text)
        return
    account = pwd.getpwnam(owner)
    fd = _open_in_home(home, relative, os.O_WRONLY | os.O_CREAT)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, text.encode())
        os.fchown(fd, account.pw_uid, account.pw_gid)
    finally:
        os.close(fd)


def read_in_home(home: Path, relative: str) -> str:
    """A file of an account's home as root reads it (_open_in_home, at most MAX_READ); '' if there is none."""
    try:
        fd = _open_in_home(home, relative, os.O_RDONLY)
    except FileNotFoundError:
        return ""
    with os.fdopen(fd, "rb") as file:
        data = file.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        raise PermissionError(f"{home / relative} is over {MAX_READ} bytes: left alone")
    return data.decode(errors="replace")


PROFILE_BEGIN = "# >>> the course's hub (written by `python -m autograder hub` at each start) >>>"
PROFILE_END = "# <<< the course's hub <<<"


def profile_block(run: HubRun, user: str) -> str:
    """What ~/.profile adds for the hub: the account's environment as its server has it, and its control
    group while the hub runs (silently nothing once the hub has stopped and removed it)."""
    env = run.environment(user)
    lines = [PROFILE_BEGIN,
             f"export PATH={shlex.quote(str(run.env(run.role(user)) / 'bin'))}:\"$PATH\"",
             *(f"export {key}={shlex.quote(value)}" for key, value in env.items() if key != "PATH")]
    if run.cgroups:
        joined = " ".join(shlex.quote(g) for g in cgroups.planned(user, run.cgroups).join)
        lines += ["# the control group the hub delegated to this account (for the instructor: grade's memory and",
                  "# process caps), joined by every login shell while the hub runs",
                  f"for group in {joined}; do",
                  '    [ -w "$group/cgroup.procs" ] && echo $$ > "$group/cgroup.procs"',
                  "done 2>/dev/null",
                  "true"]
    return "\n".join(lines + [PROFILE_END]) + "\n"


def login_file(home: Path) -> str:
    """The file bash reads first in a login shell (useradd's skeleton gives .profile)."""
    for name in (".bash_profile", ".bash_login"):
        if (home / name).is_file():
            return name
    return ".profile"


def write_profile(run: HubRun, user: str) -> None:
    home = run.home(user)
    name = login_file(home)
    text = read_in_home(home, name)
    if PROFILE_BEGIN in text:
        before, _, rest = text.partition(PROFILE_BEGIN)
        text = before + rest.partition(PROFILE_END + "\n")[2]
    write_in_home(home, name, text.rstrip("\n") + "\n\n" + profile_block(run, user), user)


def as_user(run: HubRun, user: str, cmd: list[str], cwd: Path | None = None,
            check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """cmd as that account, in its login shell (~/.profile: the course's environment, its role's Jupyter
    configuration, its control group), from the clean environment a root login has."""
    if run.isolated and os.geteuid() == 0:
        argv = ["runuser", "-u", user, "--", "bash", "-lc", shlex.join(cmd)]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    else:
        argv, env = cmd, dict(os.environ, HOME=str(run.home(user)), **run.environment(user))
    return subprocess.run(argv, cwd=cwd or run.home(user), env=env, check=check, text=True,
                          capture_output=True, **kwargs)
