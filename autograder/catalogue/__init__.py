"""The catalogue of realistic student mistakes and of correct alternative implementations.

One module per assignment (a01_conv_forward.py, ...) defines ASSIGNMENT, MISTAKES and ALTERNATIVES.
The sample class (autograder/demo/) draws its generated students from it; tests/test_catalogue.py proves
that every mistake loses the points of the test cells it names, with feedback that names the cause, and
that every alternative gets full marks.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Optional

from ..authoring.variants import edited, solution_sources


@dataclass
class Mistake:
    id: str
    function: str                       # grade_id of the solution cell that holds the mistake
    fails: list[str]                    # grade_ids of test cells that must lose their points
    replace: list[tuple[str, str]] = field(default_factory=list)  # edits of the reference cell, each matching once
    source: Optional[str] = None        # or the whole cell, as a student would write it
    hint: Optional[str] = None          # a phrase the feedback of fails[0] must contain
    why: str = ""
    # Set when no visible test can catch the mistake: why it is left to the hidden tests
    # (tests/test_visible_coverage.py checks both ways: every uncaught mistake has a reason, and a
    # mistake that a visible test catches has none).
    why_hidden: Optional[str] = None
    # The id of the cause (cnn_student.spec.cause) that the verdict of fails[0] names first: what the
    # instructor's report counts this mistake under (causes.csv).
    cause: Optional[str] = None


@dataclass
class Alternative:
    id: str
    source: str                         # one or more function definitions replacing the reference ones
    why: str = ""


def mistaken_source(assignment: str, mistake: Mistake) -> str:
    """The solution cell of `mistake.function` as the student who makes the mistake writes it."""
    if mistake.source is not None:
        return mistake.source
    return edited(solution_sources(assignment)[mistake.function], mistake.replace, f"mistake {mistake.id}")


def modules():
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("a"):  # a01_..., a02_...: one module per assignment
            continue
        yield importlib.import_module(f"{__name__}.{info.name}")
