"""What every figure and explorer of the notebooks goes through.

`show_figure(fig, alt)` is the only way a figure leaves this package: it refuses a figure without a text
alternative that states its numbers, a colour map outside SAFE_CMAPS, or a label with less than 4.5:1
contrast against the cell under it (WCAG 2.1 AA), then sends the picture as an HTML <img alt=...> (what
JupyterLab and nbconvert's HTML show a screen reader) with the PNG and the text beside it."""
from __future__ import annotations

import base64
import html
import io
import re
import sys
from typing import Any, Callable, Iterable, Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Colormap, ListedColormap, to_rgba

from ..protocol import grading, grading_note

# Colour maps a student with any common colour-vision deficiency reads the same way: perceptually
# uniform (viridis family), greys, single-hue ramps (lightness carries the value), and one diverging
# map whose ends are purple and orange (never red against green). Checked on every figure.
SAFE_CMAPS = frozenset({"viridis", "cividis", "magma", "inferno", "plasma", "gray", "Greys", "Blues", "Oranges",
                        "Purples", "PuOr", "PuOr_r", "weights"})
# Line, bar and marker colours: Okabe and Ito's palette (distinct under protan-, deutan- and tritanopia),
# black, white and greys. A figure using two of them also tells them apart by a label, marker or pattern.
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "black": "#000000"}
SAFE_COLOURS = frozenset({*(c.lower() for c in OKABE_ITO.values()), "black", "white", "grey", "gray", "none",
                          "#ffffff", "#555555", "#767676", "#bbbbbb", "#dddddd", "#eeeeee"})
MIN_CONTRAST = 4.5  # WCAG 2.1 AA, normal text


class InaccessibleFigure(ValueError):
    """A figure of this package that a student could not read without sight or colour vision."""


def relative_luminance(colour: Any) -> float:
    """WCAG 2.1's relative luminance of a colour (any matplotlib colour; alpha composited on white)."""
    r, g, b, a = to_rgba(colour)
    rgb = np.array([r, g, b]) * a + (1 - a)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(a: Any, b: Any) -> float:
    """WCAG 2.1 contrast ratio (1 to 21) of two colours."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour(background: Any) -> str:
    """Black or white, whichever contrasts more with the background: at least 4.58:1 on any colour."""
    return "black" if contrast_ratio("black", background) >= contrast_ratio("white", background) else "white"


def label_cells(ax: Any, image: Any, values: np.ndarray, fmt: Callable[[Any], str] = "{:g}".format,
                skip: Optional[Callable[[Any], bool]] = None, **kwargs: Any) -> None:
    """Write each value of a matrix drawn with imshow on its cell, in the colour that reads on that cell."""
    colours = image.cmap(image.norm(np.asarray(values, dtype=float)))
    for (r, c), v in np.ndenumerate(values):
        if skip is not None and skip(v):
            continue
        ax.text(c, r, fmt(v), ha="center", va="center", color=text_colour(colours[r, c]), **kwargs)


def _cmap_name(cmap: Colormap) -> str:
    return cmap.name[:-2] if cmap.name.endswith("_r") and cmap.name not in SAFE_CMAPS else cmap.name


def figure_problems(fig: Any, alt: str) -> list[str]:
    """Why a screen-reader or colour-blind student could not read this figure (empty: nothing)."""
    problems = []
    if not alt or not alt.strip():
        problems.append("no text alternative")
    elif not re.search(r"\d", alt):
        problems.append(f"the text alternative states no number: {alt!r}")
    for ax in fig.axes:
        for image in ax.get_images():
            if _cmap_name(image.cmap) not in SAFE_CMAPS:
                problems.append(f"colour map {image.cmap.name!r} is not in SAFE_CMAPS")
        images = [i for i in ax.get_images() if np.ndim(i.get_array()) == 2]
        for text in ax.texts:
            if not text.get_text().strip() or not images:
                continue
            x, y = text.get_position()
            if text.get_transform() != ax.transData:
                continue
            image = images[-1]
            data = np.asarray(image.get_array())
            left, right, bottom, top = image.get_extent()
            col = int(np.floor((x - left) / (right - left) * data.shape[1]))
            row = int(np.floor((y - top) / (bottom - top) * data.shape[0])) if top < bottom else \
                int(np.floor((top - y) / (top - bottom) * data.shape[0]))
            if not (0 <= row < data.shape[0] and 0 <= col < data.shape[1]):
                continue
            cell = image.cmap(image.norm(float(np.ma.filled(data, np.nan)[row, col])))
            ratio = contrast_ratio(text.get_color(), cell)
            if ratio < MIN_CONTRAST:
                problems.append(f"label {text.get_text()!r} at cell ({row}, {col}) has contrast {ratio:.2f}:1, "
                                f"below {MIN_CONTRAST}:1")
    return problems


def figure_html(png: bytes, alt: str) -> str:
    """The figure as JupyterLab and nbconvert show it: an <img> whose alt is the text alternative."""
    return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="{html.escape(alt)}" '
            f'style="max-width:100%">')


def show_figure(fig: Any, alt: str, print_alt: bool = False) -> None:
    """Send a finished figure to the notebook with its text alternative `alt` (what a sighted student reads
    off it, with its numbers); print `alt` under it too when the numbers are printed nowhere else.
    Raises InaccessibleFigure when the figure fails figure_problems (a defect of this package)."""
    from IPython.display import display  # here: looked up at each call, so that tests can catch what is sent
    problems = figure_problems(fig, alt)
    if problems:
        plt.close(fig)
        raise InaccessibleFigure("; ".join(problems))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    sys.stdout.flush()  # what the cell printed before comes out before the figure
    display({"text/html": figure_html(buf.getvalue(), alt), "image/png": base64.b64encode(buf.getvalue()).decode(),
             "text/plain": f"Figure: {alt}"}, raw=True, metadata={"image/png": {"alt": alt}})
    if print_alt:
        print(f"In the figure: {alt}")



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
    import ipywidgets as widgets  # here: 0.2 s of each kernel's start (measured), and a graded kernel draws no explorer
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
        from IPython.display import display  # here: as in show_figure
        display(box)


# ---------- explorers: controls named in words, a text line that states the result
# ipywidgets' IntSlider (noUiSlider) gives its handle no accessible name (a screen reader hears "slider",
# whatever the description says), so the explorers use number boxes: an <input type=number> tied to its
# <label>, changed with the arrow keys, its name read out as "input height (n_H_prev)".
FOCUS_STYLE = ("<style>.cnn-explorer input:focus-visible, .cnn-explorer button:focus-visible"
               "{outline: 3px solid #0072B2 !important; outline-offset: 2px !important}</style>")


def number_control(words: str, symbol: str, value: int, low: int, high: int) -> Any:
    """A whole-number control labelled "words (symbol)", e.g. "input height (n_H_prev)"."""
    import ipywidgets as widgets  # here: 0.2 s of each kernel's start (measured), and a graded kernel draws no explorer
    return widgets.BoundedIntText(value=value, min=low, max=high, step=1, description=f"{words} ({symbol})",
                                  style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))


def status_line() -> Any:
    """The explorer's result in words: a polite ARIA live region, so a screen reader reads each change."""
    import ipywidgets as widgets  # here: 0.2 s of each kernel's start (measured), and a graded kernel draws no explorer
    return widgets.HTML()


def set_status(line: Any, text_html: str) -> None:
    """Put the result (HTML) in the explorer's status line."""
    line.value = f'<div role="status" aria-live="polite" class="cnn-status">{text_html}</div>'


def explorer_box(*children: Any) -> Any:
    """The explorer's layout, with the visible-focus style its controls use."""
    import ipywidgets as widgets  # here: 0.2 s of each kernel's start (measured), and a graded kernel draws no explorer
    box = widgets.VBox([widgets.HTML(FOCUS_STYLE), *children])
    box.add_class("cnn-explorer")
    return box


def matrix_text(values: Any, fmt: Callable[[Any], str] = "{:g}".format) -> str:
    """A small matrix read row by row, as a screen reader should hear the numbers drawn on its cells:
    "row 0: 1, 2, 3; row 1: 4, 5, 6"."""
    values = np.asarray(values)
    return "; ".join(f"row {r}: " + ", ".join(fmt(v) for v in row) for r, row in enumerate(values))
