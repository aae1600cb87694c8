"""The control groups the hub delegates to its accounts, so that nothing that grades needs root.

The grader's memory and process caps are control groups (grading/isolation/kernel_caps.py, reached
through grading/api.py) that the grading process makes under its own group. Root may do that anywhere;
an account may where root gave it a group. So the launcher, as root, gives each account one when the hub
starts; the account's processes (its server, its terminals, the grading service, a login shell:
~/.profile joins it) start in it. The instructor's grading then makes its units' groups inside theirs,
without root; a student's is a container only, so that when the hub stops, every process of the account can be found and killed.

- cgroup v1 (tested here): `<the launcher's memory group>/cnn-hub-<account>` and
  `<the launcher's pids group>/cnn-hub-<account>`, given to the account (the folder, cgroup.procs,
  tasks). A process of the account moves itself in by writing its pid to cgroup.procs, and the
  grader's `cgroup1` mechanism makes the units' groups under it as it does under root's own group.
- cgroup v2 (written for systems where systemd mounts v2 alone; not tested on this machine, whose v2
  hierarchy has no controllers): `<v2 root>/cnn-hub-<account>` with memory and pids enabled for its
  children and a leaf `login` for the account's processes (v2 keeps processes out of a group that
  gives controllers to its children); the grader's `cgroup2` mechanism makes the units' groups beside
  `login`. Both are given to the account.

When the hub stops, the launcher kills whatever is left in them and removes them (remove()).
"""
from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from ..grading.api import cgroup_parents, cgroup_v2_root, remove_groups

PREFIX = "cnn-hub-"
CONTROLLERS = "+memory +pids"
LEAF = "login"


@dataclass(frozen=True)
class Delegation:
    """One account's control group(s): what the account joins and what the launcher removes."""
    mechanism: str                 # "cgroup1" or "cgroup2"
    account: str
    tops: tuple[str, ...]          # the delegated groups (v1: memory and pids; v2: one)
    join: tuple[str, ...]          # where the account's processes go (v1: the tops; v2: the leaf)


def name(account: str) -> str:
    return PREFIX + account


def mechanism() -> tuple[str | None, str]:
    """Which cgroup version the hub delegates with here, or None and why neither works."""
    root = cgroup_v2_root()
    if root is not None:
        try:
            available = set((root / "cgroup.controllers").read_text().split())
        except OSError:
            available = set()
        if {"memory", "pids"} <= available:
            return "cgroup2", ""
    if len(cgroup_parents("cgroup1")) == 2:
        return "cgroup1", ""
    return None, ("neither a cgroup v2 hierarchy with the memory and pids controllers nor cgroup v1's memory "
                  "and pids hierarchies are mounted")


def planned(account: str, kind: str) -> Delegation:
    """The groups of that account (whether or not they exist)."""
    if kind == "cgroup2":
        top = cgroup_v2_root() / name(account)
        return Delegation(kind, account, (str(top),), (str(top / LEAF),))
    tops = tuple(str(parent / name(account)) for parent in cgroup_parents("cgroup1"))
    return Delegation(kind, account, tops, tops)


def _give(group: Path, uid: int, gid: int) -> None:
    """The group to the account: the folder (to make groups in it) and the files that move processes."""
    os.chown(group, uid, gid)
    for file in ("cgroup.procs", "tasks", "cgroup.threads", "cgroup.subtree_control"):
        if (group / file).exists():
            os.chown(group / file, uid, gid)


def delegate(account: str, kind: str) -> Delegation:
    """Make the account's groups afresh (a leftover of a killed run is emptied and removed first)."""
    user = pwd.getpwnam(account)
    groups = planned(account, kind)
    remove(groups)
    if kind == "cgroup2":
        top = Path(groups.tops[0])
        (top.parent / "cgroup.subtree_control").write_text(CONTROLLERS)
        top.mkdir()
        (top / "cgroup.subtree_control").write_text(CONTROLLERS)
        (top / LEAF).mkdir()
        for group in (top, top / LEAF):
            _give(group, user.pw_uid, user.pw_gid)
    else:
        for top in map(Path, groups.tops):
            top.mkdir()
            _give(top, user.pw_uid, user.pw_gid)
    return groups


def _subtree(top: Path) -> list[Path]:
    """Every group under top and top itself, the deepest first (the order rmdir needs)."""
    if not top.is_dir():
        return []
    below = [Path(folder) for folder, _, _ in os.walk(top)]
    return sorted(below, key=lambda p: len(p.parts), reverse=True)


def remove(groups: Delegation) -> None:
    """Kill every process still in the account's groups (the units' groups under them included), then
    remove them all."""
    tree = [str(p) for top in groups.tops for p in _subtree(Path(top))]
    if tree:
        remove_groups(groups.mechanism, tree)


def left(groups: Delegation) -> list[str]:
    """The groups of the account that still exist."""
    return [str(p) for top in groups.tops for p in _subtree(Path(top))]
