"""The feedback page: nbgrader's, each test named by its grade id and what it checks (the template in
autograder/templates/feedback_named), a late submission's opened with what the course's late rule took.

One exporter and one list of preprocessors make it wherever it is made: in each unit that `grade` grades
(pipeline/unit.py) and in the course, when the instructor clicks Generate Feedback in Formgrader or runs
`nbgrader generate_feedback` (the course's nbgrader_config.py names both), so that the page a student
fetches is the same whichever wrote it.

nbconvert makes a new Jinja environment for every page, and compiling nbgrader's feedback template
with the templates it extends took 0.15 s of each unit's 0.4 s of feedback. The compiled code is kept
in memory by template and source checksum (Jinja's bytecode cache): an edited template is compiled
again.
"""
from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from ...paths import TEMPLATES
from ..outputs.pagebox import with_banner

# what runs on an autograded notebook before the page is written, in this order (by name, so that the
# course's nbgrader_config.py can name them without importing the grader)
PREPROCESSORS = ["autograder.grading.pipeline.preprocessors.NameTests",
                 "autograder.grading.pipeline.preprocessors.HideHiddenTests",
                 "nbgrader.preprocessors.GetGrades",
                 "autograder.grading.pipeline.preprocessors.LateBox",
                 "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
LATE_BOX = "late_box"  # resources["nbgrader"][LATE_BOX]: the box LateBox made, put on top of the page here


def nbgrader_templates() -> Path:
    """nbgrader's own templates folder (its feedback template, which ours extends)."""
    import nbgrader
    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


class _InMemory(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])  # ignored when the source's checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _InMemory()


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
        super().__init__(config=merged, **kwargs)

    def _create_environment(self) -> Any:
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED
        return environment

    def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
        output, resources = super().from_notebook_node(nb, resources, **kw)
        box = (resources.get("nbgrader") or {}).get(LATE_BOX, "")
        return (with_banner(output, box) if box else output), resources
