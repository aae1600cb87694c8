"""The grader's verdict on one test cell, decided in the grader's own process.

The list of checks comes from the instructor's copy of the test cell; the student's kernel only
supplies what the student's functions returned. The reference result is recomputed here from
solutions/, so rebinding numpy or the checking code in the kernel changes nothing.
"""
from __future__ import annotations

from typing import Any, Optional

from cnn_student.compare import Diagnosis, describe_args, diagnose
from cnn_student.functions.sharing import CONCEPT_KINDS
from cnn_student.serialize import case_key
from cnn_student.functions import build_args, get_spec
from cnn_student.spec import UNEXPLAINED, cause_of
from cnn_student.protocol import VECTORIZED, Records, stopped_seconds
from cnn_student.speed import loops_in, verdict
from cnn_student.time_limit import stopped_message
from .explanations import explanation
from .misconceptions import concept_cause
from ...authoring.reference import expected_result
from ...authoring.testcells import parse_checks
from .causes import NOT_CHECKED, NOT_WRITTEN, RAISED, RAISED_INDEX, RAISED_SHAPES, TOO_SLOW

# What a test cell's checks produced: case key -> ("result", value) or ("error", text), as the kernel
# recorded them (cnn_student/protocol.py states how)
Results = Records

_expected_cache: dict[tuple[str, str], Any] = {}

def _expected(fn: str, case: dict, assignment: str) -> Any:
    key = (assignment, case_key(fn, case))
    if key not in _expected_cache:
        _expected_cache[key] = expected_result(fn, case, assignment)
    return _expected_cache[key]


def _not_run(fn: str, case: dict, kind: str, value: Any, what: str = "checked") -> Diagnosis:
    """The verdict on a check whose function never returned: not reached, not written, or raised."""
    call = f"{fn}({describe_args(get_spec(fn), build_args(fn, case))})"
    if kind is None:
        return Diagnosis(f"{fn} was never {what} on {call}: the test cell stopped before (see the error above) "
                         f"or the function is missing.", fn, [NOT_CHECKED.id])
    text = str(value)
    seconds = stopped_seconds(text)
    if seconds is not None:
        return Diagnosis(stopped_message(fn, call, build_args(fn, case), seconds), fn, [TOO_SLOW.id])
    named = (NOT_WRITTEN if text.startswith("NotImplementedError") else
             RAISED_SHAPES if text.startswith("ValueError") and "broadcast" in text else
             RAISED_INDEX if text.startswith("IndexError") else RAISED)
    return Diagnosis(f"{call} raised {value}", fn, [named.id])


def _judge_vectorized(source: str, results: Results, assignment: str,
                      sources: Optional[list[str]]) -> Optional[Diagnosis]:
    """check_vectorized calls: the result must be right, the recorded time below the limit (a ratio to
    the calibration timed in the same kernel) and the submitted source free of position loops."""
    for fn, case in parse_checks(source, ("check_vectorized",)):
        key = case_key(fn + VECTORIZED, case)
        if key not in results:
            return _not_run(fn, case, None, None, "timed")
        kind, value = results[key]
        if kind == "error" or not isinstance(value, dict) or "value" not in value:
            return _not_run(fn, case, "error", value)
        found = diagnose(fn, case, _expected(fn, case, assignment), value["value"])
        if found:
            found.message = "The timed case must be right too. " + found.message
            return found
        loops = loops_in(fn, sources) if sources is not None else None
        message = verdict(fn, value, loops)
        if message:
            return Diagnosis(message, fn, [cause_of(message, UNEXPLAINED.id)])
    return None


def judge(source: str, results: Results, assignment: str, sources: Optional[list[str]] = None) -> Optional[Diagnosis]:
    """None when every check that the trusted cell source makes got the reference result; otherwise
    the feedback of the first failed check and the causes it names.
    `sources`: the submitted notebook's code cells, which the vectorization checks read."""
    for fn, case in parse_checks(source):
        key = case_key(fn, case)
        if key not in results:
            return _not_run(fn, case, None, None)
        kind, value = results[key]
        if kind == "error":
            return _not_run(fn, case, kind, value)
        found = diagnose(fn, case, _expected(fn, case, assignment), value)
        if found:
            if fn in CONCEPT_KINDS and found.causes == [UNEXPLAINED.id]:  # a wrong answer of the right kind
                found.causes = [concept_cause(fn, value)]
            why = explanation(fn)  # states the answer: only ever in feedback written at grading
            if why:
                found.message = f"{found.message}\n{why}"
            return found
    return _judge_vectorized(source, results, assignment, sources)
