"""The feedback page: nbgrader's, each test named by its grade id and what it checks (the template in
autograder/templates/feedback_named), a late submission's opened with what the course's late rule took.

One exporter and one list of preprocessors make it wherever it is made: in each unit that `grade` grades
(pipeline/unit.py, through `FeedbackPages`) and in the course, when the instructor clicks Generate Feedback
in Formgrader or runs `nbgrader generate_feedback` (the course's nbgrader_config.py names both), so that
the page a student fetches is the same whichever wrote it.

nbconvert makes a new Jinja environment for every page, and compiling nbgrader's feedback template
with the templates it extends took 0.15 s of each unit's 0.4 s of feedback. The compiled code is kept
in memory by template and source checksum (Jinja's bytecode cache): an edited template is compiled
again. A grading process goes further (`FeedbackPages`): GenerateFeedback, a converter application,
builds a new exporter, Jinja environment and preprocessors for every unit (about 0.05 s more); the
grading process keeps one exporter per setting (hidden tests shown or not) and does for each unit what
GenerateFeedback does: each autograded notebook through PREPROCESSORS and the template into
feedback/<student>/<assignment>/<notebook>.html, the assignment's other files copied beside, files made
644. The pages are the same bytes (bench/identical.py checks them against another commit's).

Most of a page is the released notebook's: its markdown and the code of its teaching and test cells, the
same in every student's page. An exporter renders each markdown text and highlights each code text once
(a pure function of the text, the cell's attachments and metadata, and the exporter's settings) and
reuses the HTML, 0.03 s of CPU per unit; and it validates a notebook once after its preprocessors, not
after each (nbconvert's optimistic_validation; validating does not change the notebook). nbconvert's last
pass over the page (BeautifulSoup over all of it, for alt texts and tabindex) parses each of those texts
once too (page_pass.PagePass, the same bytes: tests/test_page_pass.py).
"""
from __future__ import annotations

import json
import os
import shutil
import traceback
from copy import deepcopy
from pathlib import Path
from typing import Any, Optional

import nbgrader
from jinja2 import BytecodeCache, pass_context
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.writers import FilesWriter
from nbgrader.utils import find_all_files
from traitlets.config import Config

from ...paths import TEMPLATES
from ..outputs.pagebox import with_banner
from .page_pass import PagePass

# what runs on an autograded notebook before the page is written, in this order (by name, so that the
# course's nbgrader_config.py can name them without importing the grader)
PREPROCESSORS = ["autograder.grading.pipeline.preprocessors.NameTests",
                 "autograder.grading.pipeline.preprocessors.HideHiddenTests",
                 "nbgrader.preprocessors.GetGrades",
                 "autograder.grading.pipeline.preprocessors.LateBox",
                 "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
LATE_BOX = "late_box"  # resources["nbgrader"][LATE_BOX]: the box LateBox made, put on top of the page here


# what nbgrader's GenerateFeedback ignores beside the notebooks (CourseDirectory.ignore's default)
IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


def nbgrader_templates() -> Path:
    """nbgrader's own templates folder (its feedback template, which ours extends)."""
    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


def bootstrap_css() -> Path:
    """The folder GenerateFeedback adds to the template paths (the bootstrap CSS its template inlines)."""
    return (Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "static" / "node_modules"
            / "bootstrap" / "dist" / "css")


class _InMemory(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])  # ignored when the source's checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _InMemory()
REMEMBERED = 5000   # texts an exporter keeps the HTML of (each released notebook has under 100 cells)


def _key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=str)


class _Remembered:
    """What a pure function returned, by its arguments, for the life of an exporter; and what it gave to
    the page being rendered, in order (the fragments PagePass parses once)."""

    def __init__(self) -> None:
        self.html: dict[str, str] = {}
        self.given: list[str] = []

    def get(self, key: str, make: Any) -> str:
        if key not in self.html:
            if len(self.html) >= REMEMBERED:
                self.html.clear()
            self.html[key] = make()
        self.given.append(self.html[key])
        return self.html[key]


class _HighlightOnce:
    """nbconvert's code highlighter (Highlight2HTML, as HTMLExporter makes it for each page), each code
    text highlighted once."""

    def __init__(self, highlighter: Highlight2HTML, remembered: _Remembered) -> None:
        self.highlighter, self.remembered = highlighter, remembered

    def __call__(self, source: str, language: Optional[str] = None, metadata: Any = None) -> str:
        h = self.highlighter
        key = _key(h.pygments_lexer, h.extra_formatter_options, source, language, metadata)
        return self.remembered.get(key, lambda: h(source, language, metadata))


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTMLExporter (so HTMLExporter's other configuration applies) that writes the course's
    feedback page whatever template it is told (nbgrader's API tells Generate Feedback to use nbgrader's
    own, which calls every test "Test cell"), templates compiled once per process."""

    def __init__(self, config: Any = None, **kwargs: Any) -> None:
        # this class's own section outranks HTMLExporter's, where nbgrader's API names its template and the
        # course sanitizes what Formgrader shows the instructor; a student's page shows their outputs as run
        ours = Config(FeedbackExporter={"template_name": "feedback_named", "template_file": "named.html.j2",
                                        "extra_template_basedirs": [str(TEMPLATES), str(nbgrader_templates())],
                                        "sanitize_html": False})
        merged = deepcopy(config) if config is not None else Config()
        merged.merge(ours)
        self._remembered = _Remembered()
        self._page_pass = PagePass()
        super().__init__(config=merged, **kwargs)

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        if self.embed_images:   # images read from files beside the notebook: made anew
            return super().markdown2html(context, source)
        attachments = context.get("cell", {}).get("attachments", {})
        return self._remembered.get(_key("markdown", source, attachments),
                                    lambda: super(FeedbackExporter, self).markdown2html(context, source))

    def register_filter(self, name: str, jinja_filter: Any) -> Any:
        if name == "highlight_code" and type(jinja_filter) is Highlight2HTML:
            jinja_filter = _HighlightOnce(jinja_filter, self._remembered)
        return super().register_filter(name, jinja_filter)

    def _create_environment(self) -> Any:
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED
        return environment

    def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
        # HTMLExporter.from_notebook_node's steps (nbconvert 7.17.2, html.py), its last pass (BeautifulSoup
        # over the whole page) made by PagePass; tests/test_page_pass.py compares the two pages
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        self._remembered.given = []
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        output, missing_alt = self._page_pass(html, self._remembered.given)
        if missing_alt:
            self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
        box = (resources.get("nbgrader") or {}).get(LATE_BOX, "")
        return (with_banner(output, box) if box else output), resources


class FeedbackPages:
    """GenerateFeedback's pages of a unit, one exporter per setting for the life of the grading process."""

    def __init__(self) -> None:
        self._exporters: dict[bool, FeedbackExporter] = {}

    def exporter(self, show_hidden: bool) -> FeedbackExporter:
        if show_hidden not in self._exporters:
            c = Config()
            c.Exporter.default_preprocessors = []   # as nbgrader's converters set it
            c.Exporter.optimistic_validation = True
            c.HTMLExporter.extra_template_paths = [str(bootstrap_css())]   # as GenerateFeedback sets it
            c.HideHiddenTests.show_hidden = show_hidden
            exporter = FeedbackExporter(config=c)
            for preprocessor in PREPROCESSORS:   # registered as GenerateFeedback registers its list
                exporter.register_preprocessor(preprocessor)
            self._exporters[show_hidden] = exporter
        return self._exporters[show_hidden]

    def write(self, autograded: Path, feedback: Path, student: str, assignment: str, db_url: str,
              show_hidden: bool) -> Optional[str]:
        """autograded/<student>/<assignment>/*.ipynb as feedback/<student>/<assignment>/*.html; None, or why
        a page could not be made (the traceback's last line; the whole of it on stderr, the grading
        process's log), which, as with GenerateFeedback, leaves the unit's scores as they are."""
        try:
            exporter = self.exporter(show_hidden)
            if feedback.exists():
                shutil.rmtree(feedback)
            for path in sorted(autograded.glob("*.ipynb")):
                resources = {"unique_key": path.stem, "output_files_dir": f"{path.stem}_files",
                             "nbgrader": {"student": student, "assignment": assignment, "notebook": path.stem,
                                          "db_url": db_url}}
                output, resources = exporter.from_filename(str(path), resources=resources)
                FilesWriter(build_directory=str(feedback)).write(output, resources, notebook_name=path.stem)
            _copy_other_files(autograded, feedback)
            for folder, _, names in os.walk(feedback):
                for name in names:
                    os.chmod(os.path.join(folder, name), 0o644)
            return None
        except Exception as err:   # GenerateFeedback logs and goes on; so does this
            traceback.print_exc()
            return f"{type(err).__name__}: {err}"


def _copy_other_files(source: Path, dest: Path) -> None:
    """What nbgrader's converters copy beside the notebooks (its init_assignment)."""
    for filename in find_all_files(str(source), list(IGNORED) + ["*.ipynb"]):
        target = dest / os.path.relpath(filename, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        shutil.copy(filename, target)
