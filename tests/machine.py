"""What grading leaves on the machine, for the tests that prove it leaves nothing: kernels' runtime
folders, control groups and kernel processes whose grading process is gone.

Machine-wide, and reliable while another test file grades in the other process of `make test` (or
another checkout grades on the same machine): a runtime folder or group held by a live grading process
(leftovers.py's owner.json) is that grading's, and a group with a process in it belongs to a kernel
that is running; what a killed grading process left stays after it. What was there before a test is
compared away.
"""
from __future__ import annotations

import time
from pathlib import Path

from autograder.grading.isolation import kernel_caps, leftovers


def _groups() -> list[Path]:
    """The grader's groups below this process's own group (the memory hierarchy's with cgroup v1: the
    pids hierarchy may be shared with other sessions on the machine, the memory one is not here)."""
    parents = (kernel_caps.parents("cgroup1") or [None])[:1] + kernel_caps.parents("cgroup2")
    return sorted({p for parent in parents if parent for p in parent.glob(kernel_caps.PREFIX + "*")})


def _kernels() -> list[tuple[str, str]]:
    """(pid, runtime folder) of every kernel process on the machine: the cnnk-* folder its connection
    file is in."""
    found = []
    base = str(leftovers.runtime_base()) + "/" + leftovers.RUNTIME_PREFIX
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in args:
            text = arg.decode(errors="replace")
            if text.startswith(base) and text.endswith(".json"):
                found.append((cmdline.parent.name, base + text[len(base):].split("/")[0]))
                break
    return found


def stale() -> dict[str, list[str]]:
    """What no live grading process holds: runtime folders whose record's owner is gone, empty control
    groups that no live owner's record names, and kernels whose runtime folder is gone or stale. A
    runtime folder without a record is not judged: it is another checkout's (this one records each
    folder as it makes it)."""
    kernels = _kernels()
    live_groups, dead_runtime = set(), []
    for folder, owner in leftovers.owners():
        if owner is not None and owner.alive():
            live_groups |= set(owner.groups)
        elif owner is not None:
            dead_runtime.append(str(folder))
    groups = [str(g) for g in _groups() if str(g) not in live_groups and not kernel_caps.procs(g)]
    return {"runtime": dead_runtime, "groups": groups,
            "kernels": [f"{pid} ({folder})" for pid, folder in kernels
                        if folder in dead_runtime or not Path(folder).is_dir()]}


def left_behind(before: dict[str, list[str]], seconds: float = 30) -> dict[str, list[str]]:
    """What is stale now and was not before the test, once it stays so (a grading process that was just
    killed is cleaned up by whoever killed it, a moment later)."""
    deadline = time.monotonic() + seconds
    while True:
        new = {k: sorted(set(v) - set(before.get(k, []))) for k, v in stale().items()}
        if not any(new.values()) or time.monotonic() > deadline:
            return {k: v for k, v in new.items() if v}
        time.sleep(0.5)
