"""The grader's verdict on one test cell, decided in the grader's own process.

The list of checks comes from the instructor's copy of the test cell; the student's kernel only
supplies what the student's functions returned. The reference result is recomputed here from
solutions/, so rebinding numpy or the checking code in the kernel changes nothing.
"""
from __future__ import annotations

from typing import Any, Optional

from cnn_student.compare import describe_args, explain
from ..explanations import explanation
from ..reference import expected_result
from cnn_student.serialize import case_key
from cnn_student.spec import build_args, get_spec
from cnn_student.speed import VECTORIZED, loops_in, measure, verdict
from ..testcells import parse_checks

# What a test cell's checks produced: case key -> ("result", value) or ("error", text)
Results = dict[str, tuple[str, Any]]

_expected_cache: dict[tuple[str, str], Any] = {}


def _expected(fn: str, case: dict, assignment: str) -> Any:
    key = (assignment, case_key(fn, case))
    if key not in _expected_cache:
        _expected_cache[key] = expected_result(fn, case, assignment)
    return _expected_cache[key]


def _judge_vectorized(source: str, results: Results, assignment: str, sources: Optional[list[str]]) -> Optional[str]:
    """check_vectorized calls: the result must be right, the recorded time below the limit (a ratio to
    the calibration timed in the same kernel) and the submitted source free of position loops."""
    for fn, case in parse_checks(source, ("check_vectorized",)):
        key = case_key(fn + VECTORIZED, case)
        spec = get_spec(fn)
        if key not in results:
            return (f"{fn} was never timed on {describe_args(spec, build_args(fn, case))}: the test cell stopped "
                    f"before (see the error above) or the function is missing.")
        kind, value = results[key]
        if kind == "error" or not isinstance(value, dict) or "value" not in value:
            return f"{fn}({describe_args(spec, build_args(fn, case))}) raised {value}"
        message = explain(fn, case, _expected(fn, case, assignment), value["value"])
        if message:
            return "The timed case must be right too. " + message
        loops = loops_in(fn, sources) if sources is not None else None
        message = verdict(fn, value, loops)
        if message:
            return message
    return None


def judge(source: str, results: Results, assignment: str, sources: Optional[list[str]] = None) -> Optional[str]:
    """None when every check that the trusted cell source makes got the reference result.
    `sources`: the submitted notebook's code cells, which the vectorization checks read."""
    for fn, case in parse_checks(source):
        key = case_key(fn, case)
        spec = get_spec(fn)
        if key not in results:
            return (f"{fn}({describe_args(spec, build_args(fn, case))}) was never checked: the test cell "
                    f"stopped before this case (see the error above) or the function is missing.")
        kind, value = results[key]
        if kind == "error":
            return f"{fn}({describe_args(spec, build_args(fn, case))}) raised {value}"
        message = explain(fn, case, _expected(fn, case, assignment), value)
        if message:
            why = explanation(fn)  # states the answer: only ever in feedback written at grading
            return f"{message}\n{why}" if why else message
    return _judge_vectorized(source, results, assignment, sources)


def run_in_process(source: str, namespace: dict[str, Any], assignment: str, sources: Optional[list[str]] = None,
                   calibration_scale: float = 1.0) -> Optional[str]:
    """Judge a test cell against functions defined in this process (the mistake catalogue's tests).
    `sources` are the code the namespace ran; calibration_scale < 1 plays a slower machine."""
    results: Results = {}
    for fn, case in parse_checks(source, ("check_vectorized",)):
        student = namespace.get(fn)
        try:
            value, measures = measure(student, build_args(fn, case), calibration_scale)
        except Exception as err:  # a mistaken implementation may crash: that is a failed check
            results[case_key(fn + VECTORIZED, case)] = ("error", f"{type(err).__name__}: {err}")
        else:
            results[case_key(fn + VECTORIZED, case)] = ("result", {"value": value, **measures})
    for fn, case in parse_checks(source):
        student = namespace.get(fn)
        try:
            value = student(*build_args(fn, case)) if callable(student) else student
        except Exception as err:  # a mistaken implementation may crash: that is a failed check
            results[case_key(fn, case)] = ("error", f"{type(err).__name__}: {err}")
        else:
            results[case_key(fn, case)] = ("result", value)
    return judge(source, results, assignment, sources)


def records(cell: Any) -> Results:
    """The results that the check calls of a test cell recorded as outputs while grading."""
    from cnn_student.checks import RECORD_MIME
    from cnn_student.serialize import decode
    found: Results = {}
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

