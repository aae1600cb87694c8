"""Whether students' code can run isolated on this machine, decided once before `grade` or `serve`
starts: the sandbox (bubblewrap) and the mechanism that holds the memory, process and disk caps; a
refusal says why and what to do."""
from __future__ import annotations

import sys
from dataclasses import replace

from ..records import Limits
from . import kernel_caps, sandbox


def caps_or_refusal(no_sandbox: bool, no_caps: bool, scheduler: str | None, command: str) -> "str | None | bool":
    """The caps_mechanism for --no-sandbox / --no-caps / --scheduler as given (None: no caps), or False
    (after saying why) when students' code cannot run isolated here. `grade` and `serve` alike."""
    if no_sandbox:
        print("WARNING: --no-sandbox: students' code runs with your rights and can read your files.", file=sys.stderr)
    elif not scheduler:  # on a cluster, each worker checks its own sandbox when it joins
        ok, why = sandbox.available()
        if not ok:
            print(f"{command} refuses to run students' code unisolated: {why}.\n"
                  "Pass --no-sandbox to grade anyway, only on a machine with nothing to protect.", file=sys.stderr)
            return False
    mechanism = None
    if no_caps:
        print("WARNING: --no-caps: a kernel can take all the machine's memory, processes and disk.", file=sys.stderr)
    elif scheduler:  # each worker holds the caps with its own mechanism, checked when it joins
        mechanism = "auto"
    else:
        mechanism, why = kernel_caps.usable(sandboxed=not no_sandbox)
        if mechanism is None:
            print(f"{command} refuses to run students' code without its memory, process and disk caps: {why}.\n"
                  "Grade as root (cgroup v1), in a cgroup v2 group that delegates memory and pids, or in a "
                  "systemd user session that delegates them; or pass --no-caps, only on a machine with "
                  "nothing to protect.", file=sys.stderr)
            return False
    return mechanism or None


def isolation_here() -> tuple[str | None, str]:
    """(the caps' mechanism, "") where students' code can run here as `grade` runs it, in the sandbox and
    under every cap; else (None, why not). For the paths that cannot be told --no-sandbox or --no-caps
    (nbgrader's Autograde in a course: orchestrate/autograde.py)."""
    ok, why = sandbox.available()
    if not ok:
        return None, why
    mechanism, why = kernel_caps.usable()
    return (mechanism, "") if mechanism else (None, f"no memory, process and disk caps ({why})")


def held_limits(limits: Limits, mechanism: str | None, sandboxed: bool) -> Limits:
    """The limits as this machine holds them: no disk cap without the caps and the sandbox's sized /tmp
    (bubblewrap --size), decided here for every unit (`grade`, `serve`, the course's Autograde).
    `mechanism` is the caps' mechanism as resolved (kernel_caps.detect() for "auto"); None: no caps."""
    if mechanism and sandboxed and kernel_caps.bwrap_has_size():
        return limits
    return replace(limits, disk_bytes=0)
