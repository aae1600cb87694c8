"""Every HTML page and box the instructor's tools write comes from a Jinja2 template in
autograder/templates/ (a folder per page family), rendered here: one environment per process,
autoescaping on, so that no student's text reaches a page unescaped."""
from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .paths import TEMPLATES


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(("html", "j2")),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def render(template: str, **context: Any) -> str:
    """The page of `template` (a path under autograder/templates/, e.g. "report/report.html.j2")."""
    return environment().get_template(template).render(**context)
