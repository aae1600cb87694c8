"""The grader's private course folder: a copy of solutions/, the gradebook nbgrader builds from it,
and the release it makes. Rebuilt only when solutions/ changes, which also invalidates past results."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ...paths import SOLUTIONS
from ...authoring.release import assignments, generate


def solutions_hash(solutions: Path = SOLUTIONS) -> str:
    h = hashlib.sha256()
    for path in sorted(solutions.rglob("*")):
        if path.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(path.parts):
            h.update(str(path.relative_to(solutions)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def master_hash(solutions: Path = SOLUTIONS, only: list[str] | None = None) -> str:
    """Which solutions, and which of their assignments, a master folder is built from."""
    names = [a for a in assignments(solutions) if not only or a in only]
    return solutions_hash(solutions) + ("" if not only else "-" + "+".join(names))


def prepare(out: Path, solutions: Path = SOLUTIONS, only: list[str] | None = None) -> tuple[Path, str]:
    """OUT/.grader/master, up to date with solutions/ for the assignments graded (default all);
    returns (folder, hash of solutions)."""
    master = out.resolve() / ".grader" / "master"  # absolute: nbgrader runs in the course folder it is given
    names = [a for a in assignments(solutions) if not only or a in only]
    digest = master_hash(solutions, only)
    stamp = master / "solutions.sha"
    if stamp.exists() and stamp.read_text() == digest:
        return master, digest
    if master.exists():
        shutil.rmtree(master)
    master.mkdir(parents=True)
    shutil.copytree(solutions, master / "source")
    for assignment in names:
        generate(master, assignment)
    _matplotlib_cache(master / "mplcache")
    stamp.write_text(digest)
    return master, digest


def _matplotlib_cache(dest: Path) -> None:
    """The font list matplotlib builds on its first import: each kernel gets a copy, so that it
    does not spend a tenth of a second rebuilding it in its empty /tmp."""
    import matplotlib  # here: 0.6 s of start-up (measured), needed once per solutions/, not by every command
    import matplotlib.font_manager  # noqa: F401  (builds the cache if it is missing)

    dest.mkdir(parents=True, exist_ok=True)
    for path in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copyfile(path, dest / path.name)
