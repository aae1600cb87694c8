"""Where things are, and the one environment fix nbgrader needs."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def ensure_tools_on_path() -> None:
    """nbgrader runs the `alembic` command of its own environment: put this Python's bin/ on PATH,
    so that `.venv/bin/python -m autograder ...` works without activating the venv."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
