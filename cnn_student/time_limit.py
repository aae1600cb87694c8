"""A time limit on a call to a student's function, from a timer signal (main thread only).

At grading, `check` gives each case CASE_SECONDS: a correct loop version takes well under a second on
the largest test case (conv_backward's loop reference 0.06 s; a version looping over every element
of every window, seven loops deep, 11 s), while a backward pass that differentiates the forward pass
numerically needs hours there. Stopped at the limit, it costs the grading machine CASE_SECONDS
instead of the cell's whole time limit, and its feedback names the likely cause.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

import numpy as np

CASE_SECONDS = 30


class OverTimeLimit(BaseException):
    """Raised inside the timed call; a BaseException, so that an `except Exception` in the student's
    code (or in the code that judges it) does not swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise OverTimeLimit in the block after `seconds` (no limit outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise OverTimeLimit()
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def stopped_message(call: str, args: tuple[Any, ...]) -> str:
    """What the student reads about a case stopped at CASE_SECONDS: the call, and the likely cause in numbers."""
    arrays = [a for arg in args for a in (arg if isinstance(arg, tuple) else (arg,)) if isinstance(a, np.ndarray)]
    sizes = " + ".join(f"{a.size:,}" for a in arrays[1:] or arrays)  # the cache's arrays, after the gradient
    return (f"{call} was stopped after {CASE_SECONDS} s. A version with loops over examples, output positions "
            f"and filters (one slice per window) finishes these inputs in well under a second. For a backward "
            f"pass the most likely cause is a gradient computed numerically: one forward pass for each input "
            f"and weight (here {sizes} numbers) instead of backpropagation's one pass.")
