"""The grader's private course folder: a copy of solutions/, the gradebook nbgrader builds from it,
and the release it makes. Rebuilt only when solutions/ changes, which also invalidates past results."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ..reference import SOLUTIONS
from ..release import assignments, generate


def solutions_hash(solutions: Path = SOLUTIONS) -> str:
    h = hashlib.sha256()
    for path in sorted(solutions.rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            h.update(str(path.relative_to(solutions)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def prepare(out: Path, solutions: Path = SOLUTIONS) -> tuple[Path, str]:
    """OUT/.grader/master, up to date with solutions/; returns (folder, hash of solutions)."""
    master = out / ".grader" / "master"
    digest = solutions_hash(solutions)
    stamp = master / "solutions.sha"
    if stamp.exists() and stamp.read_text() == digest:
        return master, digest
    if master.exists():
        shutil.rmtree(master)
    master.mkdir(parents=True)
    shutil.copytree(solutions, master / "source")
    for assignment in assignments(solutions):
        generate(master, assignment)
    stamp.write_text(digest)
    return master, digest
