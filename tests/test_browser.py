"""The student's view, end to end: every student notebook in JupyterLab, in Debian's Chromium.

One JupyterLab server (this project's environment, localhost, free port, token) serves scratch copies
of the notebooks: `finished` (solution cells filled with the reference code) and `untouched` (as
released). For each, the test runs every cell from JupyterLab's Run menu and reads what the page
shows; then it validates a finished notebook with nbgrader's Validate button. Notebook 1 is also
validated untouched, and with `nbgrader validate` from the command line (the same validation; the
distribution and round-trip tests run it too).
Accessibility (WCAG 2.1 AA, issue 26), on the same runs: axe-core in JupyterLab with each finished
notebook open and on the HTML export of it as JupyterLab saved it (the README's command, every rule on);
every explorer control named in words and symbol and changed by its arrow key; notebook 1's explorer
walked by keyboard alone; error text readable (4.5:1) in the untouched notebooks.
Screenshots go to artifacts/screenshots/ (not committed). Needs /usr/bin/chromium: `make system`.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
from unittest import mock
from pathlib import Path

import nbformat
import pytest

from autograder.paths import ROOT
from autograder.authoring.cells import is_solution_cell, is_test_cell
from tests.browser import axe
from tests.browser import jupyterlab as jl
from tests.browser.lab import CHROMIUM, launch_chromium, start_lab
from tests.browser.workspace import build, student_notebooks

pytestmark = pytest.mark.slow

NOTEBOOKS = student_notebooks()
SHOTS = ROOT / "artifacts" / "screenshots"
NOT_WRITTEN = re.compile(r"NotImplementedError: (\w+) is not written yet")
# what show_example and the figures print when a function is missing (cnn_student.checks, visuals/_common)
CLI_VALIDATED = "01_conv_forward"  # validated untouched and from the command line: the same validation, shown once
# a display formula as wide as the cell makes JupyterLab's markdown a scroll region that takes no focus
# (notebook 5: MathJax's hidden assistive MathML is 14 px wider than the cell at 1280 px): checked on outputs
SCROLL = "scrollable-region-focusable"
KEYBOARD_WALKED = "01_conv_forward"  # its explorer is walked with the keyboard alone
CONTROL_NAME = re.compile(r"^[a-z][a-z ]+ \(\w+\)$")  # "input height (n_H_prev)": words, then the symbol
MESSAGE = re.compile(r"(\w+) is not written yet|uses (\w+), which is not written yet")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(folder JupyterLab serves, {(assignment, variant): notebook path relative to it})."""
    root = tmp_path_factory.mktemp("browser") / "serve"
    return root, build(root, NOTEBOOKS)


@pytest.fixture(scope="module")
def lab(served, tmp_path_factory):
    server = start_lab(served[0], tmp_path_factory.mktemp("lab-state"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium and chromium-driver")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path_factory.mktemp("chromium-profile"))
        yield context
        context.close()


@pytest.fixture
def page(browser, lab, request):
    page = browser.new_page()
    page.set_default_timeout(120_000)  # generous: CI machines are small and busy
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # this test failed: keep what the page showed
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"FAILED-{request.node.callspec.id}-{request.node.originalname}.png")
    page.close()
    for kernel in lab.api("api/kernels"):  # one notebook's kernel at a time on a small machine
        lab.api(f"api/kernels/{kernel['id']}", method="DELETE")


def _code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _run_in_lab(page, lab, served, student: Path, variant: str) -> tuple[Path, list, list[jl.Cell]]:
    """Open the notebook, run every cell, save it; (its file, its code cells as saved, cells on screen)."""
    root, paths = served
    rel = paths[student.parent.name, variant]
    jl.open_notebook(page, lab.lab_url(rel))
    shown = jl.run_everything(page)
    jl.save(page)
    saved = _code_cells(root / rel)
    assert len(saved) == len(shown), "JupyterLab shows a different number of code cells than the notebook has"
    return root / rel, saved, shown


def _assert_widgets_and_figures_render(page, saved: list, shown: list[jl.Cell], name: str) -> None:
    """Every widget view and every figure the kernel sent is drawn on the page (counted per cell)."""
    for file_cell, cell in zip(saved, shown):
        sent = [o for o in file_cell.outputs if o.output_type in ("display_data", "execute_result")]
        widgets_sent = sum("application/vnd.jupyter.widget-view+json" in o.data for o in sent)
        pngs_sent = sum("image/png" in o.data and "application/vnd.jupyter.widget-view+json" not in o.data
                        for o in sent)
        views = sum(o.view for o in cell.outputs)
        assert views == widgets_sent, f"{name} cell [{cell.index}]: {widgets_sent} widget(s) sent, {views} drawn:\n{cell.text}"
        pngs = sum(o.pngs for o in cell.outputs if not o.view)
        assert pngs == pngs_sent, f"{name} cell [{cell.index}]: {pngs_sent} figure(s) sent, {pngs} drawn"
        assert "Error displaying widget" not in cell.text, f"{name} cell [{cell.index}]: {cell.text}"
    for k in range(jl.widget_views(page).count()):
        jl.widget_views(page).nth(k).screenshot(path=SHOTS / f"{name}-widget-{k + 1}.png")


def _nbgrader_validate(path: Path) -> str:
    """`nbgrader validate` from the command line, in the folder of the course (where students run it)."""
    bin_dir = Path(sys.executable).parent
    run = subprocess.run([str(bin_dir / "nbgrader"), "validate", str(path.relative_to(path.parents[2]))],
                         cwd=path.parents[2], capture_output=True, text=True, timeout=600,
                         env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(Path.home())})
    return run.stdout + run.stderr


@pytest.mark.parametrize("student", NOTEBOOKS, ids=[p.parent.name for p in NOTEBOOKS])
def test_finished_notebook_runs_clean_in_jupyterlab(page, lab, served, student):
    """Reference code in the solution cells: no error anywhere, widgets drawn and live, figures shown,
    and nbgrader's Validate (button and command line) says the notebook passes."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{student.parent.name}-finished"
    path, saved, shown = _run_in_lab(page, lab, served, student, "finished")
    page.screenshot(path=SHOTS / f"{name}.png")
    failed = [(c.index, c.errors[0][-800:]) for c in shown if c.errors]
    assert not failed, f"{name}: cells show errors: {failed}"
    _assert_widgets_and_figures_render(page, saved, shown, name)
    assert any(o.pngs for c in shown for o in c.outputs), f"{name} shows no matplotlib figure"

    views = jl.widget_views(page)
    dead, unnamed = [], []
    for k in range(views.count()):
        controls = views.nth(k).locator("input[type='number']")
        assert controls.count(), f"{name}: widget {k + 1} has no number box"
        for s in range(controls.count()):
            control, changed = jl.move_control(views.nth(k), s)
            dead += [] if changed else [f"widget {k + 1}, control {control}"]
            unnamed += [] if CONTROL_NAME.match(control.split(" (at ")[0]) else [f"widget {k + 1}: {control!r}"]
    assert not dead, f"{name}: changing these controls (arrow key) changed nothing they show: {dead}"
    assert not unnamed, f"{name}: controls without a name in words and symbol: {unnamed}"
    after = [(c.index, c.errors[0][-800:]) for c in jl.code_cells(page) if c.errors]
    assert not after, f"{name}: errors after changing the controls: {after}"
    if student.parent.name == KEYBOARD_WALKED:
        _keyboard_walk(page, name)
    alts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.map(i => i.getAttribute('alt') || '')")
    assert alts and all(re.search(r"\d", alt) for alt in alts), f"{name}: figures without numbers in their alt: {alts}"

    found = (axe.violations(page, disabled=axe.JUPYTERLAB_GAPS)  # then JupyterLab's gaps, on the module's parts:
             + axe.violations(page, include=axe.OUR_PARTS, only=sorted(set(axe.JUPYTERLAB_GAPS) - {SCROLL}))
             + axe.violations(page, include=[".jp-OutputArea"], only=[SCROLL]))
    assert not found, f"{name} in JupyterLab, axe-core (WCAG 2.1 A/AA):\n" + "\n".join(found)
    found = _axe_nbconvert_html(page, path)
    assert not found, f"{name}, nbconvert's HTML of the executed notebook, axe-core:\n" + "\n".join(found)

    ok, text = jl.validate(page, SHOTS / f"{name}-validate.png")
    assert ok and "Success! Your notebook passes all the tests." in text, f"Validate button: {text}"
    if student.parent.name == CLI_VALIDATED:
        out = _nbgrader_validate(path)
        assert "Success! Your notebook passes all the tests." in out, f"nbgrader validate:\n{out[-3000:]}"


@pytest.mark.parametrize("student", NOTEBOOKS, ids=[p.parent.name for p in NOTEBOOKS])
def test_untouched_notebook_asks_for_code_in_jupyterlab(page, lab, served, student):
    """As released: only test (and solution) cells fail, each with a short "X is not written yet"
    error; widgets and figures that need unwritten code say so instead of raising; every solution cell
    is named by some message; Validate reports the failures (notebook 1)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{student.parent.name}-untouched"
    path, saved, shown = _run_in_lab(page, lab, served, student, "untouched")
    page.screenshot(path=SHOTS / f"{name}.png")
    named: set[str] = set()
    for file_cell, cell in zip(saved, shown):
        gradable = is_test_cell(file_cell) or is_solution_cell(file_cell)
        for error in cell.errors:
            assert gradable, f"{name} cell [{cell.index}] (not a test or solution cell) shows an error:\n{error[-1500:]}"
            last = error.strip().splitlines()[-1]
            found = NOT_WRITTEN.search(last)
            assert found, f"{name} cell [{cell.index}] fails with something else than 'not written yet':\n{error[-1500:]}"
            frames = [line for line in error.splitlines() if re.match(r"\s*(Cell In\[|File )", line)]
            assert len(frames) <= 2, f"{name} cell [{cell.index}]: a wall of {len(frames)} frames:\n{error}"
            named.add(found.group(1))
        named.update(a or b for a, b in MESSAGE.findall(cell.text))
    # every solution cell that defines functions is pointed at: some message names one of them
    stubs = [set(re.findall(r"^def (\w+)\(", c.source, re.M)) for c in saved
             if is_solution_cell(c)]
    silent = [sorted(defs) for defs in stubs if defs and not defs & named]
    assert not silent, f"{name}: no message tells the student to write {silent}"
    _assert_widgets_and_figures_render(page, saved, shown, name)
    faint = _low_contrast_error_text(page)
    assert not faint, f"{name}: error text under 4.5:1 on its background: {faint}"

    if student.parent.name != CLI_VALIDATED:
        return  # what validation reports on a notebook's failures is shown once; the cells above showed them all
    ok, text = jl.validate(page, SHOTS / f"{name}-validate.png")
    assert not ok and "The following cell failed" in text and "not written yet" in text, \
        f"Validate button: {text[:3000]}"
    out = _nbgrader_validate(path)
    assert "VALIDATION FAILED" in out and "not written yet" in out, f"nbgrader validate:\n{out[-3000:]}"


def _keyboard_walk(page, name: str) -> None:
    """The first explorer by keyboard alone: from its first number box, Tab reaches the next, ArrowUp
    changes it, the status line (an ARIA live region) states the new result, and the focus is visible."""
    view = jl.widget_views(page).first
    status = view.locator("[role='status'][aria-live='polite']")
    assert status.count() == 1, f"{name}: the explorer has no status line (role=status, aria-live=polite)"
    view.locator("input[type='number']").first.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.type, getComputedStyle(document.activeElement).outlineStyle,"
                            " getComputedStyle(document.activeElement).outlineWidth]")
    assert focused[0] == "number" and focused[1] != "none" and focused[2] != "0px", f"{name}: Tab reached {focused}"
    second = view.locator("input[type='number']:focus")
    label, before, said = jl.accessible_name(second), second.input_value(), status.inner_text()
    page.keyboard.press("ArrowUp")
    page.wait_for_function("([el, said]) => el.innerText !== said", arg=[status.element_handle(), said])
    jl.settle(view)
    assert second.input_value() == str(int(before) + 1), f"{name}: ArrowUp on {label} did not change it"
    assert CONTROL_NAME.match(label), f"{name}: the focused control is named {label!r}"
    assert re.search(r"- status:", view.aria_snapshot()), "Chromium exposes no status region"
    view.screenshot(path=SHOTS / f"{name}-keyboard-walk.png")


def _axe_nbconvert_html(page, notebook: Path) -> list[str]:
    """The HTML an instructor posts of the notebook JupyterLab ran and saved (the README's command, axe.HTML_EXPORT,
    run in the course folder: nbconvert's lab template with the course's colours), checked by axe: every rule,
    everywhere on the page. The command's application runs in this process (`jupyter nbconvert` execs
    jupyter-nbconvert, whose main is NbConvertApp.launch_instance: the same app, options and config files, without
    the 2 s of CPU a new interpreter spends on its imports); the user's own Jupyter configuration is left out."""
    from nbconvert.nbconvertapp import NbConvertApp
    with tempfile.TemporaryDirectory(prefix="jupyter-config-") as config, contextlib.chdir(ROOT), \
            mock.patch.dict(os.environ, {"JUPYTER_CONFIG_DIR": config}):
        app = NbConvertApp()
        app.initialize([*axe.HTML_EXPORT.split()[2:], str(notebook)])
        app.start()
    html_path = notebook.with_suffix(".html")
    assert html_path.is_file(), f"{axe.HTML_EXPORT} {notebook} wrote no {html_path.name}"
    exported = page.context.new_page()  # JupyterLab stays open in `page` for the Validate button
    try:
        exported.goto(html_path.as_uri())
        alts = exported.locator("img").evaluate_all("imgs => imgs.map(i => i.getAttribute('alt') || '')")
        bare = [] if alts and all(re.search(r"\d", alt) for alt in alts) else [f"figures' alt texts: {alts}"]
        return bare + axe.violations(exported)
    finally:
        exported.close()


_TEXT_COLOURS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
    + '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"] *')]
  .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => {
    let bg = e;
    while (bg && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(bg).backgroundColor)) bg = bg.parentElement;
    return [e.innerText.trim().slice(0, 40), getComputedStyle(e).color, bg ? getComputedStyle(bg).backgroundColor : 'rgb(255, 255, 255)'];
  })"""


def _low_contrast_error_text(page) -> list[str]:
    """Error outputs (CheckFailed, "not written yet") whose text is under 4.5:1 on its background: axe-core
    4.11 leaves these <pre> spans unchecked, so their colours are read and compared here."""
    from cnn_student.visuals._common import contrast_ratio
    rgb = lambda css: tuple(int(v) / 255 for v in re.findall(r"\d+", css)[:3])  # noqa: E731
    return [f"{text!r}: {colour} on {background}, {contrast_ratio(rgb(colour), rgb(background)):.2f}:1"
            for text, colour, background in page.evaluate(_TEXT_COLOURS)
            if contrast_ratio(rgb(colour), rgb(background)) < 4.5]
