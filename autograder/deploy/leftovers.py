"""What a hub run may leave on the machine, found and removed: processes of its accounts (servers,
kernels, the grading service and its workers, a login shell), its proxy, the accounts' control groups
and their kernels' runtime folders (/dev/shm/cnnk-*). The launcher runs clean_up after JupyterHub has
stopped or was killed, and when a preparation failed half-way."""
from __future__ import annotations

import dataclasses
import pwd
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ..grading.api import kill_until_gone
from . import cgroups
from .run import HubRun

KERNEL_RUNTIME = Path("/dev/shm")   # where the grader's kernels keep their runtime folders (cnnk-*)


@dataclass(frozen=True)
class Left:
    """What was still there after JupyterHub stopped, and was killed or removed."""
    processes: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{len(self.processes)} process(es)" if self.processes else "",
                 f"{len(self.groups)} control group(s)" if self.groups else "",
                 f"{len(self.runtime)} kernel runtime folder(s)" if self.runtime else ""]
        return ", ".join(p for p in parts if p)


def _uids(run: HubRun) -> set[int]:
    uids = set()
    if run.isolated:
        for name in run.accounts:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
    return uids


def _proxy_pid(run: HubRun) -> int | None:
    try:
        pid = int((run.hub_dir / "proxy.pid").read_text().strip())
        if any("configurable-http-proxy" in part for part in psutil.Process(pid).cmdline()):
            return pid
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def leftover_processes(run: HubRun) -> list[int]:
    """Processes of the run's accounts, and its proxy, still alive (zombies left out: they are gone)."""
    uids, proxy = _uids(run), _proxy_pid(run)
    # psutil skips a process that ends while it is read, and gives None for what cannot be read
    return [p.pid for p in psutil.process_iter(["uids", "status"])
            if (p.pid == proxy or (p.info["uids"] is not None and p.info["uids"].effective in uids))
            and p.info["status"] != psutil.STATUS_ZOMBIE]


def leftover_groups(run: HubRun) -> list[str]:
    if not run.cgroups:
        return []
    return [g for user in run.accounts for g in cgroups.left(cgroups.planned(user, run.cgroups))]


def leftover_runtime(run: HubRun) -> list[Path]:
    """Kernels' runtime folders (the grader's cnnk-*) of the run's accounts."""
    uids = _uids(run)
    found = []
    for path in KERNEL_RUNTIME.glob("cnnk-*"):
        try:
            if path.lstat().st_uid in uids:
                found.append(path)
        except FileNotFoundError:
            continue
    return found


def clean_up(run: HubRun) -> Left:
    """Kill every process of the run's accounts and its proxy, remove the accounts' control groups (with
    whatever is in them) and their kernels' runtime folders. Returns what it found. Also for a run whose
    preparation failed half-way (its groups made, its record not finished)."""
    if run.isolated and not run.cgroups:
        run = dataclasses.replace(run, cgroups=cgroups.mechanism()[0] or "")
    killed = sorted(kill_until_gone(lambda: leftover_processes(run), 5))
    groups = leftover_groups(run)
    for user in run.accounts if run.cgroups else ():
        cgroups.remove(cgroups.planned(user, run.cgroups))
    runtime = leftover_runtime(run)
    for path in runtime:
        shutil.rmtree(path, ignore_errors=True)
    return Left(killed, groups, [str(p) for p in runtime])
