"""The feedback exporter renders each markdown text and highlights each code text once and reuses the
HTML (feedback_html.FeedbackExporter): what it gives back is what nbconvert makes for that text, never
another text's. bench/identical.py compares whole pages with another commit's."""
from nbconvert.exporters import HTMLExporter
from nbconvert.filters import Highlight2HTML

from autograder.grading.pipeline.feedback_html import FeedbackExporter

TEXTS = ["def zero_pad(X, pad):\n    return X", "a = 1  # one", "def zero_pad(X, pad):\n    return X", "%%time\nb = 2"]
MARKDOWN = ["# Padding\n\nZeros *around* the image.", "**Stride** $s$", "# Padding\n\nZeros *around* the image."]


def highlighter(exporter):
    exporter.register_filter("highlight_code", Highlight2HTML(pygments_lexer="ipython3", parent=exporter))
    return exporter.environment.filters["highlight_code"]


def test_each_code_text_is_highlighted_as_nbconvert_highlights_it():
    ours, plain = highlighter(FeedbackExporter()), Highlight2HTML(pygments_lexer="ipython3")
    metadata = {"magics_language": "bash"}
    for text in TEXTS + TEXTS:
        assert ours(text) == plain(text)
        assert ours(text, metadata=metadata) == plain(text, metadata=metadata)
    for language in (None, "python", None):   # one text, as each language highlights it
        assert ours("x = 1", language) == plain("x = 1", language)


def test_each_markdown_text_is_rendered_as_nbconvert_renders_it():
    template = "{{ text | markdown2html }}"
    ours = FeedbackExporter().environment.from_string(template)
    plain = HTMLExporter().environment.from_string(template)
    for text in MARKDOWN + MARKDOWN:
        assert ours.render(text=text, cell={}) == plain.render(text=text, cell={})
    for data in ("iVBORw0KGgo=", "R0lGODlh", "iVBORw0KGgo="):   # one text, each cell's own image
        cell = {"attachments": {"a.png": {"image/png": data}}}
        page = ours.render(text="![a](attachment:a.png)", cell=cell)
        assert page == plain.render(text="![a](attachment:a.png)", cell=cell) and data in page
