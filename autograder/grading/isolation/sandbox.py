"""The kernel that runs a student's notebook, inside a bubblewrap sandbox.

The kernel sees, read-only, the operating system, Python, the project's virtual environment, the
student package cnn_student and data/ (what students have anyway; never the instructor's autograder), and
read-write only its working folder, /tmp and the folder of its connection file (IPC sockets, in memory).
It sees no network, no other process, nothing of the instructor's (solutions/, gradebook, grading
outputs, config) and no other student's work. Its data segment is capped (a cell that allocates more
gets MemoryError). With the caps on (kernel_caps), its working folder and /tmp are one tmpfs of the disk
cap's size, into which the submission is copied before the kernel starts (nothing the kernel writes
reaches the grading machine's disk), and it runs in its unit's control group (memory, processes).

The grader writes each kernel's kernelspec knowing its settings and connection file (write_kernelspec):
with the sandbox, its argv is the bwrap command itself, after a shell that moves itself into the kernel's
control group and execs it (JOIN). Without the sandbox (or where a path of the command holds a `{name}`
that jupyter_client would substitute), the argv is
`python -m autograder.grading.isolation.sandbox --settings=<KernelSettings> {connection_file}`: the
launcher (main) reads its settings from that one word and execs the kernel.
"""
from __future__ import annotations

import base64
import compileall
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from cnn_student.protocol import CASE_ENV, GRADING_ENV

from ...paths import DATA, STUDENT_PACKAGE, child_env
from . import kernel_caps, leftovers
from ..records import Isolation, Limits

COURSE = "/course"  # where the package, data and the student's folder appear inside the sandbox
SETTINGS_ARG = "--settings="  # the launcher's argument that holds its KernelSettings
SUBSTITUTED = re.compile(r"\{[A-Za-z0-9_]+\}")  # what jupyter_client's format_kernel_cmd replaces in an argv
KERNEL_NAME = "cnn-grader"
PASS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")
WORK = f"{COURSE}/notebooks"       # with the disk cap: one tmpfs holding the working folder ...
WORK_TMP = f"{WORK}/.tmp"          # ... and, through the /tmp symlink, the kernel's /tmp
SUBMISSION = f"{COURSE}/.submission"  # read-only: copied into the working folder at start
MPLCACHE = f"{COURSE}/.mplcache"
# before the kernel: the submission and matplotlib's font cache into the tmpfs (what does not fit is
# left out, and the kernel starts all the same)
COPY_IN = ('cp -R ' + SUBMISSION + '/. . ; if [ -d ' + MPLCACHE + ' ]; then cp -R ' + MPLCACHE +
           ' /tmp/matplotlib; fi; exec "$@"')
# What every graded notebook imports (each test cell imports cnn_student.checks, which imports numpy),
# imported by the kernel as it starts, before it is ready: a kernel started ahead of its submission
# (isolation/pool.py) has done it before the student's first cell. Written as a statement that binds no
# name and shows nothing, so that the notebook's namespace is the same as without it; nothing else is
# imported ahead (matplotlib, which grading mostly skips, would cost every kernel 0.2 s of CPU).
PRELOAD = "if __import__('numpy') and __import__('cnn_student.checks'): pass"
# The kernel's start creates 48,000 objects the cyclic garbage collector tracks, nearly all of which live
# on (modules, classes, functions): it ran 129 times over them and freed 921, 2.5 % of the instructions of
# the kernel's start (cachegrind; ipykernel 7.4, IPython 9.19, NumPy 2.4; bench/README.md). The kernel
# starts with the collector off, and otherwise as `python -m ipykernel_launcher` (runpy, as -m does:
# sys.argv[0] the launcher's file; the launcher removes sys.path[0], '' here, the working folder with -m),
# and turns it on, thresholds untouched, after its imports ahead (GC_ON, the last of its exec_lines),
# before anything of a student's.
START = "import gc, runpy; gc.disable(); runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)"
GC_ON = "__import__('gc').enable()"


@dataclass(frozen=True)
class KernelSettings:
    """What the grader tells the kernel launcher about one notebook's kernel (on the launcher's command
    line, `encode`d into the kernelspec by write_kernelspec, decoded by main): the unit's isolation as the
    kernel holds it, where the submission is, and the unit's control group."""
    sandbox: bool
    assignment: str                   # "": a kernel started ahead (pool.py), told its assignment when claimed
    scratch: str                      # the unit's copy of the submission (started ahead: its empty inbox)
    limits: Limits = Limits()
    disk: bool = True                 # working folder and /tmp in one tmpfs of limits.disk_bytes
    mplcache: Optional[str] = None    # matplotlib's font cache to copy in
    group: Optional[dict] = None      # kernel_caps.Group.to_json(): the memory and process caps

    @classmethod
    def of(cls, isolation: Isolation, assignment: str, scratch: str, mplcache: Optional[str],
           group: Optional["kernel_caps.Group"]) -> "KernelSettings":
        """A kernel's settings from its unit's isolation (records.Isolation decides the disk cap)."""
        return cls(sandbox=isolation.sandbox, assignment=assignment, scratch=scratch, limits=isolation.limits,
                   disk=bool(isolation.disk_bytes), mplcache=mplcache, group=group.to_json() if group else None)

    def encode(self) -> str:
        """One command-line word: JSON in URL-safe base64, which jupyter_client's {name} substitution of
        a kernelspec's argv cannot touch (a student's folder may be named `{connection_file}`)."""
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode()

    @classmethod
    def decode(cls, word: str) -> "KernelSettings":
        data = json.loads(base64.urlsafe_b64decode(word.encode()))
        return cls(**dict(data, limits=Limits(**data["limits"])))


def available() -> tuple[bool, str]:
    """Whether bubblewrap can make a sandbox here; if not, why."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False, "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` (make system does it)"
    probe = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "--", "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return False, ("bubblewrap cannot create user and mount namespaces on this machine "
                       f"({probe.stderr.strip() or probe.returncode}); enable unprivileged user namespaces "
                       "(sysctl kernel.unprivileged_userns_clone=1) or grade with --no-sandbox")
    return True, ""


def kernel_env(spec: KernelSettings) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": "/tmp",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": COURSE if spec.sandbox else str(STUDENT_PACKAGE.parent),
        GRADING_ENV: "1",
        # a test case may compute for half a cell's time limit (cnn_student/time_limit.py)
        CASE_ENV: f"{spec.limits.timeout / 2:g}",
        # one thread each, so that parallel jobs share the cores fairly and results do not vary
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    env.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
    return env


def _dest(path: str, disk: int) -> str:
    """Where a host path is mounted: under /tmp means under its real folder when /tmp is a symlink
    (bubblewrap does not create mount points through symlinks)."""
    if disk and (path + "/").startswith("/tmp/"):
        return WORK_TMP + path[len("/tmp"):]
    return path


def _debugger_hidden(bound: list[str], disk: int) -> list[str]:
    """ipykernel imports debugpy (and pydevd with it) to create every kernel's debugger, 0.05 s of CPU
    of a kernel's 0.3 s start; nobody debugs a graded kernel. An empty read-only folder over debugpy's
    (where the sandbox mounts it: `bound` are the host folders it binds) makes ipykernel find no
    debugger and start without one."""
    spec = importlib.util.find_spec("debugpy")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = list(spec.submodule_search_locations)[0]
    if not any((folder + "/").startswith(b.rstrip("/") + "/") for b in bound):
        return []   # not in the sandbox at all
    inside = _dest(folder, disk)
    return ["--tmpfs", inside, "--remount-ro", inside]


def _system_binds(disk: int = 0) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    prefixes = {sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parents[1])}
    # library folders a .pth file adds (a layered environment); never the checkout itself
    prefixes |= {p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()}
    bound = ["/usr"]
    for prefix in sorted(prefixes):
        if not prefix.startswith("/usr") and not any(prefix.startswith(q + "/") for q in prefixes):
            args += ["--ro-bind", prefix, _dest(prefix, disk)]
            bound.append(prefix)
    return args + _debugger_hidden(bound, disk)


def command(spec: KernelSettings, connection_file: str) -> list[str]:
    """The full command that starts the kernel for one notebook."""
    python = [sys.executable, "-c", START, "-f", connection_file, "--HistoryManager.hist_file=:memory:",
              f"--IPKernelApp.exec_lines={PRELOAD}", f"--IPKernelApp.exec_lines={GC_ON}"]
    limit = ["prlimit", f"--data={spec.limits.memory_bytes}", f"--fsize={spec.limits.file_bytes}", "--core=0"]
    if not spec.sandbox:
        return limit + python
    scratch, runtime = spec.scratch, str(Path(connection_file).parent)
    cwd = f"{COURSE}/notebooks/{spec.assignment}".rstrip("/")   # no assignment yet: the working folder itself
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for key, value in kernel_env(spec).items():
        args += ["--setenv", key, value]
    # /tmp first: binds made before it would be hidden under it (a checkout or venv under /tmp)
    disk = spec.limits.disk_bytes if spec.disk else 0
    args += ["--proc", "/proc", "--dev", "/dev"]
    if disk:  # one tmpfs of the disk cap's size for all the kernel may write; /tmp is a folder in it
        args += ["--size", str(disk), "--tmpfs", WORK, "--dir", WORK_TMP, "--symlink", WORK_TMP, "/tmp"]
    else:
        args += ["--tmpfs", "/tmp"]
    args += _system_binds(disk)
    args += ["--ro-bind", str(STUDENT_PACKAGE), f"{COURSE}/{STUDENT_PACKAGE.name}",
             "--ro-bind", str(DATA), f"{COURSE}/data"]
    if disk:
        args += ["--ro-bind", scratch, SUBMISSION, "--dir", cwd,
                 *(["--ro-bind", spec.mplcache, MPLCACHE] if spec.mplcache else [])]
        limit = ["sh", "-c", COPY_IN, "sh"] + limit
    else:
        args += ["--bind", scratch, cwd,
                 *(["--bind", spec.mplcache, "/tmp/matplotlib"] if spec.mplcache else [])]
    args += ["--bind", runtime, _dest(runtime, disk),
             "--chdir", cwd,
             "--remount-ro", "/"]  # the sandbox's own root too: writable are only the working folder and /tmp
    if disk:
        args += ["--remount-ro", "/dev"]  # its devices still work; no files in /dev or /dev/shm
    return args + ["--"] + limit + python


def claim_code(assignment: str) -> str:
    """What a kernel started ahead runs (silently: no output, no history, no execution count) once it
    is a unit's, before the student's first cell: the submission, now in its inbox, into the working
    folder of the assignment, as COPY_IN copies it at a kernel's start (file by file; what does not fit
    the disk cap is left out), and that folder as the current one. It leaves no name behind."""
    return f'''def _cnn_claim():
    import importlib, os, shutil
    source, dest = {SUBMISSION!r}, {f"{WORK}/{assignment}"!r}
    os.makedirs(dest, exist_ok=True)
    for here, folders, files in os.walk(source):
        target = os.path.join(dest, os.path.relpath(here, source))
        for name in folders:
            os.makedirs(os.path.join(target, name), exist_ok=True)
        for name in files:
            try:
                shutil.copyfile(os.path.join(here, name), os.path.join(target, name))
            except OSError:
                pass
    os.chdir(dest)
    importlib.invalidate_caches()
_cnn_claim()
del _cnn_claim
'''


# The process that becomes the sandbox (its pid kept through exec) first joins the kernel's control
# group, so that the caps hold from the sandbox's first instruction: `sh -c JOIN sh N DIR... COMMAND...`
JOIN = ('n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; n=$((n - 1)); shift; '
        'done; exec "$@"')


def kernel_argv(spec: KernelSettings, connection_file: str) -> list[str]:
    """What starts a kernel with these settings, its connection file known: with the sandbox, the sandbox's
    command (in the group, with the caps). A Python launcher there cost every kernel 0.06 s of CPU (its
    start and imports) to build a command the grader can build; it is kept for --no-sandbox, where it
    also ties the kernel's life to the grader's (bwrap's --die-with-parent does that in the sandbox)."""
    launcher = [sys.executable, "-m", "autograder.grading.isolation.sandbox", SETTINGS_ARG + spec.encode(),
                "{connection_file}"]
    if not spec.sandbox:
        return launcher
    cmd = command(spec, connection_file)
    if spec.group:
        group = kernel_caps.Group.from_json(spec.group)
        cmd = ["sh", "-c", JOIN, "sh", str(len(group.dirs)), *group.dirs] + kernel_caps.command_prefix(group) + cmd
    # jupyter_client substitutes every `{name}` it knows in each word of the argv: a folder named so (a
    # student's, in a unit's path) would be changed; the launcher's one word is base64 (KernelSettings.encode)
    return launcher if any(SUBSTITUTED.search(word) for word in cmd) else cmd


@functools.cache
def compiled_ahead(package: Path) -> bool:
    """The student package's bytecode, written beside it once per grading process (or brought up to date).
    A kernel neither writes bytecode (PYTHONDONTWRITEBYTECODE, and the package is read-only in the
    sandbox) nor finds any in a fresh checkout, or where the grading process writes none on import
    (PYTHONDONTWRITEBYTECODE in its environment too): each kernel then compiled the package again, 0.016 s
    of CPU of a kernel's 0.23 s start. Written all the same in that case, since only the grader can write
    it: Python's own `.pyc` files (git-ignored, left out of what students receive), as an import would
    write them, for the kernel's plain interpreter (optimize=0); importing them sets each code object's
    file name to where the kernel found the source, so that tracebacks read as before. Where the package
    cannot be written, kernels compile it as before."""
    return bool(compileall.compile_dir(str(package), quiet=2, optimize=0))


def write_kernelspec(jupyter_dir: Path, settings: KernelSettings, connection_file: str) -> None:
    """A kernelspec named cnn-grader whose kernel starts with these settings (kernel_argv), the student
    package it imports compiled ahead."""
    compiled_ahead(STUDENT_PACKAGE)
    kdir = jupyter_dir / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": kernel_argv(settings, connection_file),
        "display_name": "Python 3 (grading sandbox)", "language": "python",
        # interrupts travel as messages: a signal to bwrap would not reach the kernel
        "interrupt_mode": "message",
        # the launcher imports this module: find it however (or whether) the project is installed
        "env": {"PYTHONPATH": child_env()["PYTHONPATH"]},
    }, indent=1))


def main(argv: list[str]) -> None:
    """argv: SETTINGS_ARG + KernelSettings.encode(), the connection file (write_kernelspec's argv)."""
    # bubblewrap's --die-with-parent does the same inside the sandbox; this covers --no-sandbox
    leftovers.die_with_parent()
    word, connection_file = argv
    spec = KernelSettings.decode(word.removeprefix(SETTINGS_ARG))
    cmd = command(spec, connection_file)
    if spec.group:  # the memory and process caps: join the unit's group, or start in a scope
        group = kernel_caps.Group.from_json(spec.group)
        kernel_caps.join(group)
        cmd = kernel_caps.command_prefix(group) + cmd
    if not spec.sandbox:
        os.chdir(spec.scratch)
        os.environ.clear()
        os.environ.update(kernel_env(spec))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
