"""A limit on the computing time of one call to a student's function, from a timer signal.

At grading, `check` gives each case half of the cell's time limit in CPU time (30 s with the default
`grade --timeout 60`; the grader passes it to the kernel as $AUTOGRADER_CASE_SECONDS). A correct loop
version needs well under a second on the largest test case (conv_backward's loop reference 0.06 s; a
version looping over every element of every window, seven loops deep, 11 s), while a backward pass
that differentiates the forward pass numerically needs hours there. Stopped at the limit, it costs
the grading machine that much instead of the cell's whole time limit, and its feedback names the
likely cause. CPU time, not wall time: a busy grading machine does not make a case slower.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Any, Iterator

from .protocol import CASE_ENV

CASE_SECONDS = 30  # without $AUTOGRADER_CASE_SECONDS
AGAIN = 0.5  # seconds: a stop that the student's code swallowed (a bare `except:`) is raised again


class OverTimeLimit(BaseException):
    """Raised inside the timed call; a BaseException, so that an `except Exception` in the student's
    code (or in the code that judges it) does not swallow it."""


def case_seconds() -> float:
    """The limit of one case at grading."""
    try:
        return float(os.environ.get(CASE_ENV, CASE_SECONDS))
    except ValueError:
        return float(CASE_SECONDS)


@contextlib.contextmanager
def time_limit(seconds: float, cpu: bool = False) -> Iterator[None]:
    """Raise OverTimeLimit in the block after `seconds` of wall time, or of this process's CPU time
    (cpu=True). No limit outside the main thread. An enclosing limit is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    which, signum = (signal.ITIMER_PROF, signal.SIGPROF) if cpu else (signal.ITIMER_REAL, signal.SIGALRM)

    def stop(signum, frame):
        raise OverTimeLimit()
    previous = signal.signal(signum, stop)
    outer, started = signal.setitimer(which, seconds, AGAIN), time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(which, 0)
        signal.signal(signum, previous)
        if outer[0] > 0:  # an enclosing limit: what is left of it
            signal.setitimer(which, max(outer[0] - (time.monotonic() - started), 0.001), outer[1])


def stopped_message(fn: str, call: str, args: tuple[Any, ...], seconds: float) -> str:
    """What the student reads about a case stopped at its limit: the call, and the likely cause in numbers."""
    text = (f"{call} was stopped after {seconds:g} s of computing. A version with one loop per output "
            f"position (slicing each window) finishes these inputs in well under a second.")
    if not fn.endswith("_backward"):
        return text + " Look for a loop that runs far more often than that, or one that never ends."
    import numpy as np  # here: the kernel launcher imports this module for CASE_ENV alone
    cache = args[-1] if args and isinstance(args[-1], tuple) else ()
    arrays = [a for a in cache if isinstance(a, np.ndarray)]  # what the gradient is taken with respect to
    sizes = " + ".join(f"{a.size:,}" for a in arrays)
    return (text + " For a backward pass the most likely cause is a gradient computed numerically: one forward "
            f"pass for each number the layer's inputs and parameters hold (here {sizes}) instead of "
            "backpropagation's one pass.")
