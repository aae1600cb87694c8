"""What the checks know about each function students write: how to build its inputs from a
case description, how to name the parts it returns, and which mistakes to suspect when it is wrong.

Topic modules in cnn_student/functions/ register one FunctionSpec per graded function.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

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


SPECS: dict[str, FunctionSpec] = {}


def register(spec: FunctionSpec) -> FunctionSpec:
    if spec.name in SPECS:
        raise ValueError(f"function spec {spec.name!r} registered twice")
    SPECS[spec.name] = spec
    return spec


def get_spec(name: str) -> FunctionSpec:
    from . import functions  # noqa: F401  (registers every topic's specs)
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"no checks are defined for a function called {name!r}; "
                       f"known: {', '.join(sorted(SPECS))}") from None


def build_args(name: str, case: dict) -> tuple:
    """The arguments for one case: fresh arrays, the same ones every time for the same case."""
    spec = get_spec(name)
    rng = np.random.default_rng(case.get("seed", 0))
    return spec.make_args(case, rng)
