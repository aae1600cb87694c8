"""Accessibility, fast tier (no kernel, no browser): every figure goes through show_figure with a text
alternative that states its numbers, labels drawn on cells keep 4.5:1 contrast, colour maps and
colours come from the safe lists, and the notebooks' headings are in order with one top level. Each
check is also shown to fail on a planted violation. The browser checks (axe-core in Chromium) are in
tests/test_browser.py, tests/test_report.py and tests/test_grading.py."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder.paths import ROOT  # noqa: E402
from cnn_student.visuals import _common  # noqa: E402
from cnn_student.visuals._common import (InaccessibleFigure, contrast_ratio, figure_problems, label_cells,  # noqa: E402
                                         show_figure, text_colour)
from tests.a11y_lint import heading_problems, notebook_problems, source_problems  # noqa: E402

NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb")) + sorted((ROOT / "notebooks").glob("*/*.ipynb"))
SOURCES = sorted((ROOT / "cnn_student" / "visuals").glob("*.py")) + [ROOT / "autograder" / "grading" / "outputs" / "report.py"]


@pytest.fixture
def sent(monkeypatch):
    """What show_figure sends to the notebook: a list of (bundle, metadata)."""
    shown: list[tuple[dict, dict]] = []
    import IPython.display
    monkeypatch.setattr(IPython.display, "display",
                        lambda bundle, raw=False, metadata=None: shown.append((bundle, metadata or {})))
    return shown


def test_wcag_contrast_ratio_matches_the_standard():
    assert contrast_ratio("black", "white") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "white") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white
    # the numbers: black on the darkest cells of Blues and Oranges
    assert contrast_ratio("black", plt.get_cmap("Blues")(1.0)) == pytest.approx(1.65, abs=0.01)
    assert contrast_ratio("black", plt.get_cmap("Oranges")(1.0)) == pytest.approx(2.19, abs=0.01)


@pytest.mark.parametrize("cmap", sorted(_common.SAFE_CMAPS - {"weights"}))
def test_labels_reach_4_5_to_1_on_every_cell_of_every_safe_map(cmap):
    ramp = plt.get_cmap(cmap)
    worst = min(contrast_ratio(text_colour(ramp(x)), ramp(x)) for x in np.linspace(0, 1, 257))
    assert worst >= 4.5, f"{cmap}: {worst:.2f}:1"


def test_figure_with_labels_chosen_by_luminance_passes_and_a_planted_black_label_fails():
    values = np.arange(9.0).reshape(3, 3)
    fig, ax = plt.subplots()
    image = ax.imshow(values, cmap="Blues")
    label_cells(ax, image, values)
    assert figure_problems(fig, "a 3x3 grid, 0 to 8") == []
    ax.text(2, 2, "8", color="black")  # planted: black on the darkest blue, 1.65:1
    problems = figure_problems(fig, "a 3x3 grid, 0 to 8")
    assert len(problems) == 1 and "cell (2, 2)" in problems[0] and "1.65:1" in problems[0]
    plt.close(fig)


def test_show_figure_refuses_a_figure_without_alt_text_or_with_an_unsafe_map(sent):
    for alt, cmap, why in (("", "viridis", "no text alternative"), ("a grid", "viridis", "states no number"),
                           ("3 by 3 values", "jet", "'jet' is not in SAFE_CMAPS")):
        fig, ax = plt.subplots()
        ax.imshow(np.eye(3), cmap=cmap)
        with pytest.raises(InaccessibleFigure, match=why):
            show_figure(fig, alt)
    assert sent == []


def test_show_figure_sends_an_img_with_its_alt_text_and_the_text_itself(sent, capsys):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    show_figure(fig, 'a line from (0, 0) to (1, 1) & "more"', print_alt=True)
    (bundle, metadata), = sent
    assert 'alt="a line from (0, 0) to (1, 1) &amp; &quot;more&quot;"' in bundle["text/html"]
    assert bundle["text/html"].startswith("<img src=\"data:image/png;base64,")
    assert bundle["text/plain"] == 'Figure: a line from (0, 0) to (1, 1) & "more"'
    assert metadata["image/png"]["alt"].startswith("a line") and bundle["image/png"]
    assert "In the figure: a line from (0, 0)" in capsys.readouterr().out


def test_figures_that_need_no_student_code_state_their_numbers(sent):
    from cnn_student.visuals.conv import show_coverage
    from cnn_student.visuals.receptive import show_pyramid
    from cnn_student.visuals.vectorized import show_windows
    show_coverage(n=6, f=3, pads=(0, 1))
    show_windows(n_H=5, n_W=6, f=3, stride=2)
    show_pyramid()
    alts = [bundle["text/plain"] for bundle, _ in sent]
    assert "pad = 0: row 0: 1, 2, 3, 3, 2, 1; row 1: 2, 4, 6, 6, 4, 2" in alts[0]
    assert "Window [1, 1]: row 0: 14, 15, 16; row 1: 20, 21, 22; row 2: 26, 27, 28." in alts[1]
    assert "sees 10 input pixels per side; the formula gives r = 10" in alts[2]
    assert "layer 4: 1 unit from 0 to 0 of 2." in alts[2]
    from cnn_student.visuals.receptive import Layer
    show_pyramid(tuple(Layer("conv", 3, 1, dilation=d) for d in (1, 2, 4)))  # the dilated stack says its dilations
    assert "then conv f=3 dilation 1 stride 1, conv f=3 dilation 2 stride 1, conv f=3 dilation 4 stride 1." in \
        sent[-1][0]["text/plain"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[f"{p.parent.parent.name}/{p.parent.name}" for p in NOTEBOOKS])
def test_notebook_headings_figures_and_palettes(path):
    assert notebook_problems(path) == []


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_figure_code_uses_show_figure_with_alt_and_safe_colours(path):
    assert source_problems(path.read_text(), str(path.relative_to(ROOT)), notebook=False) == []


def test_the_notebook_check_fails_on_planted_violations():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n### skipped a level\n\nSee [here](https://example.org)."),
                nbformat.v4.new_markdown_cell("# A second top-level heading"),
                nbformat.v4.new_code_cell("%matplotlib inline\nplt.plot([1, 2])\nshow_figure(fig)\n"
                                          "show_figure(fig, alt='')\nax.imshow(x, cmap='jet')\n"
                                          "ax.bar(x, y, color=['#d62728', '#2ca02c'])\nplt.cm.tab20(3)")]
    problems = heading_problems(nb, "planted") + source_problems(nb.cells[2].source, "planted", notebook=True)
    expected = ["heading level 3 follows level 1", "link text 'here'", "2 top-level headings", "plt.plot in a notebook",
                "line 3: show_figure without a text alternative", "line 4: show_figure without a text alternative",
                "'jet' is not in SAFE_CMAPS", "'#d62728' is not in SAFE_COLOURS", "'#2ca02c' is not in SAFE_COLOURS",
                "plt.cm.tab20 is not in SAFE_CMAPS"]
    for what in expected:
        assert any(what in p for p in problems), f"not found: {what}\n{problems}"
    assert len(problems) == len(expected), problems


def _code_colour_problems(style_name: str) -> list[str]:
    """Pygments tokens of a style whose colour is under 4.5:1 on the background the style paints them on."""
    from pygments.styles import get_style_by_name
    style = get_style_by_name(style_name)
    problems = []
    for token, how in style:
        if how["color"]:
            background = f"#{how['bgcolor']}" if how["bgcolor"] else style.background_color
            ratio = contrast_ratio(f"#{how['color']}", background)
            if ratio < _common.MIN_CONTRAST:
                problems.append(f"{token}: #{how['color']} on {background}, {ratio:.2f}:1")
    return problems


def test_the_html_export_is_the_readmes_command_and_colours_every_token_at_4_5_to_1():
    """The command the browser test runs on every executed notebook is the README's, it reads the course's
    configuration, and the Pygments style of its template keeps 4.5:1 for every kind of token (axe-core, in
    tests/test_browser.py, sees only the tokens the notebooks hold); a style made for looks, not contrast, fails."""
    import json
    from tests.browser.axe import HTML_EXPORT
    assert HTML_EXPORT in (ROOT / "README.md").read_text()
    config = HTML_EXPORT.split("--config ")[1].split()[0]
    assert (ROOT / config).is_file() and '"lab_accessible"' in (ROOT / config).read_text()
    template = ROOT / "autograder" / "templates" / "lab_accessible"
    style = json.loads((template / "conf.json").read_text())["preprocessors"]["100-pygments"]["style"]
    assert _code_colour_problems(style) == []
    assert len(_code_colour_problems("friendly")) > 10  # its comments: #60a0b0 on #f0f0f0, 2.6:1


def test_no_red_green_pair_in_the_safe_colours():
    """Okabe and Ito's palette: under deuteranopia (Machado et al. 2009, severity 1) no two of its colours
    collapse to the same grey-ish tone as red and green do."""
    deutan = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
    from matplotlib.colors import to_rgb
    seen = lambda c: np.clip(deutan @ np.array(to_rgb(c)), 0, 1)  # noqa: E731
    palette = list(_common.OKABE_ITO.values())
    closest = min(np.linalg.norm(seen(a) - seen(b)) for i, a in enumerate(palette) for b in palette[i + 1:])
    assert np.linalg.norm(seen("#d62728") - seen("#2ca02c")) < closest  # tab10's red and green: closer than any pair


def _conv_forward(A_prev, W, b, hparameters):
    """A plain NumPy conv layer (stride 1 only), for the figure tests below."""
    p = hparameters["pad"]
    padded = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, W.shape[:2], axis=(1, 2))
    return np.einsum("mhwcpq,pqcn->mhwn", windows, W) + b, (A_prev, W, b, hparameters)


def test_the_sobel_figure_describes_edges_only_when_the_students_z_is_right(sent):
    from cnn_student.visuals.filters import show_edges
    photo = np.random.default_rng(0).random((1, 12, 10, 3))
    show_edges(_conv_forward, photo)
    show_edges(lambda A, W, b, hp: (np.zeros((1, 12, 10, 2)), None), photo)
    right, wrong = (bundle["text/plain"] for bundle, _ in sent)
    assert "(the vertical edges" in right and "differs" not in right
    assert "(the vertical edges" not in wrong and "your Z differs from the Sobel responses by up to" in wrong
