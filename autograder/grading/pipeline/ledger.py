"""What a unit's run stage learns in the grader's own process beside the autograded notebooks, handed
in memory to its collect stage: each test cell's verdict (VerifyChecks), the caps each cell reached and
the cells whose output was cut (SandboxedExecute), the kernels' seconds, and each autograded notebook as
written (KeepGraded: collect need not read and validate the file again). Nothing of it is written
into a notebook to be read back, so nothing a student's kernel prints can pass for it.

nbgrader builds its preprocessors from configuration (deep-copied), so each finds its unit's ledger by
key (the traits `SandboxedExecute.ledger`, `VerifyChecks.ledger`), as SandboxedExecute finds its pool.
"""
from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from ..records import Verdict


@dataclass
class Ledger:
    """One unit's run, as its preprocessors saw it. Notebooks are named as nbgrader names them (the file
    name without .ipynb), cells by their index in the autograded notebook."""
    key: str
    verdicts: dict[str, Verdict] = field(default_factory=dict)        # "<notebook>:<grade_id>" -> verdict
    caps: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # notebook -> cell -> caps reached, in order
    truncated: dict[str, set[int]] = field(default_factory=dict)      # notebook -> cells whose output was cut
    timings: dict[str, float] = field(default_factory=dict)           # kernel_start, cells: seconds, all notebooks
    graded: dict[str, Any] = field(default_factory=dict)              # notebook -> the notebook nbgrader wrote (KeepGraded)

    def reached(self, notebook: str, cell: int, cap: str) -> None:
        """A cell reached a cap: "disk" or "processes" (integrity.CAP_RULES)."""
        self.caps.setdefault(notebook, {}).setdefault(cell, []).append(cap)

    def add_timings(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.timings[stage] = round(self.timings.get(stage, 0.0) + value, 3)


_open: dict[str, Ledger] = {}
_counter = itertools.count()


@contextmanager
def opened() -> Iterator[Ledger]:
    """A ledger for one unit's run, found by its key while the block runs."""
    ledger = Ledger(key=f"{os.getpid()}-{next(_counter)}")
    _open[ledger.key] = ledger
    try:
        yield ledger
    finally:
        _open.pop(ledger.key, None)


def find(key: str) -> Optional[Ledger]:
    """The open ledger of that key; None for "" (a preprocessor run outside a unit: tests, Generate Feedback)."""
    return _open[key] if key else None
