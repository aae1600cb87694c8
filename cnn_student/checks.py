"""The one function test cells call: `check(name, student_function, cases=[...])`.

In a student's notebook it runs the function on each case and compares with the reference
result shipped in data/expected/ (visible cases), raising an error that explains the mistake.
When the grader runs the notebook (AUTOGRADER_GRADING=1) it also records each result as an
output of the cell; the grader recomputes the reference in its own process and decides there,
so nothing done inside the student's kernel can change a grade.
"""
from __future__ import annotations

from typing import Any, Callable

from .compare import describe_args, explain
from .expected import lookup
from .grading import grading as _grading
from .serialize import encode
from .spec import build_args, get_spec
from .time_limit import OverTimeLimit, case_seconds, stopped_message, stopped_record, time_limit

RECORD_MIME = "application/vnd.cnn-autograder.record+json"


class CheckFailed(AssertionError):
    """A student's function gave a wrong result; the message says what and why."""


def _plain(err: BaseException) -> BaseException:
    """Show only the message under the cell, not frames of this module: the message says it all.
    (IPython renders an exception's `_render_traceback_()` instead of its traceback.)"""
    lines = str(err).splitlines() or [""]
    # no ANSI colour: JupyterLab's red on its pink error background is 2.7:1 (WCAG asks 4.5:1); the
    # theme's own text colour reads on it, and the name says it is an error
    err._render_traceback_ = lambda: [f"{type(err).__name__}: {lines[0]}", *lines[1:]]  # type: ignore[attr-defined]
    return err


def _record(fn: str, case: dict, payload: dict) -> None:
    from IPython.display import display
    display({RECORD_MIME: {"fn": fn, "case": case, **payload}}, raw=True)


def check(fn: str, student: Callable[..., Any] | Any, cases: list[dict]) -> None:
    """Run `student` on every case and fail with an explanation at the first wrong result.

    `student` is the student's function, or for a value-type answer the value itself.
    """
    __tracebackhide__ = True  # noqa: F841  (IPython and pytest hide this frame)
    spec = get_spec(fn)
    seconds = case_seconds()  # at grading, what each case may compute
    for case in cases:
        args = build_args(fn, case)
        if callable(student):
            try:
                if _grading():
                    with time_limit(seconds, cpu=True):
                        result = student(*args)
                else:
                    result = student(*args)
            except OverTimeLimit:  # only at grading
                _record(fn, case, {"error": stopped_record(seconds)})
                raise _plain(TimeoutError(stopped_message(fn, f"{fn}({describe_args(spec, args)})", args,
                                                          seconds))) from None
            except NotImplementedError:
                if _grading():  # recorded, so that the grader can tell "not written" from "not reached"
                    _record(fn, case, {"error": "NotImplementedError: not written"})
                raise _plain(NotImplementedError(
                    f"{fn} is not written yet: in its cell, replace `raise NotImplementedError()` "
                    f"with your code, run that cell, then run this test again.")) from None
            except Exception as err:  # the student's code failed: their own traceback shows where
                if _grading():
                    _record(fn, case, {"error": f"{type(err).__name__}: {err}"[:1000]})
                err.add_note(f"(raised by your {fn} when the test called {fn}({describe_args(spec, args)}))")
                raise
        else:
            result = student
        if _grading():
            _record(fn, case, {"result": encode(result)})
        found, expected = lookup(fn, case)
        if found:
            message = explain(fn, case, expected, result)
            if message:
                raise _plain(CheckFailed(message))


def _show(name: str, value: Any) -> None:
    import numpy as np
    if isinstance(value, np.ndarray):
        print(f"{name}: array of shape {value.shape}")
        with np.printoptions(precision=4, suppress=True, linewidth=100):
            print(value.squeeze() if value.size <= 64 else value.reshape(-1)[:8])
    else:
        print(f"{name}: {value!r}")


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
    except NotImplementedError:
        print(f"\n{fn} is not written yet: write it in the cell above, run that cell, then this one.")
        return
    found, expected = lookup(fn, case)
    names = spec.parts or ("result",)
    wanted = show or tuple(n for n in names if n != "cache")
    pairs = zip(names, result if spec.parts and isinstance(result, (tuple, list)) else (result,),
                expected if spec.parts and found else (expected,))
    for name, mine, ref in pairs:
        if name in wanted:
            _show(f"\nyour {name}", mine)
            if found:
                _show(f"expected {name}", ref)
    if not found:
        return
    message = explain(fn, case, expected, result)
    print("\n" + ("✔ matches the reference solution." if message is None else "✘ " + message))
