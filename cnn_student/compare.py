"""Compare a student's result with the reference result and explain the difference.

Used in two places with the same code: in the student's kernel for visible tests (immediate
feedback) and in the grader process, which is the only place where grades are decided.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from .serialize import Unrepresentable
from .functions import build_args, get_spec
from .spec import ALL_ZEROS, INTEGER_ARRAY, RETURNED_NONE, UNEXPLAINED, WRONG_RETURN, Context, FunctionSpec, cause_of

RTOL = 1e-6
ATOL = 1e-9


def describe_value(value: Any) -> str:
    """Short text for an argument or a result: shapes for arrays, the value for small things."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}" + (f", dtype {value.dtype}" if value.dtype != np.float64 else "")
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return f"{kind} of {len(value)}: (" + ", ".join(describe_value(v) for v in value) + ")"
    if isinstance(value, Unrepresentable):
        return f"a {value.type_name} ({value.text[:80]})"
    if isinstance(value, dict):
        return repr(value)
    if value is None:
        return "None"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return f"{type(value).__name__} {_fmt(value)}"  # one format for every number, NumPy scalar or not
    return f"{type(value).__name__} {value!r}"


def describe_args(spec: FunctionSpec, args: tuple) -> str:
    names = spec.arg_names or tuple(f"arg{i}" for i in range(len(args)))
    parts = []
    for name, value in zip(names, args):
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {value.shape}")
        elif isinstance(value, (tuple, list)) and any(isinstance(v, (np.ndarray, tuple, list, dict)) for v in value):
            parts.append(f"{name}={describe_value(value)}")  # a cache: shapes, not every number
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    if isinstance(x, (np.integer, np.bool_)):
        return repr(x.item())
    return repr(x)


def _as_array(value: Any) -> Optional[np.ndarray]:
    if isinstance(value, Unrepresentable) or value is None or isinstance(value, (str, dict, tuple, list)):
        return None
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return arr if arr.dtype != object else None


def diff_values(expected: Any, received: Any, exact: bool = False) -> Optional[str]:
    """None when received matches expected; otherwise one or two sentences saying how it differs."""
    if isinstance(expected, tuple):
        if not isinstance(received, (tuple, list)) or len(received) != len(expected):
            return f"expected a tuple of {len(expected)} items, received {describe_value(received)}"
        for i, (e, r) in enumerate(zip(expected, received)):
            why = diff_values(e, r, exact)
            if why:
                return f"item {i}: {why}"
        return None
    if isinstance(expected, dict):
        if not isinstance(received, dict):
            return f"expected a dict {expected!r}, received {describe_value(received)}"
        if set(expected) != set(received):
            return f"expected the keys {sorted(expected)}, received {sorted(received)}"
        for k in expected:
            why = diff_values(expected[k], received[k], exact)
            if why:
                return f"key {k!r}: {why}"
        return None
    if isinstance(expected, str):
        if not isinstance(received, str) or received.strip().lower() != expected.strip().lower():
            return f"expected {expected!r}, received {describe_value(received)}"
        return None
    exp = np.asarray(expected)
    rec = _as_array(received)
    if exp.ndim == 0 and rec is not None and rec.ndim == 0 and (exp.dtype == bool) != (rec.dtype == bool):
        # True is not the number 1 here: an answer of the wrong kind is wrong even where they compare equal
        return f"expected {describe_value(expected)}, received {describe_value(received)}"
    if rec is None:
        return f"expected {describe_value(expected)}, received {describe_value(received)}"
    if exp.ndim == 0:
        if rec.ndim != 0:
            # an array of shape (1, 1, 1) cannot be stored into one element of an array (NumPy 2)
            return f"expected a single number, received an array of shape {rec.shape}"
    elif rec.shape != exp.shape:
        return f"expected shape {exp.shape}, received shape {rec.shape}"
    if exp.dtype == bool or exact:
        if rec.dtype.kind not in "biuf":
            return f"expected numbers, received dtype {rec.dtype}"
        wrong = rec != exp
    else:
        if rec.dtype.kind not in "biuf":
            return f"expected numbers, received dtype {rec.dtype}"
        rec = rec.astype(np.float64)
        wrong = ~np.isclose(rec, exp, rtol=RTOL, atol=ATOL)
    if not np.any(wrong):
        return None
    if exp.ndim == 0:
        return f"expected {_fmt(exp[()])}, received {_fmt(rec[()])}"
    idx = tuple(int(i) for i in np.argwhere(wrong)[0])
    n_wrong, n = int(np.count_nonzero(wrong)), wrong.size
    text = (f"{n_wrong} of {n} values differ; the first at index {idx}: "
            f"expected {_fmt(exp[idx])}, received {_fmt(rec[idx])}")
    if exp.dtype != bool and not exact:
        text += f" (largest difference {float(np.nanmax(np.abs(rec - exp))):.3g})"
    return text


@dataclass
class Diagnosis:
    """What is wrong with one result: the feedback text, and the ids of the causes it names (most
    likely first) for the instructor's statistics."""
    message: str
    function: str
    causes: list[str] = field(default_factory=list)


def _generic_hints(ctx: Context) -> list[str]:
    hints = []
    if ctx.received is None:
        hints.append(RETURNED_NONE("your function returned None: is the `return` statement missing?"))
    rec = _as_array(ctx.rec_part)
    exp = _as_array(ctx.exp_part)
    if rec is not None and exp is not None and rec.shape == exp.shape and rec.size > 1:
        if rec.dtype.kind in "biuf" and np.all(rec == 0) and np.any(exp != 0):
            hints.append(ALL_ZEROS("every value you returned is 0: was the output array created but never "
                                   "filled, or returned before the loops ran?"))
        elif rec.dtype.kind in "iu" and exp.dtype.kind == "f":
            hints.append(INTEGER_ARRAY("your array holds integers: create it with np.zeros(shape) (float64), "
                                       "not np.zeros_like of an integer array"))
    return hints


def _split(spec: FunctionSpec, expected: Any, received: Any) -> tuple[str, Any, Any]:
    """The first returned part that differs, with its name, for the hints."""
    if spec.parts and isinstance(expected, tuple) and isinstance(received, (tuple, list)) \
            and len(received) == len(expected):
        for name, e, r in zip(spec.parts, expected, received):
            if diff_values(e, r, spec.exact):
                return name, e, r
    return "return value", expected, received


def explain(fn: str, case: dict, expected: Any, received: Any) -> Optional[str]:
    """None when the result is right; otherwise the feedback a student reads."""
    found = diagnose(fn, case, expected, received)
    return found.message if found else None


def diagnose(fn: str, case: dict, expected: Any, received: Any) -> Optional[Diagnosis]:
    """None when the result is right; otherwise the feedback and the causes it names."""
    spec = get_spec(fn)
    if spec.parts:
        names = ", ".join(spec.parts)
        if not isinstance(received, (tuple, list)) or len(received) != len(spec.parts):
            why = (f"{fn} must return the tuple ({names}); it returned {describe_value(received)}")
            return _message(spec, case, why, [WRONG_RETURN(f"end the function with `return {names}`")])
    why = diff_values(expected, received, spec.exact)
    if why is None:
        return None
    part, exp_part, rec_part = _split(spec, expected, received)
    if spec.parts:
        why = f"{part} (returned value {spec.parts.index(part) + 1} of {len(spec.parts)}) is wrong: " \
              + why.split(": ", 1)[-1] if why.startswith("item ") else why
    ctx = Context(fn=fn, case=case, args=build_args(fn, case), expected=expected, received=received,
                  part=part, exp_part=exp_part, rec_part=rec_part)
    hints, fallbacks = [], []
    for hint in spec.hints:
        try:
            text = hint(ctx)
        except (ValueError, TypeError, IndexError, ArithmeticError):
            text = None  # a hint that cannot apply to this result says nothing
        if text:
            (fallbacks if getattr(hint, "fallback", False) else hints).append(text)
    hints += _generic_hints(ctx)
    hints = hints or fallbacks  # fallback hints speak only when nothing more precise did
    return _message(spec, case, why, hints)


def _message(spec: FunctionSpec, case: dict, why: str, hints: list[str]) -> Diagnosis:
    args = build_args(spec.name, case)
    lines = [f"{spec.name}({describe_args(spec, args)}) gave a wrong result.", f"What differs: {why}."]
    if hints:
        lines.append("Most likely cause: " + hints[0])
        for extra in hints[1:2]:
            lines.append("Also check: " + extra)
    # wrapped, so that the message reads in a notebook and in the feedback page without scrolling
    text = "\n".join(textwrap.fill(line, width=100, subsequent_indent="    ", break_long_words=False,
                                   break_on_hyphens=False) for line in lines)
    causes = [cause_of(h, UNEXPLAINED.id) for h in hints[:2]] or [UNEXPLAINED.id]
    return Diagnosis(text, spec.name, list(dict.fromkeys(causes)))
