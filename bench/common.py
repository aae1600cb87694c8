"""What the benchmark scripts share: the machine's load, and the grader of another commit (the
"before" of a before/after measured in one run, under the same load).

`checkout(ref)` extracts a commit's tree (`git archive`, no worktree, nothing in .git changes) into a
temporary folder; `autograder(root, ...)` is the command that runs *that* tree's `python -m autograder`
with this venv (its folder first on PYTHONPATH, so its autograder/ and cnn_student/ are the ones
imported, by the grader and by the kernel launcher alike).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def load() -> str:
    """The load average, as every figure is printed with it (`uptime`'s three numbers)."""
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


@contextmanager
def cpu_group() -> Iterator[Callable[[], float]]:
    """A cpuacct group holding this process and all it starts; yields a reader of its CPU seconds."""
    group = CPUACCT / f"cnn-bench-{os.getpid()}"
    try:
        group.mkdir()
        (group / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        yield lambda: float("nan")
        return
    try:
        yield lambda: int((group / "cpuacct.usage").read_text()) / 1e9
    finally:
        (CPUACCT / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(100):
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.05)


def checkout(ref: str, into: Path | None = None) -> Path:
    """The tree of commit `ref` in a folder of its own (this checkout when ref is "HEAD+": the
    working tree as it is, uncommitted changes included)."""
    if ref == "HEAD+":
        return ROOT
    dest = Path(tempfile.mkdtemp(prefix="bench-ref-", dir=into))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def env(root: Path, **extra: str) -> dict[str, str]:
    """The environment in which `python -m autograder` runs the tree at `root`."""
    paths = [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(root)]
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), PYTHONUNBUFFERED="1",
                PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), **extra)


def autograder(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "autograder", *args]


def run(root: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    """`python -m autograder ARGS` of the tree at `root`, in that folder; exits with its stderr on failure."""
    done = subprocess.run(autograder(root, *args), cwd=root, env=env(root), capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        sys.exit(f"python -m autograder {' '.join(args)} ({root}) failed:\n{done.stderr[-3000:]}")
    return done


def tiny_notebook(folder: Path) -> Path:
    """A one-cell notebook: what --tiny runs instead of the course's (the fast tier checks that a script
    runs, not what it measures)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    path = folder / "tiny.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), path)
    return path


def measured_by(tree: Path, script: Path, *argv: str) -> dict:
    """What `script --inner ARGV` measures with the grader of the tree at `tree` (run in a process of its own,
    that tree first on the Python path): the JSON of its last line. Exits with its output on failure."""
    done = subprocess.run([sys.executable, str(script), "--inner", *argv], cwd=tree, env=env(tree),
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{script.name} with {tree} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
