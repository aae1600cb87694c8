"""The student distribution: exactly what students receive, written by `python -m autograder release`.

It comes in release stages, one folder per assignment in release order (the order of their names):
dist/student/<assignment>/ is what students receive when <assignment> is released, holding it and
every earlier assignment, and nothing later. Later notebooks provide earlier ones' layers as given
code (notebook 4 gives notebook 3's loop conv_backward and pool_backward), so a stage must never hold
a notebook released after it. Each stage is a complete distribution:

    dist/student/<assignment>/
        README.md            set-up in two commands, how to work, how to validate
        requirements.txt     the students' pinned requirements (versions from the project's requirements.txt)
        pyproject.toml       installs the student package on its own: pip install .
        cnn_student/         checks, hints, figures, widgets, gradient checker, the visible expected values
                             of the assignments released so far
        notebooks/<a>/       the notebooks released so far (and files released with them, e.g. tiny_cnn.py)
        data/                the photo and the shapes data set the notebooks load

Nothing of the instructor's is in it: not autograder/, not solutions/, no answer key, no hidden case.
tests/test_leaks.py scans each stage for the answers of every assignment not yet due at that stage (its
newest and all later ones); tests/test_distribution.py installs and runs the last stage.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..paths import DATA, NOTEBOOKS, ROOT, STUDENT_DIST, STUDENT_PACKAGE
from ..service.policy import course_policy, student_section

# What a student's environment needs: the notebooks' imports, Jupyter, and nbgrader for Validate.
STUDENT_REQUIREMENTS = ("numpy", "matplotlib", "ipywidgets", "ipykernel", "jupyterlab", "notebook", "nbgrader")
DATA_SUFFIXES = (".npy",)

PYPROJECT = '''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "cnn-inside-student"
version = "0.1.0"
description = "Checks, figures and explorers for the students of 'CNNs from the inside'"
requires-python = ">=3.11"
# unpinned, so that it installs into a JupyterHub image as it is; requirements.txt pins a laptop's
dependencies = ["numpy", "matplotlib", "ipywidgets", "ipython"]

[tool.setuptools.packages.find]
include = ["cnn_student*"]

[tool.setuptools.package-data]
cnn_student = ["expected/*.json"]
'''

README = '''# CNNs from the inside: your notebooks

You implement, in NumPy, what a convolutional network does inside: convolution and pooling,
forward and backward. Each notebook in `notebooks/` is one assignment; the checks its test cells
run come from the `cnn_student` package in this folder.

## Set up (two commands, Python 3.11 or newer)

```
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt .
.venv/bin/jupyter lab
```

On a JupyterHub whose image already has the course environment, skip both: open the notebooks.
(An administrator installs the package with `pip install .` from this folder and the pinned
versions in `requirements.txt`.)

## How to work

Open `notebooks/<assignment>/<assignment>.ipynb` and work top to bottom. Each function has a cell
marked `# YOUR CODE HERE`: delete the `raise NotImplementedError()` line, write the function, run
the cell, then the example cell below it (your output next to the expected one) and the test
cells. A failing test says what it checked, on which shapes and hyperparameters, what it expected
and what it received, and the most likely cause. More tests run when your work is graded, on other
shapes, paddings and strides: make your code general, not just right on the examples.

Keep the folders as they are: the notebooks load their data from `data/`.

## Before you submit: validate

Validation restarts the notebook in a fresh kernel, runs every cell and lists the tests that fail.

- In JupyterLab: the **Validate** button in the notebook's toolbar. A finished notebook shows
  "Success! Your notebook passes all the tests."
- In a terminal: `.venv/bin/nbgrader validate notebooks/01_conv_forward/01_conv_forward.ipynb`
  prints the same, or "VALIDATION FAILED ON n CELL(S)!" with the failing cells.

Then submit the notebook file as your course asks (nbgrader's exchange, or uploading the `.ipynb`).
'''


def student_requirements(project_requirements: Path = ROOT / "requirements.txt") -> str:
    """The students' pins, taken from the project's requirements.txt (one home for each version)."""
    pins = {}
    for line in project_requirements.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    missing = [name for name in STUDENT_REQUIREMENTS if name not in pins]
    if missing:
        raise ValueError(f"requirements.txt pins no version of {missing}")
    return ("# Pinned versions for students (Python 3.11); generated from the course's requirements.txt.\n"
            + "".join(f"{name}=={pins[name]}\n" for name in STUDENT_REQUIREMENTS))


def _copy_tree(src: Path, dest: Path, keep=lambda p: True) -> list[Path]:
    written = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or {"__pycache__", ".ipynb_checkpoints"} & set(rel.parts) or not keep(path):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)
        written.append(dest / rel)
    return written


def release_order(notebooks: Path = NOTEBOOKS) -> list[str]:
    """The assignments in the order they are released (and due): the order of their names."""
    return sorted(p.name for p in notebooks.iterdir() if p.is_dir() and not p.name.startswith("."))


def stage_readme(released: list[str]) -> str:
    return README + (f"\n## What this folder holds\n\nThe assignments released so far: "
                     f"{', '.join(f'`{a}`' for a in released)}. Later ones come in a later folder, when they are "
                     "released; keep your work from this one.\n")


def write_stage(dest: Path, released: list[str], notebooks: Path = NOTEBOOKS, package: Path = STUDENT_PACKAGE,
                data: Path = DATA, expected: Path | None = None) -> list[Path]:
    """Write one stage afresh into dest: the student package, the notebooks of `released` and their
    visible expected values (from `expected`, default the package's own), data, README, pins."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    expected = expected or package / "expected"
    shipped = package / "expected"
    written = _copy_tree(package, dest / package.name, keep=lambda p: shipped not in p.parents)
    written += _copy_tree(expected, dest / package.name / "expected",
                          keep=lambda p: p.suffix == ".json" and p.stem in released)
    for assignment in released:
        written += _copy_tree(notebooks / assignment, dest / "notebooks" / assignment)
    written += _copy_tree(data, dest / "data", keep=lambda p: p.suffix in DATA_SUFFIXES)
    readme = stage_readme(released) + student_section(course_policy(ROOT))  # the course's policy, from nbgrader_config.py
    for name, text in (("README.md", readme), ("requirements.txt", student_requirements()),
                       ("pyproject.toml", PYPROJECT)):
        (dest / name).write_text(text)
        written.append(dest / name)
    return written


def write_distribution(dest: Path = STUDENT_DIST, notebooks: Path = NOTEBOOKS, package: Path = STUDENT_PACKAGE,
                       data: Path = DATA, expected: Path | None = None) -> list[Path]:
    """Write every release stage afresh into dest/<assignment>/ (run after the notebooks are released)."""
    if dest.exists():
        shutil.rmtree(dest)
    order = release_order(notebooks)
    written: list[Path] = []
    for k, assignment in enumerate(order):
        written += write_stage(dest / assignment, order[:k + 1], notebooks, package, data, expected)
    return written
