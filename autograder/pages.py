"""Every HTML page and box the instructor's tools write comes from a Jinja2 template in
autograder/templates/ (a folder per page family), rendered here: one environment per process,
autoescaping on, so that no student's text reaches a page unescaped."""
from __future__ import annotations

import functools
import html
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .paths import TEMPLATES


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(("html", "j2")),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["html_escape"] = html_escape
    return env


def html_escape(text: Any) -> Markup:
    """`{{ x|html_escape }}`: the same five characters escaped as by autoescaping, with Python's html.escape
    entities for the quotes (&quot; &#x27;, not &#34; &#39;), those of the feedback pages and boxes since
    Python strings first built them, so that a page a student already fetched reads the same bytes."""
    return text if isinstance(text, Markup) else Markup(html.escape(str(text)))


def render(template: str, **context: Any) -> str:
    """The page of `template` (a path under autograder/templates/, e.g. "report/report.html.j2")."""
    return environment().get_template(template).render(**context)
