"""What grading leaves on the machine, for the tests that prove it leaves nothing: kernels' runtime
folders, control groups and kernel processes whose grading process is gone.

Machine-wide, and reliable while another test file grades in the other process of `make test`: a
runtime folder or group held by a live grading process (leftovers.py's owner.json) is that grading's,
not a leftover, and a group with a process in it belongs to a kernel that is running; what a killed
grading process left stays after it. What was there before a test (another checkout's) is compared away.
"""
from __future__ import annotations

import time
from pathlib import Path

from autograder.grading.isolation import kernel_caps, leftovers


def _groups() -> list[Path]:
    mechanisms = ("cgroup1", "cgroup2")
    return sorted({p for m in mechanisms for parent in kernel_caps.parents(m) for p in parent.glob(kernel_caps.PREFIX + "*")})


def _kernels() -> list[tuple[str, str]]:
    """(pid, runtime folder) of every kernel process on the machine (its connection file's folder)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in args:
            text = arg.decode(errors="replace")
            if f"/{leftovers.RUNTIME_PREFIX}" in text and text.endswith(".json") and "kernel" in text:
                found.append((cmdline.parent.name, str(Path(text).parent)))
                break
    return found


def stale() -> dict[str, list[str]]:
    """What no live grading process holds: runtime folders (with their record's owner gone, or none),
    empty control groups not held by a live owner, kernels whose runtime folder is gone or stale."""
    live_groups, live_runtime, runtime = set(), set(), []
    for folder, owner in leftovers.owners():
        if owner is not None and owner.alive():
            live_groups |= set(owner.groups)
            live_runtime.add(str(folder))
        else:
            runtime.append(str(folder))
    groups = [str(g) for g in _groups() if str(g) not in live_groups and not kernel_caps.procs(g)]
    kernels = [f"{pid} ({folder})" for pid, folder in _kernels() if folder not in live_runtime]
    return {"runtime": runtime, "groups": groups, "kernels": kernels}


def left_behind(before: dict[str, list[str]], seconds: float = 30) -> dict[str, list[str]]:
    """What is stale now and was not before the test, once it stays so (a grading process that was just
    killed is cleaned up by whoever killed it, a moment later)."""
    deadline = time.monotonic() + seconds
    while True:
        new = {k: sorted(set(v) - set(before.get(k, []))) for k, v in stale().items()}
        if not any(new.values()) or time.monotonic() > deadline:
            return {k: v for k, v in new.items() if v}
        time.sleep(0.5)
