"""axe-core (pinned in tools/package.json, installed by `make test` into tools/node_modules) run in
Chromium on a page, with the WCAG 2.0 and 2.1 A and AA rules. `violations` returns axe's findings as
short readable lines; a test asserts the list is empty, and every rule it disables says why."""
from __future__ import annotations

from autograder.paths import ROOT

AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async ([tags, disabled, include, exclude]) => {
  const rules = Object.fromEntries(disabled.map(id => [id, {enabled: false}]));
  const context = include.length || exclude.length
      ? {include: include.length ? include : [document], exclude} : document;
  const result = await axe.run(context, {runOnly: {type: 'tag', values: tags}, rules, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 300)),
    count: v.nodes.length}));
}"""


def violations(page, disabled: dict[str, str] | None = None, include: list[str] | None = None,
               exclude: list[str] | None = None) -> list[str]:
    """axe's WCAG 2.1 A/AA violations on the page as it is now, one line per rule (with up to 4 elements).
    disabled: {rule id: why it is off here}; include/exclude: CSS selectors limiting what is checked."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: `make test` installs it (cd tools && npm ci)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(_RUN, [TAGS, sorted(disabled or {}), include or [], exclude or []])
    return [f"{v['id']} ({v['impact']}, {v['count']} element(s)): {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in found]
