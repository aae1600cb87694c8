"""A grading worker: reads one unit per line (JSON) on stdin, grades it, answers one line on stdout.
The batch runs one worker per job and replaces any worker that overruns a unit's deadline or dies."""
from __future__ import annotations

import gc
import json
import os
import sys
import traceback

from traitlets.config.loader import KVArgParseConfigLoader

from ..isolation import pool
from ..isolation.leftovers import die_with_parent
from ..pipeline.kernel_client import DOTTED_NAME as STEADY_CLIENT
from ..pipeline.unit import failure_result, grade_unit
from ..records import Unit, UnitResult


class UnitGrader:
    """One grading process's way through its units: one after another, with kernels started ahead
    (isolation/pool.py), all destroyed when it closes."""

    def __init__(self, pool_size: int = pool.KernelPool().size):
        self.kernels = pool.Pool(pool_size, STEADY_CLIENT) if pool_size else None
        self.graded = 0

    def grade(self, unit: Unit) -> UnitResult:
        result = grade_unit(unit, self.kernels)
        self.graded += 1
        if self.graded == 1:
            # what the first unit imported and built stays for the process's life: out of the garbage
            # collector's full passes, which otherwise walk it again and again (0.05-0.1 s of a unit)
            gc.freeze()
        return result

    def close(self) -> None:
        if self.kernels:
            self.kernels.shutdown()


def main() -> None:
    """A grading process of the batch: `python -m autograder.grading.orchestrate.worker --KernelPool.size=N`
    (the batch's own call, not a command for people), units as JSON lines on stdin, a reply line each."""
    config = KVArgParseConfigLoader(sys.argv[1:], classes=[pool.KernelPool]).load_config()
    kernels_ahead = pool.KernelPool(config=config).size
    die_with_parent()   # if the batch process dies (Ctrl-C, kill), this worker and its kernels go with it
    # Kernels and libraries print to file descriptor 1, which child processes inherit: keep the
    # pipe to the batch on a private descriptor and point 1 at the log.
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    grader = UnitGrader(kernels_ahead)
    try:
        for line in sys.stdin:
            unit = Unit.from_json(line)
            try:
                grader.grade(unit)
                reply = {"ok": True}
            except Exception as err:  # one unit's failure is recorded as its result; the worker goes on
                traceback.print_exc()
                failure_result(unit, f"the grader failed on this submission ({type(err).__name__}: {err})", retry=True)
                reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            answer.write(json.dumps(reply) + "\n")
            answer.flush()
    finally:
        grader.close()


if __name__ == "__main__":
    main()
