"""Caps on everything one student's kernel can take from the grading machine, and the Linux mechanism
that holds them here.

- memory, in-memory files included (a file in a tmpfs is memory), and processes + threads: a control
  group per graded unit, which every kernel of the unit joins before it starts. Chosen by what the machine
  offers, in this order:
    cgroup2  a cgroup v2 hierarchy whose group (the grader's own) delegates the memory and pids controllers
             to its children (a systemd service with Delegate=yes, a container with its own cgroup);
    cgroup1  cgroup v1's memory and pids hierarchies, where the grader may create groups (root);
    systemd  a transient scope per kernel, `systemd-run --user --scope -p MemoryMax -p TasksMax`, where a
             systemd user session delegates those controllers.
  The grader creates the group, the process that becomes the kernel's sandbox joins it (sandbox.JOIN), and
  the grader kills whatever is left in it and removes it when the unit ends, also after a grading process was killed (leftovers.py).
- disk: the kernel's working folder and its /tmp are one size-limited tmpfs (bubblewrap --size); see
  sandbox.command. Its pages are memory too, so they also count against the memory cap.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..records import Limits

PREFIX = "cnn-grader-"
MECHANISMS = ("cgroup2", "cgroup1", "systemd")


@dataclass
class Group:
    """One unit's control group(s): what the kernel joins and the grader removes."""
    mechanism: str
    dirs: list[str] = field(default_factory=list)  # cgroup1: memory and pids; cgroup2: one; systemd: none
    limits: Limits = field(default_factory=Limits)  # its memory_bytes and processes are applied here

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(data: dict) -> "Group":
        return Group(data["mechanism"], list(data["dirs"]), Limits(**data["limits"]))


# --- where the grader's own groups are -------------------------------------------------------------

def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root, fs type, super options) of every cgroup file system."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if tail and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], fields[3], tail[0], set(tail[2].split(",")) if len(tail) > 2 else set()))
    return found


def _own_dir(fstype: str, controller: str = "") -> Path | None:
    """The directory of this process's own group in the hierarchy that has `controller` (v1) or in v2."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            own[name] = path
    for mount, root, kind, options in _mounts():
        if kind != fstype or (fstype == "cgroup" and controller not in options):
            continue
        path = own.get(controller if fstype == "cgroup" else "")
        if path is None:
            continue
        rel = path[len(root):] if root != "/" and path.startswith(root) else path
        return Path(mount + rel.rstrip("/")) if rel != "/" else Path(mount)
    return None


def v2_root() -> Path | None:
    """The mount point of the cgroup v2 hierarchy, if there is one."""
    for mount, root, kind, _ in _mounts():
        if kind == "cgroup2" and root == "/":
            return Path(mount)
    return None


def delegates(group: Path) -> bool:
    """Whether a cgroup v2 group gives the memory and pids controllers to its children."""
    try:
        return {"memory", "pids"} <= set((group / "cgroup.subtree_control").read_text().split())
    except OSError:
        return False


def parents(mechanism: str) -> list[Path]:
    if mechanism == "cgroup1":
        return [d for d in (_own_dir("cgroup", "memory"), _own_dir("cgroup", "pids")) if d]
    if mechanism == "cgroup2":
        d = _own_dir("cgroup2")
        # a leaf of a group delegated to this user (cgroup v2 keeps processes out of a group that
        # delegates, so the hub puts its account's processes in a leaf): the units' groups go beside it
        if d and not delegates(d) and delegates(d.parent) and os.access(d.parent, os.W_OK):
            return [d.parent]
        return [d] if d else []
    return []


# --- which mechanism this machine offers -------------------------------------------------------------

def _try_cgroup(mechanism: str) -> str:
    """'' if kernel groups can be made here with this mechanism, else why not."""
    where = parents(mechanism)
    if mechanism == "cgroup1" and len(where) < 2:
        return "cgroup v1's memory and pids hierarchies are not both mounted"
    if mechanism == "cgroup2":
        if not where:
            return "no cgroup v2 hierarchy"
        if not delegates(where[0]):
            delegated = (where[0] / "cgroup.subtree_control").read_text().split()
            return (f"the grader's cgroup v2 group {where[0]} does not delegate memory and pids to its "
                    f"children (cgroup.subtree_control: {' '.join(delegated) or 'empty'})")
    probe = Group(mechanism, limits=Limits(memory_bytes=64 * 1024 ** 2, processes=16))
    try:
        probe = create(probe.mechanism, f"probe-{os.getpid()}", probe.limits)
    except OSError as err:
        return f"cannot create a {mechanism} group under {where[0]}: {err.strerror or err}"
    remove(probe)
    return ""


def _try_systemd() -> str:
    if not shutil.which("systemd-run"):
        return "systemd-run is not installed"
    # the scope must really get the caps: read them back from inside it
    script = 'cat "/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.max" "/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/pids.max"'
    try:
        out = subprocess.run(["systemd-run", "--user", "--scope", "--quiet", "-p", "MemoryMax=67108864",
                              "-p", "TasksMax=16", "--", "sh", "-c", script],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"systemd-run failed: {err}"
    if out.returncode != 0:
        return f"`systemd-run --user --scope` does not work here ({(out.stderr.strip() or out.returncode)})"
    if out.stdout.split() != ["67108864", "16"]:
        return "the systemd user session does not delegate the memory and pids controllers to user scopes"
    return ""


def detect() -> tuple[str | None, str]:
    """(the first mechanism that works here, or None; why each one that does not work does not)."""
    reasons = []
    for mechanism in MECHANISMS:
        try:
            why = _try_systemd() if mechanism == "systemd" else _try_cgroup(mechanism)
        except OSError as err:
            why = str(err)
        if not why:
            return mechanism, ""
        reasons.append(f"{mechanism}: {why}")
    return None, "; ".join(reasons)


def bwrap_has_size() -> bool:
    """bubblewrap 0.7 and later can give a tmpfs a size (`--size`)."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False
    out = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30)
    return "--size" in out.stdout + out.stderr


def usable(sandboxed: bool = True) -> tuple[str | None, str]:
    """(the mechanism that holds every cap here, "") or (None, why the caps cannot all be held): the
    memory and process caps need a mechanism (detect), the disk cap a sandbox whose bubblewrap has --size."""
    mechanism, why = detect()
    if mechanism is not None and sandboxed and not bwrap_has_size():
        return None, "this bubblewrap has no --size (0.7 or later is needed for the disk cap)"
    return mechanism, why


# --- one unit's group ------------------------------------------------------------------------------

def name_for(work: str) -> str:
    """The same name for the same unit, so that whoever cleans up after a killed worker finds it."""
    return PREFIX + hashlib.sha256(str(work).encode()).hexdigest()[:16]


def named(mechanism: str, name: str, limits: Limits = Limits()) -> Group:
    """The group of that name (whether or not it exists)."""
    if mechanism == "systemd":  # systemd-run makes a scope for each kernel and removes it when the kernel ends
        return Group(mechanism, limits=limits)
    return Group(mechanism, [str(parent / name) for parent in parents(mechanism)], limits)


def create(mechanism: str, name: str, limits: Limits) -> Group:
    """Make the group with its caps (a leftover of a killed run is removed first)."""
    group = named(mechanism, name, limits)
    if mechanism == "systemd":
        return group
    remove(group)
    group_dirs = [Path(d) for d in group.dirs]
    for d in group_dirs:
        d.mkdir()
    try:
        if mechanism == "cgroup1":
            memory, pids = group_dirs
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            if (memory / "memory.memsw.limit_in_bytes").exists():  # swap may not extend the cap
                (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))
            (pids / "pids.max").write_text(str(limits.processes))
        else:
            (d,) = group_dirs
            (d / "memory.max").write_text(str(limits.memory_bytes))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            (d / "pids.max").write_text(str(limits.processes))
    except OSError:
        remove(group)
        raise
    return group


def join(group: Group) -> None:
    """Move the calling process (without the sandbox: the kernel's launcher, before it execs the kernel) into
    the group."""
    for d in group.dirs:
        Path(d, "cgroup.procs").write_text(str(os.getpid()))


def command_prefix(group: Group) -> list[str]:
    """What goes before the kernel's command (systemd: a scope with the caps)."""
    if group.mechanism != "systemd":
        return []
    return ["systemd-run", "--user", "--scope", "--quiet", "--collect",
            "-p", f"MemoryMax={group.limits.memory_bytes}", "-p", "MemorySwapMax=0",
            "-p", f"TasksMax={group.limits.processes}", "--"]


def _read_key(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key:
                return int(parts[1])
    except OSError:
        pass
    return 0


def oom_kills(group: Group) -> int:
    """How many processes of the group the kernel killed for going over the memory cap."""
    if not group.dirs:
        return 0
    if group.mechanism == "cgroup1":
        return _read_key(Path(group.dirs[0], "memory.oom_control"), "oom_kill")
    return _read_key(Path(group.dirs[0], "memory.events"), "oom_kill")


def refused_forks(group: Group) -> int:
    """How many times a process of the group could not start a process or thread (the cap was reached)."""
    if not group.dirs:
        return 0
    return _read_key(Path(group.dirs[-1], "pids.events"), "max")


def procs(d: Path) -> list[int]:
    """The processes in one group folder."""
    try:
        return [int(p) for p in (d / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def kill_until_gone(find: Callable[[], Iterable[int]], seconds: float) -> set[int]:
    """SIGKILL the processes find() names until it names none (one may start another meanwhile) or the
    time is up; returns every pid it killed."""
    killed: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = set(find())
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    return killed


def remove(group: Group) -> bool:
    """Kill every process left in the group, then remove it. Safe to call twice, or on no group.
    Whether it is gone (a group is removable only once its last process has left, which can take a
    moment after SIGKILL; it is tried for up to 10 s)."""
    dirs = [Path(d) for d in group.dirs if Path(d).is_dir()]
    deadline = time.monotonic() + 10

    def still_there() -> set[int]:
        pids = {p for d in dirs for p in procs(d)}
        if pids and (dirs[0] / "cgroup.kill").exists():
            (dirs[0] / "cgroup.kill").write_text("1")
        return pids
    while dirs and time.monotonic() < deadline:
        kill_until_gone(still_there, deadline - time.monotonic())
        for d in list(dirs):
            try:
                d.rmdir()
                dirs.remove(d)
            except FileNotFoundError:
                dirs.remove(d)
            except OSError:   # EBUSY: its last processes are still leaving
                pass
        if dirs:
            time.sleep(0.02)
    return not dirs
