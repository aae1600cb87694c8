"""The kernel that runs a student's notebook, inside a bubblewrap sandbox.

The kernel sees, read-only, the operating system, Python, the project's virtual environment, the
student package cnn_student and data/ (what students have anyway; never the instructor's autograder), and read-write only its own scratch
folder, /tmp (in memory) and the folder of its connection file (IPC sockets). It sees no network,
no other process, nothing of the instructor's (solutions/, gradebook, grading outputs, config) and
no other student's work. Its data segment is capped (a cell that allocates more gets MemoryError).

The grader writes a kernelspec whose argv is `python -m autograder.grading.sandbox {connection_file}`;
this module turns the settings the grader put in the environment into the bwrap command and execs it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..paths import DATA, STUDENT_PACKAGE, child_env
COURSE = "/course"  # where the package, data and the student's folder appear inside the sandbox
SPEC_ENV = "AUTOGRADER_KERNEL_SPEC"
KERNEL_NAME = "cnn-grader"
PASS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "LC_ALL")


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


def kernel_env(spec: dict) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": "/tmp",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": COURSE if spec["sandbox"] else str(STUDENT_PACKAGE.parent),
        "AUTOGRADER_GRADING": "1",
        # one thread each, so that parallel jobs share the cores fairly and results do not vary
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    env.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
    return env


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    prefixes = {sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parents[1])}
    # library folders a .pth file adds (a layered environment); never the checkout itself
    prefixes |= {p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()}
    for prefix in sorted(prefixes):
        if not prefix.startswith("/usr") and not any(prefix.startswith(q + "/") for q in prefixes):
            args += ["--ro-bind", prefix, prefix]
    return args


def command(spec: dict, connection_file: str) -> list[str]:
    """The full command that starts the kernel for one notebook."""
    python = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
              "--HistoryManager.hist_file=:memory:"]
    limit = ["prlimit", f"--data={int(spec['memory_bytes'])}", f"--fsize={int(spec['file_bytes'])}", "--core=0"]
    if not spec["sandbox"]:
        return limit + python
    scratch, runtime = spec["scratch"], str(Path(connection_file).parent)
    cwd = f"{COURSE}/notebooks/{spec['assignment']}"
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for key, value in kernel_env(spec).items():
        args += ["--setenv", key, value]
    # /tmp first: binds made before it would be hidden under it (a checkout or venv under /tmp)
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += _system_binds()
    args += ["--ro-bind", str(STUDENT_PACKAGE), f"{COURSE}/{STUDENT_PACKAGE.name}",
             "--ro-bind", str(DATA), f"{COURSE}/data",
             "--bind", scratch, cwd,
             "--bind", runtime, runtime,
             "--chdir", cwd,
             *(["--bind", spec["mplcache"], "/tmp/matplotlib"] if spec.get("mplcache") else []),
             "--remount-ro", "/"]  # the sandbox's own root too: writable are only the scratch folder and /tmp
    return args + ["--"] + limit + python


def write_kernelspec(jupyter_dir: Path) -> None:
    """A kernelspec named cnn-grader whose kernels start through this module."""
    kdir = jupyter_dir / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.grading.sandbox", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)", "language": "python",
        # interrupts travel as messages: a signal to bwrap would not reach the kernel
        "interrupt_mode": "message",
        # the launcher imports this module: find it however (or whether) the project is installed
        "env": {"PYTHONPATH": child_env()["PYTHONPATH"]},
    }, indent=1))


def main(argv: list[str]) -> None:
    spec = json.loads(Path(os.environ[SPEC_ENV]).read_text())
    cmd = command(spec, argv[0])
    if not spec["sandbox"]:
        os.chdir(spec["scratch"])
        os.environ.clear()
        os.environ.update(kernel_env(spec))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
