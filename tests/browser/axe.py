"""axe-core (pinned in tools/package.json, installed by `make test` into tools/node_modules) run in
Chromium on a page, with the WCAG 2.0 and 2.1 A and AA rules. `violations` returns axe's findings as
short readable lines; a test asserts the list is empty, and every rule it disables says why."""
from __future__ import annotations

from autograder.paths import ROOT

AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async ([tags, disabled, include, exclude, only]) => {
  const rules = Object.fromEntries(disabled.map(id => [id, {enabled: false}]));
  const context = include.length || exclude.length
      ? {include: include.length ? include : [document], exclude} : document;
  const runOnly = only.length ? {type: 'rule', values: only} : {type: 'tag', values: tags};
  const result = await axe.run(context, {runOnly, rules, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 300)),
    count: v.nodes.length}));
}"""


def violations(page, disabled: dict[str, str] | None = None, include: list[str] | None = None,
               exclude: list[str] | None = None, only: list[str] | None = None) -> list[str]:
    """axe's WCAG 2.1 A/AA violations on the page as it is now, one line per rule (with up to 4 elements).
    disabled: {rule id: why it is off here}; include/exclude: CSS selectors limiting what is checked;
    only: run just these rules (to check one rule on a narrower part of the page)."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: `make test` installs it (cd tools && npm ci)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(_RUN, [TAGS, sorted(disabled or {}), include or [], exclude or [], only or []])
    return [f"{v['id']} ({v['impact']}, {v['count']} element(s)): {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in found]


# What JupyterLab brings, found by axe on this project's pages (axe-core 4.11, JupyterLab 4.6); each is
# JupyterLab's, not the module's, and the module's own parts (outputs, markdown, widgets) are checked again
# with every rule on (see OUR_PARTS). The HTML exports have no such list: every rule runs on them.
JUPYTERLAB_GAPS = {
    "aria-allowed-attr": "JupyterLab's toolbar buttons (<jp-button>, nbgrader's Validate among them) carry "
                         "aria-pressed on a role that does not take it",
    "aria-input-field-name": "JupyterLab 4 gives each cell's CodeMirror editor (role=textbox) no accessible name",
    "aria-required-children": "JupyterLab's windowed notebook viewport holds cells that are not of the role its "
                              "own role requires",
    "button-name": "JupyterLab's collapse button beside a markdown heading has no text or label",
    "scrollable-region-focusable": "CodeMirror's scroller of a read-only cell scrolls but cannot take focus",
}
OUR_PARTS = [".jp-OutputArea", ".jp-MarkdownOutput"]
# The HTML an instructor posts of an executed notebook: the README's command ("Accessibility"), run in the
# course folder with the notebook's path after it; it reads the course's jupyter_nbconvert_config.py
HTML_EXPORT = "jupyter nbconvert --config jupyter_nbconvert_config.py --to html"
