"""Waiting, in a test, for what another process does (a service grading, a Dask worker started again, a
stand-in LMS receiving scores): one loop, whose failure says what never came."""
from __future__ import annotations

import time
from typing import Any, Callable, Union


def wait_for(check: Callable[[], Any], what: Union[str, Callable[[], str]], seconds: float = 120,
             every: float = 0.05) -> Any:
    """check()'s first true value, tried every `every` s; after `seconds`, fails saying `what` (a callable is
    asked only then, for a message built from the state at that moment)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what() if callable(what) else what}")
        time.sleep(every)
