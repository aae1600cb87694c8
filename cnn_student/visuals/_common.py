from __future__ import annotations

from typing import Any, Callable, Optional


def try_student(fn: Callable[..., Any], *args: Any) -> Optional[Any]:
    """Call a student's function for a figure; None (with a note) when it is not written yet."""
    try:
        return fn(*args)
    except NotImplementedError:
        print(f"This figure uses {fn.__name__}, which is not written yet: write it first, "
              f"run its cell, then run this cell again.")
        return None
