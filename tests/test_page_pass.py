"""The feedback page's last pass (page_pass.PagePass: each plain fragment of the released notebook parsed
once) writes the bytes nbconvert's own pass writes (HTMLExporter.from_notebook_node: BeautifulSoup over the
whole page, alt texts, tabindex), for ordinary notebooks and for hostile ones, and falls back to the whole
page where it cannot prove a fragment's place."""
from __future__ import annotations

import random

import nbformat.v4 as v4
import pytest
from jinja2 import DictLoader
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from autograder.grading.pipeline.feedback_html import FeedbackExporter, bootstrap_css
from autograder.grading.pipeline.page_pass import PagePass, plain_core

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
RESOURCES = {"nbgrader": {"notebook": "n", "score": 1, "max_score": 2, "late_penalty": 0}}
CODE = "def zero_pad(X, pad):\n    \"\"\"a < b & c > 'd'\"\"\"\n    return np.pad(X, ((0, 0), (pad, pad)))"
MARKDOWN = "# Padding\n\nZeros *around* the image: `a < b` and $x_{i} < 2$, [a link](#top) & more.\n\n    code\n"

# an HTML output (display_data), a stream's text or a markdown text a student can put in a notebook
HOSTILE = {
    "unclosed tags": {"html": "<div><span><b>bold <i>on"},
    "closing tags": {"html": "</div></div></div></main></body>", "text": "</div></pre>"},
    "style and script": {"html": "<style>p {color: red}</style><script>if (a < b) {x = '</div>'}</script>"},
    "unclosed style": {"html": "<style>p {color: red}"},
    "unclosed script": {"html": "<script>var a = 1;"},
    "entities": {"html": "&amp; &lt; &copy &#169; &#xZZ; & &; &#0;", "markdown": "&amp; &copy &#x27; & &;"},
    "huge": {"text": "x < y & z\n" * 10000},
    "img without alt": {"html": f"<img src='data:image/png;base64,{PNG}'>",
                        "markdown": "<img src=\"a.png\">\n\n![](b.png) ![plot](c.png)"},
    "unclosed pre": {"html": "<pre>  " + "<div>" * 30},   # the divs take the page's end tags: pre stays open
    "unclosed textarea": {"html": "<textarea>" + "<div>" * 30},
    "unclosed quote": {"markdown": "<a title='x>y", "html": "<span title=\"a>"},
    "unclosed comment": {"html": "<!-- what follows is a comment"},
    "deep": {"html": "<div>" * 1000},
    "notebook classes": {"html": "<div class=\"jp-Notebook\"><div class='jp-OutputArea-output'>",
                         "markdown": "<div class=\"jp-Cell-inputWrapper\">in</div>"},
    "void end tags": {"html": "</br><br></br></img><hr/>", "markdown": "a<br>b</br>"},
    "rt and template": {"html": "<ruby><rt> <template>  "},
    "declarations": {"html": "<!DOCTYPE x><?php echo 1 ?><![CDATA[ a ]]><!x>"},
    # a space html.parser does not end a tag name at: the name is "div\xa0", so "</div>" closes the page's div
    "unicode space in a tag": {"markdown": "\n\n<div\xa0>hi</div>\n\n<span\u2003class=\"x\">a</span>",
                               "html": "<p\x0b>b</p>"},
}


def notebook(html: str = "", text: str = "", markdown: str = "") -> object:
    """A small notebook: markdown, code with a stream, a result, a figure and an HTML output, as a
    released notebook run by a student, the hostile parts put where a student can put them."""
    cells = [v4.new_markdown_cell(MARKDOWN + markdown),
             v4.new_code_cell(CODE, execution_count=1, outputs=[
                 v4.new_output("stream", name="stdout", text="shape (2, 3)\n" + text),
                 v4.new_output("execute_result", {"text/plain": "array([1, 2])"}, execution_count=1)]),
             v4.new_code_cell("plt.imshow(A)\ndisplay(HTML(table))", execution_count=2, outputs=[
                 v4.new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"}),
                 v4.new_output("display_data", {"text/html": "<table><tr><td>1</td></tr></table>" + html,
                                                "text/plain": "table"})]),
             v4.new_markdown_cell("## Pooling\n\nThe window's maximum."),
             v4.new_code_cell(CODE + "\n# again", execution_count=3)]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


class NbconvertPass(FeedbackExporter):
    """The same exporter with nbconvert's own last pass (HTMLExporter.from_notebook_node)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        return HTMLExporter.from_notebook_node(self, nb, resources, **kw)


@pytest.fixture(scope="module")
def exporters():
    config = Config()
    config.HTMLExporter.extra_template_paths = [str(bootstrap_css())]
    return FeedbackExporter(config=config), NbconvertPass(config=config)


def render(exporter, nb) -> str:
    return exporter.from_notebook_node(nb, resources={"nbgrader": dict(RESOURCES["nbgrader"])})[0]


@pytest.mark.parametrize("case", ["ordinary", *HOSTILE])
def test_a_page_is_the_bytes_nbconvert_writes(exporters, case):
    ours, theirs = exporters
    nb = notebook(**HOSTILE.get(case, {}))
    assert render(ours, nb) == render(theirs, nb)
    if case in ("ordinary", "closing tags", "entities", "huge", "img without alt", "deep"):
        assert ours._page_pass.last_way == "fragments"   # the fast way, proved equal
    if case in ("unclosed style", "unclosed script", "unclosed pre", "unclosed textarea", "unclosed comment"):
        assert ours._page_pass.last_way == "whole page"   # a fragment's place not proved: nbconvert's way


@pytest.fixture(scope="module")
def nbconvert_pass():
    """nbconvert's pass over any text: HTMLExporter rendering a template that writes the text as it is."""
    exporter = HTMLExporter(extra_loaders=[DictLoader({"verbatim.j2": "{{ resources.text }}"})],
                            template_file="verbatim.j2")
    return lambda text: exporter.from_notebook_node(v4.new_notebook(), resources={"text": text})[0]


# fragments as the exporter gives them: plain ones, and (last) one that only looks plain to a \s-minded eye
PLAIN = ['<div class="highlight"><pre><span></span><span class="n">x</span> <span class="o">=</span> 1\n</pre></div>\n',
         '\n<h1 id="a">T &amp; &#x27;u&#39;<a class="anchor-link" href="#a?b=1&amp;c">¶</a></h1>\n<p>  </p>',
         '<div class="jp-Cell-inputWrapper"><div class="jp-OutputArea-output">t</div></div>',
         "<span>\n</span>", '<div class="jp-Notebook"><p class="a  b">x</p></div>', "<P>shout</P>",
         "<p>it's \"quoted\" -- </p>", "<div\xa0>hi</div>"]
PIECES = ["<div>", "</div>", "<span>", "</span>", "<pre>", "</pre>", "<textarea>", "</textarea>", "<style>",
          "</style>", "<script>", "</script>", "<!--", "-->", "<a title='x>", "'>", "<br>", "</br>",
          "<img src=a.png>", '<img src="b.png" alt="b">', '<div class="jp-Notebook">', "<DIV class=JP-NOTEBOOK>",
          "<div class='jp-Cell-inputWrapper'>", "<div class=\"jp-OutputArea-output\" tabindex=\"2\">", "&amp",
          "&", "<", ">", "  ", "\n", "text", "<rt>", "<template>", "</template>", "<p>", "</p>", "<![CDATA[x]]>",
          "<!doctype html>", "<?pi?>", "<title>", "</main>", "<span class=\"x\"", "&#x27;", "</", "<a title=\"x>",
          "<a title=x", "<a b='x' c", "<!x", "<![CDATA[", "&#x2", "-->", "&#q",
          ";", "<div\xa0>", "</div\u2003>", "<span\x0bclass=\"x\">", "<p\x1c>"]


def test_any_page_is_the_bytes_nbconvert_writes(nbconvert_pass):
    """Random pages of plain fragments among hostile pieces, seeded: the same bytes, both ways taken."""
    page_pass, rng, ways = PagePass(), random.Random(34), {"fragments": 0, "whole page": 0}
    for _ in range(300):
        parts, fragments = [], []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.5:
                fragments.append(rng.choice(PLAIN))
                parts.append(fragments[-1])
            else:
                parts.append(rng.choice(PIECES))
        fragments.insert(rng.randint(0, len(fragments)), rng.choice(PIECES + ["not in the page"]))
        page = ('<!DOCTYPE html>\n<html><head><style>a {}</style></head>\n<body><main><div class="jp-Notebook">'
                + "".join(parts) + "</div></main></body></html>")
        assert page_pass(page, fragments)[0] == nbconvert_pass(page), page
        ways[page_pass.last_way] += 1
    assert min(ways.values()) > 50, ways


def test_a_fragment_is_plain_only_when_nothing_around_it_changes_its_tokens():
    assert plain_core(PLAIN[0]) == PLAIN[0].rstrip("\n")
    assert plain_core(PLAIN[1]).startswith("<h1") and plain_core(PLAIN[1]).endswith("</p>")
    for fragment in ["<div>", "</div>", "<div></span>", "<br>", "<p>a<br></p>", "<p><style>x</style></p>",
                     "<p>a & b</p>", "<p>&amp</p>", "<p>a > b</p>", "<a title='x'>y</a>", "<p><!-- x --></p>",
                     "<div/>", "text only", "<p>x</p><script>y</script>", "<p><br></br></p>",
                     "<img src=\"a.png\"></img>", "<div\xa0>x</div>", "<span\u3000class=\"a\">x</span>",
                     "<p\x0b>x</p>"]:
        assert plain_core(fragment) is None, fragment


def test_a_page_holding_the_nonce_takes_the_whole_page_pass(exporters):
    ours, theirs = exporters
    nonce, ours._page_pass.nonce = ours._page_pass.nonce, "zero_pad"   # a word the page holds
    try:
        nb = notebook()
        assert render(ours, nb) == render(theirs, nb)
        assert ours._page_pass.last_way == "whole page"
    finally:
        ours._page_pass.nonce = nonce
