"""Small LMS downloads for `nbgrader zip_collect`, built from the released notebooks (so that they
never go stale): Canvas's and Moodle's bulk-download file naming, and the regular expressions that
read a student id and a notebook name from each (the README gives the same ones to instructors).

Two students: 1001 finished the notebook, 1002 made the sample class's mistakes.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat

from autograder.paths import NOTEBOOKS
from autograder.demo.sample_class import MISTAKES
from autograder.authoring.variants import edited, filled_student_notebook, solution_sources

# Canvas: <sortable name>_[LATE_]<user id>_<submission id>_<file name>[-<n> for a resubmission].ipynb
CANVAS_REGEXP = r".*/[a-z]+_(?:LATE_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$"
# Moodle: <First> <Last>_<participant id>_assignsubmission_file_[/]<file name>.ipynb (in folders or flat)
MOODLE_REGEXP = (r".*/(?P<first_name>[^/_]+) (?P<last_name>[^/_]+)_(?P<student_id>\d+)"
                 r"_assignsubmission_file_/?(?P<file_id>[^/]+)\.ipynb$")


def notebook(assignment: str, right: bool) -> str:
    released = nbformat.read(NOTEBOOKS / assignment / f"{assignment}.ipynb", as_version=4)
    sources = solution_sources(assignment)
    if not right:
        for a, cell, edits in MISTAKES["ben"] + MISTAKES["cy"][1:]:
            if a == assignment:
                sources[cell] = edited(sources[cell], edits)
    return nbformat.writes(filled_student_notebook(released, sources))


def canvas_zip(dest: Path, assignment: str) -> Path:
    """Canvas's "Download Submissions": flat, late ones marked, resubmissions numbered."""
    with zipfile.ZipFile(dest, "w") as z:
        z.writestr(f"lovelaceada_1001_5550001_{assignment}.ipynb", notebook(assignment, True))
        z.writestr(f"hopperbob_LATE_1002_5550002_{assignment}-1.ipynb", notebook(assignment, False))
    return dest


def moodle_zip(dest: Path, assignment: str) -> Path:
    """Moodle's "Download all submissions": one folder per submission (newer) or flat (older)."""
    with zipfile.ZipFile(dest, "w") as z:
        z.writestr(f"Ada Lovelace_1001_assignsubmission_file_/{assignment}.ipynb", notebook(assignment, True))
        z.writestr(f"Bob Hopper_1002_assignsubmission_file_{assignment}.ipynb", notebook(assignment, False))
    return dest
