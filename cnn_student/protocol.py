"""What a graded kernel and the grader tell each other: the one statement of the protocol.

The grader's side sets, in the kernel's environment (autograder/grading/isolation/sandbox.py):
- GRADING_ENV=1: this kernel is the grader's. The ungraded experiments consult it (`grading()`): no
  point depends on a training run that uses none of the student's code or on a benchmark of the
  grading machine, so at grading they run short (and say so with `grading_note`), while the
  student's own notebook runs them in full. Every graded check runs the same either way.
- CASE_ENV: the seconds of CPU time each case of a `check` may take (cnn_student/time_limit.py).

The kernel's side, only when grading: every case a check runs is recorded (`record`) as a
display_data output of the test cell whose data holds RECORD_MIME: {"fn", "case", and "result"
(cnn_student.serialize.encode) or "error" (text)}. A case stopped at its time limit records the error
`stopped_record(seconds)`; a vectorization check records under fn + VECTORIZED, with its timings.
The grader reads them back (`read_records`) and judges in its own process against the reference
(autograder/grading/pipeline/verify.py); nothing the kernel does can change a grade.
"""
from __future__ import annotations

import os
from typing import Any

GRADING_ENV = "AUTOGRADER_GRADING"
CASE_ENV = "AUTOGRADER_CASE_SECONDS"
RECORD_MIME = "application/vnd.cnn-autograder.record+json"
VECTORIZED = "#vectorized"  # the record's name: fn + VECTORIZED, apart from the correctness checks of fn
STOPPED = "[stopped at the case time limit]"  # how `check` records such a case (no exception's name starts so)

# case key (cnn_student.serialize.case_key) -> ("result", value) or ("error", text)
Records = dict[str, tuple[str, Any]]


def grading() -> bool:
    """Whether this kernel is the grader's."""
    return os.environ.get(GRADING_ENV) == "1"


def grading_note(text: str) -> None:
    """A line in the graded copy saying what was shortened there, and that the student's notebook has it all."""
    print(f"[graded copy: {text}; your own notebook runs it in full]")


def record(fn: str, case: dict, payload: dict) -> None:
    """Record one case's outcome as an output of the running cell (only called when grading)."""
    from IPython.display import display  # here: the kernel's launcher imports this module, never IPython (0.05 s)
    display({RECORD_MIME: {"fn": fn, "case": case, **payload}}, raw=True)


def stopped_record(seconds: float) -> str:
    """The error text `check` records for a stopped case (read back by stopped_seconds)."""
    return f"{STOPPED} {seconds:g} s"


def stopped_seconds(error: str) -> float | None:
    """The limit a recorded error says the case was stopped at; None for any other error."""
    if not error.startswith(STOPPED + " "):
        return None
    try:
        return float(error[len(STOPPED) + 1:].split()[0])
    except (IndexError, ValueError):
        return None


def is_record(output: dict) -> bool:
    """Whether a cell output is a record (kept out of what the student reads, and of the output budget)."""
    return RECORD_MIME in output.get("data", {})


def read_records(cell: Any) -> Records:
    """The records of a test cell's outputs, as the grader reads them back."""
    from .serialize import case_key, decode  # here: the launcher needs no numpy, which serialize imports (0.13 s)
    found: Records = {}
    for out in cell.get("outputs", []):
        data = out.get("data", {}).get(RECORD_MIME) if out.get("output_type") == "display_data" else None
        if not isinstance(data, dict) or not isinstance(data.get("fn"), str) or not isinstance(data.get("case"), dict):
            continue
        key = case_key(data["fn"], data["case"])
        try:
            found[key] = ("error", str(data["error"])) if "error" in data else ("result", decode(data.get("result")))
        except (ValueError, TypeError, KeyError) as err:
            found[key] = ("error", f"an unreadable result ({type(err).__name__})")
    return found
