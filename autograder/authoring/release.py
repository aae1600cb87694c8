"""`python -m autograder release`: student notebooks and visible expected values from solutions/.

nbgrader's generate_assignment does the work (removes solutions and hidden tests, locks cells,
records checksums) in a scratch course directory, so that no gradebook or build product lands in
the repository; the result is written without outputs, byte for byte the same on every run.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from ..paths import COURSE_ID, EXPECTED, NOTEBOOKS, SOLUTIONS, STUDENT_DIST, ensure_tools_on_path, gradebook_url
from .distribution import write_distribution
from .reference import expected_table
from cnn_student.serialize import encode
from .testcells import parse_checks, visible_source

def assignments(solutions: Path = SOLUTIONS) -> list[str]:
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def normalized(nb: nbformat.NotebookNode) -> str:
    """The committed form of a notebook: no outputs, no execution counts, stable JSON."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.get("metadata", {}).pop("execution", None)
    return nbformat.writes(nb, version=4) + "\n"


def generate(course_root: Path, assignment: str) -> Path:
    """Run nbgrader's generate_assignment for one assignment under course_root; return its release folder."""
    ensure_tools_on_path()
    config = Config()
    config.CourseDirectory.root = str(course_root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.db_url = gradebook_url(course_root)
    config.CourseDirectory.course_id = COURSE_ID
    config.GenerateAssignment.create_assignment = True
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    result = api.generate_assignment(assignment, force=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed for {assignment}:\n{result['log']}\n{result.get('error', '')}")
    return course_root / "release" / assignment


def visible_checks(nb_path: Path) -> list[tuple[str, dict]]:
    nb = nbformat.read(nb_path, as_version=4)
    checks: list[tuple[str, dict]] = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            # every visible check, and every worked example whose expected output students see
            checks += parse_checks(visible_source(cell.source), calls=("check", "show_example"))
    return checks


def release(solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS, expected_dir: Path = EXPECTED,
            only: list[str] | None = None, dist: Path | None = STUDENT_DIST) -> list[Path]:
    """Regenerate every assignment (or only the named ones), drop releases with no source, and
    write the student distribution into `dist` (None: not at all)."""
    written: list[Path] = []
    names = [a for a in assignments(solutions) if not only or a in only]
    if only and set(only) - set(names):
        raise FileNotFoundError(f"no notebook in solutions/ for {sorted(set(only) - set(names))}")
    with tempfile.TemporaryDirectory(prefix="cnn-release-") as tmp:
        root = Path(tmp)
        shutil.copytree(solutions, root / "source")
        for assignment in names:
            out_dir = generate(root, assignment)
            target = notebooks / assignment
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for src in sorted(out_dir.rglob("*")):
                if src.is_dir() or ".ipynb_checkpoints" in src.parts:
                    continue
                dest = target / src.relative_to(out_dir)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if src.suffix == ".ipynb":
                    dest.write_text(normalized(nbformat.read(src, as_version=4)))
                else:
                    shutil.copyfile(src, dest)
                written.append(dest)
    for stale in notebooks.iterdir() if notebooks.exists() and not only else []:
        if stale.is_dir() and stale.name not in names:
            shutil.rmtree(stale)
    expected_dir.mkdir(parents=True, exist_ok=True)
    for assignment in names:
        nb_path = next((solutions / assignment).glob("*.ipynb"))
        table = expected_table(visible_checks(nb_path), assignment, solutions)
        path = expected_dir / f"{assignment}.json"
        path.write_text(json.dumps({k: encode(v) for k, v in sorted(table.items())}, indent=1, sort_keys=True) + "\n")
        written.append(path)
    for stale in [] if only else expected_dir.glob("*.json"):
        if stale.stem not in names:
            stale.unlink()
    if dist is not None:
        write_distribution(dist, notebooks=notebooks, expected=expected_dir)
        written.append(dist)
    return written
