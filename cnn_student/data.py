"""Where the course's data files are: the photo of notebook 2 and the shapes of notebook 4.

Students run notebooks from notebooks/<assignment>/ next to data/ (a checkout, the student
distribution, the grading sandbox); a JupyterHub image may put data/ elsewhere and say where with
CNN_STUDENT_DATA.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV = "CNN_STUDENT_DATA"


def data_file(name: str) -> Path:
    """The path of data/<name>: $CNN_STUDENT_DATA, else the first data/ folder at or above the
    working folder, else the one beside this package."""
    candidates = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    here = Path.cwd().resolve()
    candidates += [p / "data" for p in (here, *here.parents)]
    candidates.append(Path(__file__).resolve().parents[1] / "data")
    for folder in candidates:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"data file {name!r} not found: keep the course's data/ folder beside notebooks/ (run the notebook "
        f"from its own folder), or set {ENV} to the folder that holds it")
