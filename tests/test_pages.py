"""The pages and boxes a student reads come out byte for byte as they did when Python strings built them
(issue 32 moved them to autograder/templates/feedback/): the expected strings below were captured once
from that code, for titles and lines that hold markup, ampersands, both quotes and non-ASCII text, so
every one of them must come out escaped, and escaped as it was (&quot; and &#x27;)."""
from __future__ import annotations

from autograder.grading.outputs.pagebox import banner, late_box, with_banner
from autograder.grading.pipeline.unit import publish_feedback
from autograder.grading.records import CellScore, Unit, UnitResult
from autograder.service import grader as g

HOSTILE = "<b>Tom & \"Jerry\"'s</b> — Ünïcode 测试 ½"
HOSTILE_HTML = "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&#x27;s&lt;/b&gt; — Ünïcode 测试 ½"
LINES = ["<script>alert('x')</script>", "Ünïcode — é 测试 ½", "a & b < c > d \"q\" 'a' &amp;"]
PLAIN_TITLE = "01_conv_forward: attempt 1 of 3"
PLAIN_LINES = ["Feedback on your submission of 2026-12-01 10:00:00 UTC. Score of this submission: 3 of 5.",
               "Attempts with feedback left for this assignment: 2."]

STYLE = ("<style>.attempt{border:3px solid #1a4f8b;background:#fff;color:#111;padding:0.8em 1.2em;margin:1em auto;"
         "max-width:60em;font:16px/1.5 sans-serif}.attempt h2{margin-top:0;color:#1a4f8b}</style>")
SECTION = "<section class='attempt' role='region' aria-labelledby='attempt-title'><h2 id='attempt-title'>"
BOX_PLAIN = (STYLE + SECTION + "01_conv_forward: attempt 1 of 3</h2><p>Feedback on your submission of 2026-12-01 "
             "10:00:00 UTC. Score of this submission: 3 of 5.</p><p>Attempts with feedback left for this assignment: "
             "2.</p></section>")
BOX_HOSTILE = (STYLE + SECTION + HOSTILE_HTML + "</h2><p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</p>"
               "<p>Ünïcode — é 测试 ½</p><p>a &amp; b &lt; c &gt; d &quot;q&quot; &#x27;a&#x27; &amp;amp;</p></section>")
HEAD = "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
END = "</main></body></html>\n"
TABLE = ("<table><caption>Visible tests</caption><thead><tr><th scope='col'>test</th><th scope='col'>points</th>"
         "<th scope='col'>verdict</th></tr></thead><tbody>")


def test_the_attempt_box_is_as_before():
    assert banner(PLAIN_LINES, PLAIN_TITLE) == BOX_PLAIN
    assert banner(LINES, HOSTILE) == BOX_HOSTILE
    assert banner([], "") == STYLE + SECTION + "</h2></section>"


def test_the_late_box_is_as_before():
    assert late_box("01_<conv>&\"'é", "2026-12-02 10:00:00", "2026-12-01 23:59:00", 4.5, 1.25, 5.0) == (
        STYLE + SECTION + "01_&lt;conv&gt;&amp;&quot;&#x27;é: late submission</h2><p>Submitted 2026-12-02 10:00:00 "
        "UTC, after the due date (2026-12-01 23:59:00 UTC, with any extension of yours).</p><p>The course&#x27;s late "
        "rule takes 1.25 point(s): your score is 3.25 of 5. The tests below show what your code earned before "
        "it.</p></section>")
    assert late_box("a", "t", "d", 4.5, 0.0, 5.0) == ""


def test_the_box_goes_just_inside_the_body():
    page = "<!DOCTYPE html><html><body class='jp'>\n<p>page</p></body></html>"
    assert with_banner(page, BOX_PLAIN) == "<!DOCTYPE html><html><body class='jp'>" + BOX_PLAIN + "\n<p>page</p></body></html>"
    assert with_banner("<p>fragment</p>", BOX_PLAIN) == BOX_PLAIN + "<p>fragment</p>"


def test_the_services_notice_pages_are_as_before():
    page = HEAD + HOSTILE_HTML + "</title></head><body><main><h1>" + HOSTILE_HTML + "</h1>" + BOX_HOSTILE + END
    assert g.notice_pages(["01_conv_forward.ipynb", "x<&é"], HOSTILE, BOX_HOSTILE) == {
        "01_conv_forward": page, "x<&é": page}
    assert g.notice_pages(["a.ipynb"], "plain", "") == {
        "a": HEAD + "plain</title></head><body><main><h1>plain</h1>" + END}
    assert g.not_in_assignment_page(HOSTILE, BOX_PLAIN) == (
        HEAD + HOSTILE_HTML + "</title></head><body><main><h1>" + HOSTILE_HTML + "</h1>" + BOX_PLAIN
        + "<p>This notebook is not part of the assignment; it was not graded.</p>" + END)


def test_the_visible_tests_page_is_as_before():
    result = UnitResult("alice", "01_conv_forward", 3.0, 5.0, "x", tests={
        "01_conv_forward:test_zero_pad": CellScore(2.0, 2.0),
        "01_conv_forward:test_<b>&\"'é": CellScore(0.5, 1.5),
        "01_conv_forward:test_zero_pad_hidden": CellScore(1.0, 1.0),
        "02_pool:test_pool": CellScore(0.0, 1.0),
        "01_conv_forward:test_conv_forward": CellScore(0.0, 2.0)})
    page = g.withheld_page(result, "01_conv_forward.ipynb", {"01_conv_forward:test_zero_pad_hidden"}, HOSTILE, BOX_HOSTILE)
    assert page == (
        HEAD + HOSTILE_HTML + "</title></head><body><main><h1>" + HOSTILE_HTML + "</h1>" + BOX_HOSTILE + TABLE
        + "<tr><th scope='row'>test_&lt;b&gt;&amp;&quot;&#x27;é</th><td>0.5 of 1.5</td><td>partly passed</td></tr>"
        "<tr><th scope='row'>test_conv_forward</th><td>0 of 2</td><td>failed</td></tr>"
        "<tr><th scope='row'>test_zero_pad</th><td>2 of 2</td><td>passed</td></tr></tbody></table>"
        "<p>1 hidden test(s): their results come after the deadline.</p>" + END)
    assert g.withheld_page(result, "03_none.ipynb", set(), "t", "") == (
        HEAD + "t</title></head><body><main><h1>t</h1>" + TABLE + "</tbody></table>"
        "<p>0 hidden test(s): their results come after the deadline.</p>" + END)


def test_the_page_of_a_notebook_that_could_not_be_graded_is_as_before(tmp_path):
    unit = Unit("alice", "01_<conv>&\"'é", tmp_path / "sub", tmp_path / "work", tmp_path / "master", "h", tmp_path / "out")
    publish_feedback(unit, ["01_conv_forward.ipynb", "n<&\"'é.ipynb"],
                     {"n<&\"'é.ipynb": "the kernel died: <MemoryError> & \"quotes\" 'é'"})
    assignment = "01_&lt;conv&gt;&amp;&quot;&#x27;é"
    assert (unit.feedback / "01_conv_forward.html").read_text() == (
        HEAD + "01_conv_forward.ipynb</title></head><body><main><h1>" + assignment + " / 01_conv_forward.ipynb</h1>"
        "<p>Score: 0. Reason: this notebook could not be graded; ask your instructor.</p>" + END)
    name = "n&lt;&amp;&quot;&#x27;é.ipynb"
    assert (unit.feedback / "n<&\"'é.html").read_text() == (
        HEAD + name + "</title></head><body><main><h1>" + assignment + " / " + name + "</h1><p>Score: 0. Reason: the "
        "kernel died: &lt;MemoryError&gt; &amp; &quot;quotes&quot; &#x27;é&#x27;.</p>" + END)


def test_no_html_is_built_in_python_strings():
    """Every page and box of autograder/ comes from a template (autograder/templates/): no string in its
    Python code, docstrings aside, holds an HTML tag."""
    import ast
    import re
    from pathlib import Path

    import autograder
    tag = re.compile(r"</?(html|head|body|main|p|div|span|table|caption|thead|tbody|tr|td|th|section|h[1-6]|style"
                     r"|script|a|img|ul|ol|li|br|meta|title|details|summary|pre|code|em|strong|b|i|nav|header"
                     r"|footer|figure|svg|form|input|button|label)\b[^<>]*>", re.I)
    found = []
    for path in sorted(Path(autograder.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and tag.search(node.value)):
                found.append(f"{path.name}:{node.lineno}: {tag.search(node.value).group(0)}")
    assert not found, found
