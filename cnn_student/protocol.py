"""Whether this kernel is the grader's (AUTOGRADER_GRADING=1, set by the grading sandbox).

The ungraded experiments consult it: no point depends on a training run that uses none of the
student's code or on a benchmark of the grading machine, so at grading they run short (and say so
in the feedback), while the student's own notebook runs them in full. Every graded check runs the
same either way.
"""
from __future__ import annotations

import os


def grading() -> bool:
    return os.environ.get("AUTOGRADER_GRADING") == "1"


def grading_note(text: str) -> None:
    """A line in the graded copy saying what was shortened there, and that the student's notebook has it all."""
    print(f"[graded copy: {text}; your own notebook runs it in full]")
