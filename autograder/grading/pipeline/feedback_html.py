"""The feedback pages of a unit: what nbgrader's GenerateFeedback writes, from an exporter made once per
grading process.

GenerateFeedback (a converter application) builds a new HTMLExporter, a new Jinja environment with
its templates and new preprocessors for every unit; compiling nbgrader's feedback template with the
templates it extends took 0.15 s of each unit's 0.4 s of feedback, building the rest about 0.05 s.
`FeedbackPages` keeps one exporter per setting (hidden tests shown or not), its template compiled once,
and does for each unit what GenerateFeedback does: each autograded notebook through the same
preprocessors (NameTests, HideHiddenTests, nbgrader's GetGrades) and template into
feedback/<student>/<assignment>/<notebook>.html, the assignment's other files copied beside, files
made 644. The pages are the same bytes (bench/identical.py checks them against the commit before).
"""
from __future__ import annotations

import os
import shutil
import sys
import traceback
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter
from nbconvert.writers import FilesWriter
from traitlets.config import Config

from ...paths import FEEDBACK_TEMPLATES
from .preprocessors import HideHiddenTests, NameTests

# what nbgrader's GenerateFeedback ignores beside the notebooks (CourseDirectory.ignore's default)
IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTMLExporter, so that HTMLExporter's configuration applies."""


def nbgrader_templates() -> Path:
    """nbgrader's own templates folder (its feedback template), which GenerateFeedback adds by default."""
    import nbgrader
    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


def _bootstrap_css() -> Path:
    """The folder GenerateFeedback adds to the template paths (the bootstrap CSS its template inlines)."""
    import nbgrader
    return (Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "static" / "node_modules"
            / "bootstrap" / "dist" / "css")


class FeedbackPages:
    """GenerateFeedback's pages of a unit, one exporter per setting for the life of the process."""

    def __init__(self) -> None:
        self._exporters: dict[bool, FeedbackExporter] = {}

    def exporter(self, show_hidden: bool) -> FeedbackExporter:
        if show_hidden not in self._exporters:
            from nbgrader.preprocessors import GetGrades
            c = Config()
            c.Exporter.default_preprocessors = []   # as nbgrader's converters set it
            # tests named by grade id and docstring: a template extending nbgrader's own
            c.HTMLExporter.template_name = "feedback_named"
            c.HTMLExporter.template_file = "named.html.j2"
            c.HTMLExporter.extra_template_basedirs = [str(FEEDBACK_TEMPLATES), str(nbgrader_templates())]
            c.HTMLExporter.extra_template_paths = [str(_bootstrap_css())]
            c.HideHiddenTests.show_hidden = show_hidden
            exporter = FeedbackExporter(config=c)
            # registered as GenerateFeedback registers its list (which also names nbconvert's
            # CSSHTMLHeaderPreprocessor: disabled by default, it never runs, and is left out here)
            for preprocessor in (NameTests, HideHiddenTests, GetGrades):
                exporter.register_preprocessor(preprocessor)
            self._exporters[show_hidden] = exporter
        return self._exporters[show_hidden]

    def write(self, autograded: Path, feedback: Path, student: str, assignment: str, db_url: str,
              show_hidden: bool) -> bool:
        """autograded/<student>/<assignment>/*.ipynb as feedback/<student>/<assignment>/*.html; False (with
        the traceback on stderr) if a page could not be made, which, as with GenerateFeedback, costs only
        that page (the unit's feedback then says it could not be graded)."""
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
            return True
        except Exception:   # GenerateFeedback logs and goes on; so does this
            traceback.print_exc(file=sys.stderr)
            return False


def _copy_other_files(source: Path, dest: Path) -> None:
    """What nbgrader's converters copy beside the notebooks (its init_assignment)."""
    from nbgrader.utils import find_all_files
    for filename in find_all_files(str(source), list(IGNORED) + ["*.ipynb"]):
        target = dest / os.path.relpath(filename, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        shutil.copy(filename, target)
