"""The one function test cells call: `check(name, student_function, cases=[...])`.

In a student's notebook it runs the function on each case and compares with the reference
result shipped in cnn_student/expected/ (visible cases), raising an error that explains the mistake.
When the grader runs the notebook it also records each result as an output of the cell
(cnn_student/protocol.py); the grader recomputes the reference in its own process and decides there,
so nothing done inside the student's kernel can change a grade.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .compare import describe_args, explain
from .expected import cases_of, lookup
from .failures import CheckFailed, plain
from .protocol import grading, record, stopped_record
from .serialize import encode
from .functions import build_args, get_spec
from .time_limit import OverTimeLimit, case_seconds, stopped_message, time_limit


def _raised_in(err: BaseException) -> str:
    """The name of the function whose frame raised `err` (the innermost frame of its traceback)."""
    tb = err.__traceback__
    name = ""
    while tb is not None:
        name, tb = tb.tb_frame.f_code.co_name, tb.tb_next
    return name


def earlier_failure(fn: str, student: Any) -> Optional[str]:
    """When `fn` calls earlier functions of the student's (its spec's `uses`), the first of them that still
    fails one of its own visible cases, said in one sentence; None when they all pass (or are not there).
    They are looked up where the student defined `fn`: the notebook's namespace."""
    namespace = getattr(student, "__globals__", None) or {}
    for dep in get_spec(fn).uses:
        dep_fn = namespace.get(dep)
        if not callable(dep_fn):
            continue
        for case in cases_of(dep):
            args = build_args(dep, case)
            call = f"{dep}({describe_args(get_spec(dep), args)})"
            try:
                result = dep_fn(*args)
            except NotImplementedError:
                return f"{dep} above is not written yet, and {fn} calls it: write {dep} first."
            except Exception as err:  # noqa: BLE001  (any error of the student's earlier function is the news)
                return (f"{dep} above still fails its test: {call} raised {type(err).__name__}: {err}. {fn} calls "
                        f"it, so fix {dep} first; this failure may come from there.")
            found, expected = lookup(dep, case)
            if found and explain(dep, case, expected, result):
                return (f"{dep} above still fails its test: {call} gives a wrong result (its test cell says how). "
                        f"{fn} calls it, so fix {dep} first; this failure may come from there.")
    return None


def _passed_line(fn: str, cases: list[dict], compared: int) -> str:
    """The one line a passing test cell prints: what was checked, so that the student sees the work counted."""
    spec = get_spec(fn)
    what = "; ".join(describe_args(spec, build_args(fn, case)) or "the answer" for case in cases[:3])
    more = f" and {len(cases) - 3} more" if len(cases) > 3 else ""
    if compared == len(cases):
        verdict = "the same as the reference solution"
    else:
        verdict = f"{compared} compared with the reference solution here, the others when you submit"
    return f"✔ {fn}: {len(cases)} case{'s' if len(cases) != 1 else ''} checked ({what}{more}): {verdict}."


def check(fn: str, student: Callable[..., Any] | Any, cases: list[dict]) -> None:
    """Run `student` on every case and fail with an explanation at the first wrong result.

    `student` is the student's function, or for a value-type answer the value itself.
    """
    __tracebackhide__ = True  # noqa: F841  (IPython and pytest hide this frame)
    spec = get_spec(fn)
    seconds = case_seconds()  # at grading, what each case may compute
    compared = 0
    for case in cases:
        args = build_args(fn, case)
        if callable(student):
            try:
                if grading():
                    with time_limit(seconds, cpu=True):
                        result = student(*args)
                else:
                    result = student(*args)
            except OverTimeLimit:  # only at grading
                record(fn, case, {"error": stopped_record(seconds)})
                raise plain(TimeoutError(stopped_message(fn, f"{fn}({describe_args(spec, args)})", args,
                                                          seconds))) from None
            except NotImplementedError as err:
                if grading():  # recorded, so that the grader can tell "not written" from "not reached"
                    record(fn, case, {"error": "NotImplementedError: not written"})
                where = _raised_in(err)
                if where != fn and where in spec.uses:
                    raise plain(NotImplementedError(
                        f"{where} is not written yet, and {fn} calls it: write {where} in its cell, run that cell, "
                        f"then run this test again.")) from None
                raise plain(NotImplementedError(
                    f"{fn} is not written yet: in its cell, replace `raise NotImplementedError()` "
                    f"with your code, run that cell, then run this test again.")) from None
            except Exception as err:  # the student's code failed: their own traceback shows where
                if grading():
                    record(fn, case, {"error": f"{type(err).__name__}: {err}"[:1000]})
                else:
                    earlier = earlier_failure(fn, student)
                    if earlier:  # said first, above the traceback: the cause is in another cell
                        print(f"⚠ {earlier}\n", flush=True)
                        err.add_note(f"(first fix: {earlier})")
                err.add_note(f"(raised by your {fn} when the test called {fn}({describe_args(spec, args)}))")
                raise
        else:
            result = student
        if grading():
            record(fn, case, {"result": encode(result)})
        found, expected = lookup(fn, case)
        if found:
            message = explain(fn, case, expected, result)
            if message:
                earlier = None if grading() else earlier_failure(fn, student)
                raise plain(CheckFailed(f"{earlier}\n\n{message}" if earlier else message))
            compared += 1
    if not grading():
        print(_passed_line(fn, cases, compared))


SHOWN = 64  # an array with more values is shown as one labelled 2-D slice


def _slice(shape: tuple[int, ...], focus: Optional[tuple[int, ...]] = None) -> tuple[Any, str]:
    """The index of a 2-D slice (at most 8 x 8) of an array of `shape`, through `focus` (an index) when
    given, and its label, e.g. `[0, :, :, 3]`: the rows and columns of one example and one channel."""
    focus = focus or (0,) * len(shape)
    if len(shape) <= 2:
        keep = list(range(len(shape)))
    elif len(shape) == 4:  # NHWC: height and width
        keep = [1, 2]
    else:
        keep = list(range(len(shape)))[-2:]
    index, label = [], []
    for axis, size in enumerate(shape):
        if axis in keep:
            start = 0 if size <= 8 else min(max(focus[axis] - 3, 0), size - 8)
            stop = min(size, start + 8)
            index.append(slice(start, stop))
            label.append(":" if (start, stop) == (0, size) else f"{start}:{stop}")
        else:
            index.append(focus[axis])
            label.append(str(focus[axis]))
    return tuple(index), "[" + ", ".join(label) + "]"


def _number_text(value: Any) -> Optional[str]:
    """A number as the arrays print theirs (4 decimals), whatever its type: float, NumPy scalar or int."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        with np.printoptions(precision=4, suppress=True):
            return np.array2string(np.asarray(value))
    return None


def _show(name: str, value: Any, index: Optional[tuple[Any, str]] = None) -> None:
    if isinstance(value, np.ndarray):
        print(f"{name}: array of shape {value.shape}")
        with np.printoptions(precision=4, suppress=True, linewidth=100):
            if value.size <= SHOWN:
                print(value.squeeze())
            else:
                where, label = index if index is not None else _slice(value.shape)
                print(f"values {label} (a slice: {value.size} values in all)")
                print(value[where])
    elif _number_text(value) is not None:
        print(f"{name}: {_number_text(value)}")
    else:
        print(f"{name}: {value!r}")


def _shared_slice(mine: Any, ref: Any) -> Optional[tuple[Any, str]]:
    """One slice for both arrays, through the first value that differs, when they have the same shape."""
    if not (isinstance(mine, np.ndarray) and isinstance(ref, np.ndarray)) or mine.shape != ref.shape \
            or ref.size <= SHOWN:
        return None
    try:
        wrong = ~np.isclose(mine.astype(np.float64), ref.astype(np.float64))
    except (TypeError, ValueError):
        wrong = np.zeros(ref.shape, bool)
    focus = tuple(int(i) for i in np.argwhere(wrong)[0]) if wrong.any() else None
    return _slice(ref.shape, focus)


def show_example(fn: str, student: Callable[..., Any] | Any, case: dict, show: tuple[str, ...] = ()) -> None:
    """Run one small worked example: print your result next to the expected one, ungraded.

    `show` names the returned parts to print (default: all but caches).
    """
    __tracebackhide__ = True  # noqa: F841  (an error in the student's code shows their frame, not ours)
    spec = get_spec(fn)
    args = build_args(fn, case)
    print(f"{fn}({describe_args(spec, args)})")
    try:
        result = student(*args) if callable(student) else student
    except NotImplementedError as err:
        where = _raised_in(err)
        if where != fn and where in spec.uses:
            print(f"\n{where} is not written yet, and {fn} calls it: write {where} first, run its cell, then this one.")
        else:
            print(f"\n{fn} is not written yet: write it in the cell above, run that cell, then this one.")
        return
    except Exception:
        earlier = earlier_failure(fn, student)
        if earlier:  # said first, above the traceback: the cause is in another cell
            print(f"\n⚠ {earlier}\n", flush=True)
        raise
    found, expected = lookup(fn, case)
    names = spec.parts or ("result",)
    wanted = show or tuple(n for n in names if n != "cache")
    pairs = zip(names, result if spec.parts and isinstance(result, (tuple, list)) else (result,),
                expected if spec.parts and found else (expected,))
    for name, mine, ref in pairs:
        if name in wanted:
            index = _shared_slice(mine, ref) if found else None
            _show(f"\nyour {name}", mine, index)
            if found:
                _show(f"expected {name}", ref, index)
    if not found:
        return
    message = explain(fn, case, expected, result)
    if message is None:
        print("\n✔ matches the reference solution.")
        return
    earlier = earlier_failure(fn, student) if callable(student) else None
    print(("\n⚠ " + earlier if earlier else "") + "\n✘ " + message)
