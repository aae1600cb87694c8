from __future__ import annotations

import sys
from typing import Any, Callable, Optional

import matplotlib.pyplot as plt
import numpy as np

from ..protocol import grading, grading_note


def show() -> None:
    """plt.show(), after what the cell printed: the kernel sends a figure at once and printed text
    a moment later, so without the flush the two could come out in either order."""
    sys.stdout.flush()
    plt.show()


def try_student(fn: Callable[..., Any], *args: Any) -> Optional[Any]:
    """Call a student's function for a figure; None (with a note) when it is not written yet."""
    try:
        return fn(*args)
    except NotImplementedError:
        print(f"This figure uses {fn.__name__}, which is not written yet: write it first, "
              f"run its cell, then run this cell again.")
        return None


def shift_right(x: np.ndarray, k: int = 1) -> np.ndarray:
    """x moved k pixels to the right, circularly: the last k columns come back on the left, so no
    content is lost or invented; only the seam where they meet is new."""
    return np.roll(x, k, axis=2)


def explorer_plot() -> Any:
    """The area an explorer draws into. In the graded copy its sliders would be inert, and an Output
    widget makes the grader's client send messages to the kernel while it waits for the cell's reply
    (a wait that once missed the reply and stalled for the cell's whole time limit): there it draws its first view straight into the cell."""
    import ipywidgets as widgets
    if not grading():
        return widgets.Output()

    class Inline(widgets.Output):
        def __enter__(self) -> "Inline":
            return self

        def __exit__(self, *exc: Any) -> bool:
            return False

        def clear_output(self, *args: Any, **kwargs: Any) -> None:
            pass

    grading_note("this explorer's sliders work in your notebook; here is its first view")
    return Inline()

def show_explorer(box: Any) -> None:
    """Display an explorer's controls and plot (not in the graded copy, see explorer_plot)."""
    if not grading():
        from IPython.display import display
        display(box)
