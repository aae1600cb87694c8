"""What the checks know about each function students write: how to build its inputs from a
case description, how to name the parts it returns, and which mistakes to suspect when it is wrong.

Topic modules in cnn_student/functions/ register one FunctionSpec per graded function.

Every cause a hint can name has a stable id and a one-line description (`cause`): the grader records
the ids it diagnosed, and the instructor's report counts them (autograder/grading/outputs/report.py). Ids are
listed in tests/cause_ids.txt: renaming one breaks the comparison of classes across terms.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import numpy as np


@dataclass
class Context:
    """Everything a hint may look at when a result is wrong."""
    fn: str
    case: dict
    args: tuple
    expected: Any
    received: Any
    part: str          # name of the part that differs ("Z", "dW", "return value", ...)
    exp_part: Any      # that part, expected
    rec_part: Any      # that part, received


Hint = Callable[[Context], Optional[str]]


class Diagnosed(str):
    """A hint's text, tagged with the id of the cause it names (a str: hints read as plain text)."""
    cause: str = ""


@dataclass(frozen=True)
class Cause:
    """One thing a check can diagnose. Call it on a hint's text to tag that text with it, or use it
    as a decorator on a hint that names only this cause (texts already tagged keep their own cause)."""
    id: str
    description: str
    specific: bool = True  # False: a last resort that names where it is wrong, not why (the report ranks it last)

    def __call__(self, what: Union[str, Hint]) -> Any:
        if isinstance(what, str):
            text = Diagnosed(what)
            text.cause = self.id
            return text

        @functools.wraps(what)
        def hint(*args: Any, **kwargs: Any) -> Optional[str]:
            text = what(*args, **kwargs)
            return text if not text or getattr(text, "cause", "") else self(text)
        return hint


CAUSES: dict[str, Cause] = {}


def cause(id: str, description: str, specific: bool = True) -> Cause:
    """Register a cause; ids are `<function or topic>.<what>`, descriptions one line, no answer in them.
    `specific=False` for the last resorts (fallback hints, "no known slip gives this")."""
    if id in CAUSES and CAUSES[id].description != description:
        raise ValueError(f"cause {id!r} registered twice with different descriptions")
    CAUSES[id] = Cause(id, description, specific)
    return CAUSES[id]


def cause_of(text: Optional[str], default: str) -> str:
    """The cause id a hint's text carries, else `default`."""
    return getattr(text, "cause", "") or default


def fallback(hint: Hint) -> Hint:
    """Mark a hint as a last resort: shown only when no other hint applies."""
    hint.fallback = True  # type: ignore[attr-defined]
    return hint


@dataclass
class FunctionSpec:
    name: str
    # Builds the positional arguments from a case dict and a seeded generator.
    make_args: Callable[[dict, np.random.Generator], tuple]
    # Names of the returned parts when the function returns a tuple, e.g. ("Z", "cache").
    parts: Optional[tuple[str, ...]] = None
    # Names of the arguments, for messages.
    arg_names: tuple[str, ...] = ()
    hints: list[Hint] = field(default_factory=list)
    # Where the reference lives when it is not the function of the same name in the same
    # assignment, e.g. ("03_backprop", "conv_backward") for conv_backward_fast.
    reference: Optional[tuple[str, str]] = None
    # Compare boolean/integer results exactly rather than with a float tolerance.
    exact: bool = False
    # The student's earlier functions this one calls (looked up in the notebook that defines it): when a
    # check fails, the student first hears which of them still fails its own test.
    uses: tuple[str, ...] = ()


SPECS: dict[str, FunctionSpec] = {}


def register(spec: FunctionSpec) -> FunctionSpec:
    if spec.name in SPECS:
        raise ValueError(f"function spec {spec.name!r} registered twice")
    SPECS[spec.name] = spec
    return spec


# Causes any function can show; the grader adds those of a whole test cell (autograder/grading/pipeline/verify.py).
RETURNED_NONE = cause("generic.returned_none", "the function returns None (no return statement)")
ALL_ZEROS = cause("generic.all_zeros", "the output array is created but never filled")
INTEGER_ARRAY = cause("generic.integer_array", "the output array holds integers, so values are truncated")
WRONG_RETURN = cause("generic.wrong_return", "the function does not return the tuple of parts it must")
UNEXPLAINED = cause("generic.unexplained", "wrong values that no specific check recognises", specific=False)

# Causes of the functions meant to have no loop over positions (cnn_student/speed.py).
POSITION_LOOP = cause("vectorized.position_loop", "a Python loop over output positions in a function meant to have none")
TOO_SLOW = cause("vectorized.too_slow", "slower than a function without a loop over positions can be")
NOT_TIMED = cause("vectorized.not_timed", "the function could not be timed")
