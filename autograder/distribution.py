"""The student distribution: exactly what students receive, written by `python -m autograder release`.

    dist/student/
        README.md            set-up in two commands, how to work, how to validate
        requirements.txt     the students' pinned requirements (versions from the project's requirements.txt)
        pyproject.toml       installs the student package on its own: pip install .
        cnn_student/         checks, hints, figures, widgets, gradient checker, visible expected values
        notebooks/<a>/       the released notebooks (and files released with them, e.g. tiny_cnn.py)
        data/                the photo and the shapes data set the notebooks load

Nothing of the instructor's is in it: not autograder/, not solutions/, no answer key, no hidden case.
tests/test_leaks.py scans this folder for answers; tests/test_distribution.py installs and runs it.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from .paths import DATA, NOTEBOOKS, ROOT, STUDENT_DIST, STUDENT_PACKAGE

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


def write_distribution(dest: Path = STUDENT_DIST, notebooks: Path = NOTEBOOKS,
                       package: Path = STUDENT_PACKAGE, data: Path = DATA) -> list[Path]:
    """Write the student distribution afresh into dest (run after the notebooks are released)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    written = _copy_tree(package, dest / package.name)
    written += _copy_tree(notebooks, dest / "notebooks")
    written += _copy_tree(data, dest / "data", keep=lambda p: p.suffix in DATA_SUFFIXES)
    from .service.policy import course_policy, student_section
    readme = README + student_section(course_policy(ROOT))  # the course's policy, as nbgrader_config.py declares it
    for name, text in (("README.md", readme), ("requirements.txt", student_requirements()),
                       ("pyproject.toml", PYPROJECT)):
        (dest / name).write_text(text)
        written.append(dest / name)
    return written
