"""What a student does in JupyterLab and what they see there, through Playwright.

Actions go through JupyterLab's own menus and toolbar (Run > Run All Cells, the Validate button), and
checks read what is on the screen (the rendered output areas), not the notebook file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

IDLE = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']"
STDERR = "application/vnd.jupyter.stderr"  # JupyterLab 4 renders error outputs and stderr text with it

# One entry per code cell: its prompt and, for each output, its MIME type, text, and what is drawn.
_READ_CELLS = """cells => cells.map(cell => ({
  prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).innerText || '',
  outputs: [...cell.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => !o.parentElement.closest('.jp-OutputArea-output'))  // top level only (not inside widgets)
    .map(o => ({
      mime: o.getAttribute('data-mime-type') || '',
      text: o.innerText,
      view: !!o.querySelector(':scope > .jupyter-widgets'),  // a rendered widget view
      pngs: [...o.querySelectorAll('img')]  // drawn: loaded and not empty
        .filter(img => img.complete && img.naturalWidth > 0).length,
      errorText: [...o.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.innerText).join('\\n'),
    })),
}))"""


@dataclass
class Output:
    mime: str
    text: str
    view: bool = False
    pngs: int = 0
    errorText: str = ""  # stderr shown inside a widget (an Output widget's traceback)


@dataclass
class Cell:
    index: int  # among code cells, in notebook order
    prompt: str
    outputs: list[Output] = field(default_factory=list)

    @property
    def executed(self) -> bool:
        return self.prompt.strip() not in ("", "[ ]:", "[*]:")

    @property
    def errors(self) -> list[str]:
        """Every error or stderr text shown in this cell, including inside its widgets."""
        return [o.text for o in self.outputs if o.mime == STDERR] + [o.errorText for o in self.outputs if o.errorText]

    @property
    def text(self) -> str:
        return "\n".join(o.text for o in self.outputs)


def open_notebook(page: Page, url: str) -> None:
    """Open a notebook and wait until its kernel is ready."""
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=120_000)
    accept_kernel_dialog(page)


def code_cells(page: Page) -> list[Cell]:
    raw = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell").evaluate_all(_READ_CELLS)
    return [Cell(i, c["prompt"], [Output(**o) for o in c["outputs"]]) for i, c in enumerate(raw)]


def accept_kernel_dialog(page: Page) -> None:
    """JupyterLab sometimes asks which kernel to start (a busy machine answers its kernel list late):
    take the one it proposes, the notebook's own, as a student would."""
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    if dialog.count():
        dialog.locator("button.jp-mod-accept").click()
        page.wait_for_selector(IDLE, timeout=120_000)


def _menu(page: Page, menu: str, item: str) -> None:
    accept_kernel_dialog(page)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
    page.locator(".lm-Menu-content .lm-Menu-item:visible", has=label).click()


def wait_until_idle(page: Page, timeout: float = 300_000) -> None:
    """Wait until no cell is queued or running and the kernel is idle (checked twice, 0.3 s apart)."""
    script = f"""() => !document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator:not([data-status="idle"])')
        && ![...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt')].some(p => p.innerText.includes('*'))
        && !!document.querySelector("{IDLE}")"""
    for _ in range(2):
        page.wait_for_timeout(300)
        page.wait_for_function(script, timeout=timeout)


def run_all(page: Page) -> None:
    """Run > Run All Cells. JupyterLab stops at the first cell that raises; the rest stay unrun."""
    _menu(page, "Run", "Run All Cells")
    wait_until_idle(page)


def run_from(page: Page, index: int) -> None:
    """Select code cell `index` and Run > Run Selected Cell and All Below (what a student does next)."""
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell").nth(index)
    accept_kernel_dialog(page)
    cell.locator(".jp-InputArea-prompt").click()
    _menu(page, "Run", "Run Selected Cell and All Below")
    wait_until_idle(page)


def run_everything(page: Page) -> list[Cell]:
    """Run All, then carry on below every cell that stopped the run, until every code cell has run."""
    run_all(page)
    for _ in range(200):
        cells = code_cells(page)
        pending = [c.index for c in cells if not c.executed]
        if not pending:
            return cells
        run_from(page, pending[0])
    raise AssertionError("cells never finished running")


def widget_views(page: Page) -> Locator:
    """The widget views rendered as outputs of the notebook's cells (not the widgets inside them)."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell "
                        ".jp-OutputArea-output:has(> .jupyter-widgets)")


def save(page: Page) -> None:
    """File > Save Notebook; returns once the tab no longer shows unsaved changes."""
    _menu(page, "File", "Save Notebook")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden)", timeout=10_000)
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
                           timeout=60_000)


def validate(page: Page, screenshot: Path, timeout: float = 300_000) -> tuple[bool, str]:
    """Click nbgrader's Validate button; (success, text) of the dialog it opens, saved as a screenshot
    before it is closed."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar jp-button", has_text="Validate").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=timeout)
    body = dialog.locator("#validation-message")
    body.wait_for(timeout=timeout)
    result = ("validation-success" in (body.get_attribute("class") or ""),
              dialog.locator(".jp-Dialog-content").inner_text())
    dialog.locator(".jp-Dialog-content").screenshot(path=screenshot)
    dialog.locator(".jp-mod-accept").click()
    dialog.wait_for(state="detached", timeout=10_000)
    return result


_SHOWN = """view => [...view.querySelectorAll('.widget-html-content, .widget-output')]
  .map(e => e.innerText + [...e.querySelectorAll('img')].map(i => i.src).join('')).join('|')"""


def move_control(view: Locator, k: int, timeout: float = 60_000) -> tuple[str, bool]:
    """Focus number box k of a widget view and press ArrowUp (ArrowDown when it is at its maximum), as a
    keyboard user would. Returns (its accessible name, whether the view's HTML and output areas changed)."""
    control = view.locator("input[type='number']").nth(k)
    name = accessible_name(control)
    before = view.evaluate(_SHOWN)
    value = control.input_value()
    at_max = control.get_attribute("max") is not None and value == control.get_attribute("max")
    control.focus()
    control.press("ArrowDown" if at_max else "ArrowUp")
    try:
        view.page.wait_for_function(f"([view, before]) => ({_SHOWN})(view) !== before && "
                                    "![...view.querySelectorAll('img')].some(i => !i.complete)",
                                    arg=[view.element_handle(), before], timeout=timeout)
    except PlaywrightTimeout:  # the output did not change
        return f"{name} (at {value})", False
    settle(view)
    return name, True


def accessible_name(control: Locator) -> str:
    """The name Chromium gives a control, from its accessibility tree (Playwright's ARIA snapshot):
    what a screen reader says before its role and value."""
    found = re.search(r'^- \w+ "([^"]*)"', control.aria_snapshot(), re.M)
    return found.group(1) if found else ""


def settle(view: Locator, quiet_ms: int = 400, timeout: float = 60_000) -> None:
    """Wait until the kernel is idle and the view has stopped changing for quiet_ms (a callback's
    later outputs, such as a traceback after a print, have arrived)."""
    page = view.page
    shown = None
    deadline = timeout
    while deadline > 0:
        page.wait_for_selector(IDLE, timeout=timeout)
        now = view.evaluate(_SHOWN)
        if now == shown:
            return
        shown = now
        page.wait_for_timeout(quiet_ms)
        deadline -= quiet_ms
    raise AssertionError("the widget kept changing")
