"""A grading worker: reads one unit per line (JSON) on stdin, grades it, answers one line on stdout.
The batch runs one worker per job and replaces any worker that overruns a unit's deadline or dies."""
from __future__ import annotations

import json
import os
import sys
import traceback

from ..isolation.leftovers import die_with_parent
from ..records import Unit
from ..pipeline.unit import failure_result, grade_unit


def main() -> None:
    die_with_parent()   # if the batch process dies (Ctrl-C, kill), this worker and its kernels go with it
    # Kernels and libraries print to file descriptor 1, which child processes inherit: keep the
    # pipe to the batch on a private descriptor and point 1 at the log.
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        unit = Unit.from_json(line)
        try:
            grade_unit(unit)
            reply = {"ok": True}
        except Exception as err:  # one unit's failure is recorded as its result; the worker goes on
            traceback.print_exc()
            failure_result(unit, f"the grader failed on this submission ({type(err).__name__}: {err})", retry=True)
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        answer.write(json.dumps(reply) + "\n")
        answer.flush()


if __name__ == "__main__":
    main()
