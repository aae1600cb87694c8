"""What grading one unit puts on the machine outside its folders, and how all of it goes again.

A unit's kernels need a runtime folder (their connection files and IPC sockets, in /dev/shm so that it
is memory; a random name, made by mkdtemp, so that nobody can plant it first) and, with the caps, a
control group (kernel_caps, named for the unit). The runtime folder holds `owner.json`: the grading
process that holds them (pid and start time) and the unit's groups. A kernel started ahead
(pool.py) has a runtime folder and group of its own, recorded the same way.
- A unit's run removes both when it ends, however it ends (`held`): a normal end, a kernel killed at
  its memory cap, a cell or notebook past its time limit, an error of the grader.
- A grading process that is killed cannot: whoever killed it removes what it held once it is gone
  (`sweep`, from the batch's Worker.stop: a unit past its deadline, Ctrl-C or SIGTERM of `grade`, the
  service stopping), and so does the next grading process on the machine, for a process killed with
  its parent (SIGKILL of `grade` or `serve`, a Dask worker killed): every grading process sweeps when
  it starts.
Processes: whatever a kernel starts is in the unit's group and is killed with it; without caps,
bubblewrap's --die-with-parent (or, without the sandbox, the launcher's parent-death signal) stops the
kernel with the grading process that started it.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional

from . import kernel_caps
from ..records import Limits

RUNTIME_PREFIX = "cnnk-"
OWNER = "owner.json"
CGROUPS = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Owner:
    """Who holds a unit's runtime folder and groups: the record `sweep` reads."""
    pid: int
    started: int                 # the process's start time (clock ticks after boot): a reused pid differs
    work: str                    # the unit's work folder
    mechanism: Optional[str]
    groups: tuple[str, ...]      # the unit's group folders (kernel_caps.Group.dirs)

    def alive(self) -> bool:
        return started(self.pid) == self.started


def started(pid: int) -> Optional[int]:
    """When the process started (clock ticks after boot); None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rpartition(")")[2].split()[19])   # field 22; the command's name may hold spaces


def die_with_parent() -> None:
    """This process gets SIGKILL when its parent (the thread that started it) dies (Linux; kept across
    exec): a grading process dies with its batch, a kernel with its grading process."""
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def runtime_base() -> Path:
    return Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())


@contextmanager
def held(work: Path, mechanism: Optional[str], limits: Limits) -> Iterator[tuple[Path, Optional[kernel_caps.Group]]]:
    """(the kernels' runtime folder, control group or None) for one unit, recorded as this process's
    before the group exists, and removed when the block ends, however it ends. The kernels get `run/`
    of the folder (the sandbox mounts only that, read-write, for their sockets), never owner.json
    beside it: a kernel that rewrote the record could name another unit's group for `sweep` to kill."""
    name = kernel_caps.name_for(str(work))
    planned = kernel_caps.named(mechanism, name, limits) if mechanism else None
    runtime = new_runtime()
    try:
        record(runtime, str(work), mechanism, planned)   # first: the folder is never long without its record
        run = runtime / "run"
        run.mkdir(mode=0o700)
        group = kernel_caps.create(mechanism, name, limits) if mechanism else None
        try:
            yield run, group
        finally:
            if planned:
                kernel_caps.remove(planned)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def new_runtime() -> Path:
    """A runtime folder of this user's (a random name: nobody can plant it first), short: IPC socket
    paths are limited to 107 bytes."""
    return Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX, dir=runtime_base()))


def record(runtime: Path, work: str, mechanism: Optional[str], planned: Optional[kernel_caps.Group]) -> None:
    """Write the runtime folder's owner.json: this process holds it and the `planned` group, which is
    recorded before it is created, so that a process killed in between leaves nothing `sweep` misses."""
    me = os.getpid()
    owner = Owner(me, started(me) or 0, work, mechanism, tuple(planned.dirs if planned else ()))
    # whole or not at all: a process killed while writing owner.json in place left it empty (seen after
    # make test: a Dask worker killed as its pool started a kernel), a folder `sweep` can never attribute
    partial = runtime / (OWNER + ".partial")
    partial.write_text(json.dumps(asdict(owner)))
    os.replace(partial, runtime / OWNER)


def owners() -> Iterator[tuple[Path, Optional[Owner]]]:
    """Each runtime folder of this user, with its record (None: none that can be read)."""
    for folder in sorted(runtime_base().glob(RUNTIME_PREFIX + "*")):
        try:
            st = folder.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            continue
        try:
            data = json.loads((folder / OWNER).read_text())
            yield folder, Owner(**dict(data, groups=tuple(data["groups"])))
        except (OSError, ValueError, TypeError, KeyError):
            yield folder, None


def sweep() -> list[str]:
    """Remove what units of grading processes that are gone left: their groups (with any process
    still in them) and runtime folders. Returns their work folders."""
    removed = []
    for folder, owner in owners():
        if owner is None or owner.alive():
            continue
        groups = [d for d in owner.groups if Path(d).name.startswith(kernel_caps.PREFIX) and Path(d).is_relative_to(CGROUPS)]
        kernel_caps.remove(kernel_caps.Group(owner.mechanism or "", groups))
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(owner.work)
    return removed
