"""The notebooks a student opens, copied into a scratch folder laid out like the repository.

`finished`: the student notebook with every solution cell replaced by the reference solution's cell
(matched by nbgrader grade_id), as a student who has done all the work would have it. `untouched`: the
student notebook as released. The committed files are only read.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from autograder.authoring.cells import grade_id, is_solution_cell
from autograder.paths import ROOT

VARIANTS = ("finished", "untouched")


def student_notebooks() -> list[Path]:
    """Every released student notebook, found at test time (new assignments are covered by themselves)."""
    return sorted((ROOT / "notebooks").glob("*/*.ipynb"))


def finished(student: Path) -> nbformat.NotebookNode:
    """The student notebook with the reference code in its solution cells (all else untouched)."""
    assignment = student.parent.name
    source = nbformat.read(next((ROOT / "solutions" / assignment).glob("*.ipynb")), as_version=4)
    answers = {grade_id(c): c.source for c in source.cells if is_solution_cell(c)}
    nb = nbformat.read(student, as_version=4)
    filled = 0
    for cell in nb.cells:
        if is_solution_cell(cell):
            if grade_id(cell) not in answers:
                raise KeyError(f"{student.name}: no solution cell {grade_id(cell)!r} in solutions/{assignment}")
            cell.source = answers[grade_id(cell)]
            filled += 1
    if not filled:
        raise ValueError(f"{student.name} has no solution cell to fill")
    return nb


def build(root: Path, notebooks: list[Path]) -> dict[tuple[str, str], str]:
    """Write both variants of every notebook under root/<variant>/notebooks/<assignment>/, each
    variant next to a link to data/ and to nbgrader_config.py, as in the repository.
    Returns {(assignment, variant): notebook path relative to root} (the path JupyterLab opens)."""
    paths: dict[tuple[str, str], str] = {}
    for variant in VARIANTS:
        base = root / variant
        base.mkdir(parents=True, exist_ok=True)
        for name in ("data", "nbgrader_config.py"):
            if not (base / name).exists():
                (base / name).symlink_to(ROOT / name)
        for student in notebooks:
            assignment = student.parent.name
            target = base / "notebooks" / assignment / student.name
            target.parent.mkdir(parents=True, exist_ok=True)
            for extra in student.parent.iterdir():  # files that ship with the notebook (tiny_cnn.py)
                if extra.is_file() and extra.suffix != ".ipynb":
                    shutil.copyfile(extra, target.parent / extra.name)
            if variant == "finished":
                nbformat.write(finished(student), target)
            else:
                shutil.copyfile(student, target)
            paths[assignment, variant] = target.relative_to(root).as_posix()
    return paths
