"""How a check tells a student that something is wrong: `CheckFailed` for a wrong result, and `plain()`,
which shows an error as its message alone (no frames of the package under the cell)."""
from __future__ import annotations


class CheckFailed(AssertionError):
    """A student's function gave a wrong result; the message says what and why."""


def plain(err: BaseException) -> BaseException:
    """Show only the message under the cell, not frames of this package: the message says it all.
    (IPython renders an exception's `_render_traceback_()` instead of its traceback.)"""
    lines = str(err).splitlines() or [""]
    # no ANSI colour: JupyterLab's red on its pink error background is 2.7:1 (WCAG asks 4.5:1); the
    # theme's own text colour reads on it, and the name says it is an error
    err._render_traceback_ = lambda: [f"{type(err).__name__}: {lines[0]}", *lines[1:]]  # type: ignore[attr-defined]
    return err
